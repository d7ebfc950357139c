#[path = "../benches/support/mod.rs"]
mod support;
use ballast::allocate::RiskBudgeting;
use std::time::Instant;
fn main() {
    for n in std::env::args().skip(1).map(|a| a.parse::<usize>().unwrap()) {
        let cov = if std::env::var("SYN").is_ok() {
            support::synthetic_covariance(n, 42)
        } else {
            support::bench_covariance(n)
        };
        let reps = 2000;
        let t = Instant::now();
        let mut a = None;
        for _ in 0..reps {
            a = Some(RiskBudgeting::erc().weights(&cov).unwrap());
        }
        let dt = t.elapsed() / reps;
        let w = a.unwrap();
        let t = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(cov.matrix.mul_vec(&w.weights));
        }
        let mv = t.elapsed() / reps;
        let t = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(cov.matrix.is_finite());
        }
        let fin = t.elapsed() / reps;
        let t = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(ballast::risk::risk_contributions(&cov.matrix, &w.weights).unwrap());
        }
        let rc = t.elapsed() / reps;
        let s = w.solver.unwrap();
        println!(
            "n={n} sweeps={} err={:.2e} erc={dt:?} mulvec={mv:?} finite={fin:?} rc={rc:?}",
            s.iterations, s.error
        );
    }
}
#[allow(dead_code)]
fn _unused() {}
