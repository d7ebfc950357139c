//! `read_option_chain_str` (Deribit chains), then every row valued (`value_chain`) and a
//! market snapshot built from the rows.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(rows) = ballast::io::read_option_chain_str(text, "chain.csv") else {
        return;
    };
    let valued = ballast::pricing::value_chain(rows.clone(), None, "f");
    std::hint::black_box(valued);
    if let Ok(snap) = ballast::market::MarketSnapshot::from_chain_rows(rows) {
        std::hint::black_box(snap);
    }
});
