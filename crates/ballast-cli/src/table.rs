//! Plain-text tables and number formatting for people (JSON is for programs).

use std::fmt::Write;

/// A table: a header row and rows of cells; the first column is left-aligned, the rest right.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Self {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    pub fn render(&self) -> String {
        self.render_fitted(usize::MAX)
    }

    /// Render with the widths of the full rows only: a row shorter than the header (a note in
    /// its first cells, e.g. an error) runs on without widening the columns. `first` columns
    /// (usually 0 or 1) are always measured.
    pub fn render_fitted(&self, first: usize) -> String {
        let ncol = self.header.len();
        let mut width = vec![0; ncol];
        for r in std::iter::once(&self.header).chain(&self.rows) {
            let full = r.len() >= ncol;
            for (k, c) in r.iter().enumerate().take(ncol) {
                if full || k <= first {
                    width[k] = width[k].max(c.chars().count());
                }
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, r: &[String]| {
            let mut s = String::new();
            for (k, w) in width.iter().enumerate() {
                let c = r.get(k).map(String::as_str).unwrap_or("");
                let pad = w.saturating_sub(c.chars().count());
                if k == 0 {
                    s.push_str(c);
                    s.push_str(&" ".repeat(pad));
                } else {
                    s.push_str("  ");
                    s.push_str(&" ".repeat(pad));
                    s.push_str(c);
                }
            }
            let _ = writeln!(out, "  {}", s.trim_end());
        };
        line(&mut out, &self.header);
        let total: usize = width.iter().sum::<usize>() + 2 * ncol.saturating_sub(1);
        let _ = writeln!(out, "  {}", "─".repeat(total));
        for r in &self.rows {
            line(&mut out, r);
        }
        out
    }
}

/// 0.1234 → "12.34%".
pub fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2}%", 100.0 * x)
    } else {
        "–".into()
    }
}

/// Signed percentage points: 0.012 → "+1.20 pp" (a rounded zero has no sign).
pub fn pp(x: f64) -> String {
    format!("{:+.2} pp", 100.0 * x + 0.0).replace("-0.00", "+0.00")
}

/// "1 asset", "3 assets".
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else if let Some(stem) = noun.strip_suffix('y').filter(|s| !s.ends_with(['a', 'e', 'o'])) {
        format!("{n} {stem}ies")
    } else {
        format!("{n} {noun}s")
    }
}

/// USD with thousands separators and cents: 1234567.891 → "1,234,567.89".
pub fn usd(x: f64) -> String {
    grouped(x, 2)
}

/// Whole USD with thousands separators: 1234567.891 → "1,234,568".
pub fn usd0(x: f64) -> String {
    grouped(x, 0)
}

fn grouped(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let s = format!("{:.decimals$}", x.abs());
    // no "-0.00": a value that rounds to zero has no sign
    let neg = x < 0.0 && s.bytes().any(|b| b.is_ascii_digit() && b != b'0');
    let (int, frac) = s
        .split_once('.')
        .map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::from(if neg { "-" } else { "" });
    for (k, ch) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// `d` decimals, or "–" when undefined: 1.2345 → "1.23".
pub fn fixed(x: f64, d: usize) -> String {
    if x.is_finite() {
        format!("{x:.d$}")
    } else {
        "–".into()
    }
}

/// A price or unit count with sensible significant digits.
pub fn num(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1000.0 {
        format!("{x:.2}")
    } else if a >= 1.0 {
        format!("{x:.4}")
    } else {
        format!("{x:.6}")
    }
}
