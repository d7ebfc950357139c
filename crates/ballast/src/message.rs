//! Numbers in error messages: a user's value echoed back as typed for ordinary sizes, in
//! scientific notation beyond them (`1e308`, not three hundred digits).

use std::fmt;

/// A real number for a message: at most 12 significant digits (no floating-point tails such
/// as `6788.899999999994`), plain decimal for 10⁻⁶ ≤ |x| < 10¹⁵ (and 0), `1e308` style
/// outside, `NaN` / `inf` as such.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Num(pub f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        let x = format!("{x:.11e}").parse::<f64>().unwrap_or(x);
        if x.is_finite() && x != 0.0 && !(1e-6..1e15).contains(&x.abs()) {
            write!(f, "{x:e}")
        } else {
            write!(f, "{x}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Num;

    #[test]
    fn plain_inside_scientific_outside() {
        let shown = |x: f64| Num(x).to_string();
        assert_eq!(shown(0.94), "0.94");
        assert_eq!(shown(-40.0), "-40");
        assert_eq!(shown(0.0), "0");
        assert_eq!(shown(1e308), "1e308");
        assert_eq!(shown(-1e308), "-1e308");
        assert_eq!(shown(1e-300), "1e-300");
        assert_eq!(shown(f64::NAN), "NaN");
        assert_eq!(shown(f64::NEG_INFINITY), "-inf");
        assert_eq!(shown(6788.899999999994), "6788.9");
        assert_eq!(shown(0.1 + 0.2), "0.3");
    }
}
