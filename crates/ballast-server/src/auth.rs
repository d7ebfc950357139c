//! Bearer tokens: 256 random bits, shown once as `blst_` + 64 hex digits, stored as their
//! SHA-256 hash (a high-entropy token needs a fast hash, not a password KDF), compared in
//! constant time.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Read books, risk and alerts, and subscribe to the WebSocket.
    Read,
    /// Also post fills and set limits.
    ReadWrite,
}

impl Scope {
    /// The name stored and typed (`read`, `read-write`).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::ReadWrite => "read-write",
        }
    }

    /// Parse a stored or typed name.
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "read" => Some(Scope::Read),
            "read-write" => Some(Scope::ReadWrite),
            _ => None,
        }
    }
}

/// Prefix of every token (so a leaked one is recognisable).
pub const TOKEN_PREFIX: &str = "blst_";

/// A new random token.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{TOKEN_PREFIX}{hex}")
}

/// SHA-256 of a token.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Constant-time equality of two hashes.
pub fn hashes_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The token of an `Authorization: Bearer …` header value, if it is well-formed.
pub fn bearer(header: &str) -> Option<&str> {
    let t = header.strip_prefix("Bearer ")?.trim();
    (t.starts_with(TOKEN_PREFIX) && t.len() == TOKEN_PREFIX.len() + 64).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_well_formed_and_hash_stably() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(bearer(&format!("Bearer {a}")), Some(a.as_str()));
        assert_eq!(bearer(&a), None);
        assert_eq!(bearer("Bearer blst_short"), None);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert!(hashes_equal(&hash_token(&a), &hash_token(&a)));
        assert!(!hashes_equal(&hash_token(&a), &hash_token(&b)));
        assert!(!hashes_equal(&hash_token(&a)[..31], &hash_token(&a)));
    }
}
