//! `parse_portfolio` (TOML), then every holding and position through `Position::new`, as
//! `load_book` does.
#![no_main]

use ballast::instrument::Position;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(pf) = ballast::io::parse_portfolio(text, "portfolio.toml") else {
        return;
    };
    for h in &pf.holdings {
        let _ = Position::new(&h.asset, h.units, h.venue.as_deref().unwrap_or("spot"));
    }
    for p in &pf.positions {
        let _ = Position::new(&p.instrument, p.size, p.venue.as_deref().unwrap_or("deribit"));
    }
    if let Some(d) = &pf.data {
        std::hint::black_box(d.covariance());
    }
});
