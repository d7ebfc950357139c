//! Deribit portfolio-margin parameters from a file: TOML or JSON in the keys of
//! `model_params`, or a saved `private/pme/simulate` response (its envelope or result), whose
//! `model_params` block is taken as it is.

use super::{read_text, IoError};
use crate::margin::deribit::PmParams;
use std::path::Path;

/// Read and check a parameter file.
///
/// # Errors
/// [`IoError::Format`] for a file that is neither, or parameters out of range (naming the key).
pub fn read_pm_params(path: impl AsRef<Path>) -> Result<PmParams, IoError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let text = read_text(path)?;
    let fail = |message: String| IoError::Format {
        file: file.clone(),
        message,
    };
    let params: PmParams = if text.trim_start().starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| fail(format!("not JSON: {e}")))?;
        let block = v
            .get("result")
            .unwrap_or(&v)
            .get("model_params")
            .cloned()
            .unwrap_or(v);
        serde_json::from_value(block).map_err(|e| fail(format!("not Deribit model_params: {e}")))?
    } else {
        toml::from_str(&text).map_err(|e| fail(format!("not Deribit model_params: {e}")))?
    };
    params.validate().map_err(|e| fail(e.to_string()))?;
    Ok(params)
}
