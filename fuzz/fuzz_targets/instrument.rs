//! `parse_deribit_name` and `Position::new`. Input: `NAME \0 8 bytes of size (f64, little
//! endian) VENUE`; without a NUL the whole input is the name. Every name is also tried with
//! NaN, ±inf and 0 sizes.
#![no_main]

use ballast::instrument::{parse_deribit_name, Position};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (name, rest) = match data.iter().position(|&b| b == 0) {
        Some(k) => (&data[..k], &data[k + 1..]),
        None => (data, &[][..]),
    };
    let Ok(name) = std::str::from_utf8(name) else {
        return;
    };
    let mut bits = [0u8; 8];
    let n = rest.len().min(8);
    bits[..n].copy_from_slice(&rest[..n]);
    let size = f64::from_le_bytes(bits);
    let venue = std::str::from_utf8(&rest[n..]).unwrap_or("venue");
    let _ = parse_deribit_name(name);
    for s in [size, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -1.0] {
        let _ = Position::new(name, s, venue);
    }
});
