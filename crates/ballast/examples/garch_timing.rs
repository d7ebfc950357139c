//! Times GARCH(1,1) fits (normal and Student-t) on the last 2,000 BTC daily returns of the
//! bundled panel, in percent. Writes the series to `DIR/btc_pct.csv` for the peer script and
//! prints one JSON line per distribution. Usage: garch_timing DIR
use ballast::io::read_prices;

#[path = "../benches/support/mod.rs"]
mod support;
use ballast::estimate::{Garch11, GarchDist};
use std::time::Instant;

fn main() {
    let dir = std::env::args().nth(1).expect("usage: garch_timing DIR");
    std::fs::create_dir_all(&dir).expect("create DIR");
    let panel = read_prices(support::data_path("crypto_daily_close.csv")).expect("daily panel");
    let btc = panel.asset_index("BTC").expect("BTC in panel");
    let px: Vec<f64> = (0..panel.dates().len())
        .filter_map(|r| panel.price(r, btc))
        .collect();
    let y: Vec<f64> = px.windows(2).map(|w| 100.0 * (w[1] / w[0] - 1.0)).collect();
    let y = &y[y.len() - 2000..];
    let text: String = y.iter().map(|v| format!("{v:.17e}\n")).collect();
    std::fs::write(format!("{dir}/btc_pct.csv"), text).expect("write series");
    for (name, dist) in [("normal", GarchDist::Normal), ("t", GarchDist::StudentT)] {
        let model = Garch11 { dist };
        let fit = model.fit(y).expect("fit");
        let reps = 50;
        let mut times: Vec<f64> = (0..reps)
            .map(|_| {
                let t0 = Instant::now();
                std::hint::black_box(model.fit(std::hint::black_box(y)).expect("fit"));
                t0.elapsed().as_secs_f64()
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let p = fit.params;
        println!(
            "{{\"dist\":\"{name}\",\"seconds\":{},\"loglikelihood\":{},\"mu\":{},\"omega\":{},\"alpha\":{},\"beta\":{},\"nu\":{}}}",
            times[reps / 2],
            fit.loglikelihood,
            p.mu,
            p.omega,
            p.alpha,
            p.beta,
            p.nu.unwrap_or(f64::NAN).max(0.0)
        );
    }
}
