//! Values keyed by asset, serialised as an ordered JSON object `{"BTC": 0.4, "ETH": 0.6}`.

use serde::ser::{Serialize, SerializeMap, Serializer};

/// `assets[i] → values[i]`, in asset order (pairs beyond the shorter slice are left out).
#[derive(Debug, Clone, Copy)]
pub struct AssetMap<'a> {
    /// Asset names.
    pub assets: &'a [String],
    /// One value per asset.
    pub values: &'a [f64],
}

impl<'a> AssetMap<'a> {
    /// The map of `values` over `assets`.
    pub fn new(assets: &'a [String], values: &'a [f64]) -> Self {
        Self { assets, values }
    }
}

impl Serialize for AssetMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.assets.len().min(self.values.len())))?;
        for (a, v) in self.assets.iter().zip(self.values) {
            m.serialize_entry(a, v)?;
        }
        m.end()
    }
}

/// Serialise a number, or `null` when it is not finite (JSON has no NaN): for
/// `#[serde(serialize_with = "...")]`.
pub(crate) fn finite_or_null<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_finite() {
        s.serialize_f64(*x)
    } else {
        s.serialize_none()
    }
}
