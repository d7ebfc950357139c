//! `read_futures_prices_str`: Deribit futures / perpetual price snapshots.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ballast::io::read_futures_prices_str(text, "futures.csv", None);
    }
});
