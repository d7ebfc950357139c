//! The service's library: Deribit messages as received, the replay, ticks applied to books.

mod feed;
mod live;

use std::path::PathBuf;

/// A file of the shared market data (`../shared/data`, or `$BALLAST_DATA_DIR`).
pub fn data(name: &str) -> PathBuf {
    std::env::var_os("BALLAST_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
        .join(name)
}

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
