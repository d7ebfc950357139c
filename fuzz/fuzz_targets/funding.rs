//! `read_funding_str`: perpetual funding rates (long format).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ballast::io::read_funding_str(text, "funding.csv");
    }
});
