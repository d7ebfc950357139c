//! `read_prices_str`: wide, long and OHLCV price CSVs. Input: `FILE NAME \0 CSV TEXT` (no NUL:
//! the whole input is the text, read as `prices.csv`). After a successful parse: a window of a
//! few returns (0 to 7, the input's length modulo 8) and one over the whole panel (its empty rows
//! left out), and their simple and log returns.
#![no_main]

use ballast::data::{ReturnKind, WindowSpec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let (file, text) = input.split_once('\0').unwrap_or(("prices.csv", input));
    let Ok(panel) = ballast::io::read_prices_str(text, file) else {
        return;
    };
    // a small window, from the input's length (0 and 1 are refused); then one over the whole
    // panel, without its empty rows
    let compact = panel.without_empty_rows();
    let whole = compact.dates().len().saturating_sub(1);
    for (p, returns) in [(&panel, data.len() % 8), (&compact, whole)] {
        if let Ok(w) = p.window(&WindowSpec {
            returns,
            ..Default::default()
        }) {
            let _ = w.info();
            let _ = w.last_prices();
            std::hint::black_box(w.returns(ReturnKind::Simple));
            std::hint::black_box(w.returns(ReturnKind::Log));
        }
    }
});
