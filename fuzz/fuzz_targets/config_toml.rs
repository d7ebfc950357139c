//! `parse_toml` of the other TOML files: strategy files (`BacktestFile`), constraints files
//! (`ConstraintsSpec`, then resolved against a universe) and allocation requests (`AllocationSpec`, checked on deserialising).
#![no_main]

use ballast::allocate::{AllocationSpec, ConstraintsSpec};
use ballast::backtest::BacktestFile;
use ballast::io::parse_toml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_toml::<BacktestFile>(text, "strategy.toml");
    if let Ok(c) = parse_toml::<ConstraintsSpec>(text, "constraints.toml") {
        // as a run would: names resolved against a universe
        let universe = ["BTC", "ETH", "SOL"].map(String::from);
        let _ = c.resolve(&universe);
        let _ = c.resolve_present(&universe);
    }
    let _ = parse_toml::<AllocationSpec>(text, "allocation.toml");
});
