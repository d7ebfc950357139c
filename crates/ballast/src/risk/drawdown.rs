//! Maximum drawdown of a return series.

/// Maximum drawdown of the wealth path `W_0 = 1, W_t = Π_{s≤t}(1 + r_s)`:
/// `MDD = max_t (1 − W_t / max_{s≤t} W_s)`, a positive fraction (empyrical reports −MDD).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drawdown {
    /// Largest peak-to-trough loss, in [0, 1].
    pub max_drawdown: f64,
    /// Index of the peak *price* point (0 = the start, before the first return; t = after return t−1).
    pub peak: usize,
    /// Index of the trough point, same convention.
    pub trough: usize,
}

/// Maximum drawdown of simple returns `r` (see [`Drawdown`]). Empty input gives zero.
pub fn max_drawdown(r: &[f64]) -> Drawdown {
    let (mut w, mut peak_w, mut peak_i) = (1.0_f64, 1.0_f64, 0usize);
    let mut best = Drawdown {
        max_drawdown: 0.0,
        peak: 0,
        trough: 0,
    };
    for (k, x) in r.iter().enumerate() {
        w *= 1.0 + x;
        if w > peak_w {
            peak_w = w;
            peak_i = k + 1;
        }
        let dd = 1.0 - w / peak_w;
        if dd > best.max_drawdown {
            best = Drawdown {
                max_drawdown: dd,
                peak: peak_i,
                trough: k + 1,
            };
        }
    }
    best
}
