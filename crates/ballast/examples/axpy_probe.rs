#[path = "../benches/support/mod.rs"]
mod support;
fn main() {
    let n = 39;
    for syn in [false, true] {
        let cov = if syn {
            support::synthetic_covariance(n, 42)
        } else {
            support::bench_covariance(n)
        };
        let sub = cov.matrix.as_slice().iter().filter(|v| v.is_subnormal()).count();
        let min = cov.matrix.as_slice().iter().fold(f64::MAX, |a, b| a.min(b.abs()));
        let x = vec![0.01; n];
        let t = std::time::Instant::now();
        for _rep in 0..100000 {
            std::hint::black_box(cov.matrix.mul_vec(std::hint::black_box(&x)));
        }
        println!(
            "syn={syn} subnormal={sub} min={min:e} ptr={:p} mul_vec {:?}",
            cov.matrix.as_slice().as_ptr(),
            t.elapsed() / 100000
        );
    }
}
