//! Is the best backtest luck? Probabilistic and deflated Sharpe ratios (Bailey & López de
//! Prado 2012, 2014) and the probability of backtest overfitting by combinatorially symmetric
//! cross-validation (Bailey, Borwein, López de Prado & Zhu 2017).

use crate::risk::{moments, normal_quantile};
use statrs::distribution::{ContinuousCDF, Normal};

fn phi(x: f64) -> f64 {
    Normal::standard().cdf(x)
}

/// Per-period (daily, not annualised) Sharpe ratio, skewness and (non-excess) kurtosis.
fn sharpe_moments(r: &[f64]) -> Option<(f64, f64, f64)> {
    let m = moments(r).ok()?;
    (m.std > 0.0).then(|| (m.mean / m.std, m.skewness, m.excess_kurtosis + 3.0))
}

/// Probabilistic Sharpe ratio: the probability that the true per-period Sharpe ratio exceeds
/// `sr_benchmark` (per period), given T returns with skewness γ₃ and kurtosis γ₄:
/// PSR = Φ((ŜR − SR*)·√(T − 1) / √(1 − γ₃ŜR + (γ₄ − 1)/4·ŜR²)). NaN for constant returns.
pub fn probabilistic_sharpe_ratio(r: &[f64], sr_benchmark: f64) -> f64 {
    let Some((sr, g3, g4)) = sharpe_moments(r) else {
        return f64::NAN;
    };
    let t = r.len() as f64;
    let denom = (1.0 - g3 * sr + (g4 - 1.0) / 4.0 * sr * sr).max(1e-300).sqrt();
    phi((sr - sr_benchmark) * (t - 1.0).sqrt() / denom)
}

/// The Sharpe ratio (per period) the best of N independent trials would show by luck alone:
/// SR* = √V·((1 − γ)Φ⁻¹(1 − 1/N) + γΦ⁻¹(1 − 1/(N e))), V the variance of the trials' Sharpe
/// ratios, γ Euler–Mascheroni.
pub fn expected_max_sharpe(sharpe_variance: f64, trials: usize) -> f64 {
    if trials < 2 {
        return 0.0;
    }
    let n = trials as f64;
    let g = 0.577_215_664_901_532_9;
    sharpe_variance.max(0.0).sqrt()
        * ((1.0 - g) * normal_quantile(1.0 - 1.0 / n)
            + g * normal_quantile(1.0 - 1.0 / (n * std::f64::consts::E)))
}

/// Deflated Sharpe ratio of each strategy among all `trials` (daily returns of equal length):
/// its PSR against the expected maximum Sharpe ratio of that many trials.
pub fn deflated_sharpe_ratios(trials: &[Vec<f64>]) -> Vec<f64> {
    let srs: Vec<f64> = trials
        .iter()
        .map(|r| sharpe_moments(r).map_or(f64::NAN, |m| m.0))
        .collect();
    let ok: Vec<f64> = srs.iter().copied().filter(|s| s.is_finite()).collect();
    if ok.len() < 2 {
        return vec![f64::NAN; trials.len()];
    }
    let mean = ok.iter().sum::<f64>() / ok.len() as f64;
    let var = ok.iter().map(|s| (s - mean) * (s - mean)).sum::<f64>() / (ok.len() - 1) as f64;
    let sr_star = expected_max_sharpe(var, trials.len());
    trials
        .iter()
        .map(|r| probabilistic_sharpe_ratio(r, sr_star))
        .collect()
}

/// Result of combinatorially symmetric cross-validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Pbo {
    /// Probability of backtest overfitting: the share of splits in which the in-sample best
    /// strategy ranks in the bottom half out of sample (logit λ ≤ 0).
    pub pbo: f64,
    /// Number of train/test splits, C(S, S/2).
    pub splits: usize,
    /// Number of blocks S.
    pub blocks: usize,
    /// Logits λ = ln(ω/(1 − ω)) of the out-of-sample relative rank ω of the in-sample winner.
    pub logits: Vec<f64>,
}

/// PBO of N strategies (daily returns of equal length T) by CSCV with `blocks` (even) blocks of
/// consecutive days; performance = Sharpe ratio. Needs N ≥ 2 and T ≥ 2·blocks.
pub fn probability_of_backtest_overfitting(trials: &[Vec<f64>], blocks: usize) -> Option<Pbo> {
    let n = trials.len();
    let t = trials.first()?.len();
    if n < 2 || blocks < 2 || blocks % 2 == 1 || t < 2 * blocks || trials.iter().any(|r| r.len() != t) {
        return None;
    }
    // per strategy and block: count, Σr, Σr²
    let edges: Vec<usize> = (0..=blocks).map(|b| b * t / blocks).collect();
    let stats: Vec<Vec<(f64, f64, f64)>> = trials
        .iter()
        .map(|r| {
            (0..blocks)
                .map(|b| {
                    let s = &r[edges[b]..edges[b + 1]];
                    (s.len() as f64, s.iter().sum(), s.iter().map(|x| x * x).sum())
                })
                .collect()
        })
        .collect();
    let sharpe = |k: usize, mask: u32, want: bool| -> f64 {
        let (mut c, mut s1, mut s2) = (0.0, 0.0, 0.0);
        for (b, st) in stats[k].iter().enumerate() {
            if (mask >> b & 1 == 1) == want {
                c += st.0;
                s1 += st.1;
                s2 += st.2;
            }
        }
        let mean = s1 / c;
        let var = (s2 - c * mean * mean) / (c - 1.0);
        if var > 0.0 {
            mean / var.sqrt()
        } else {
            0.0
        }
    };
    let mut logits = Vec::new();
    for mask in 0u32..(1u32 << blocks) {
        if mask.count_ones() as usize != blocks / 2 {
            continue;
        }
        let is: Vec<f64> = (0..n).map(|k| sharpe(k, mask, true)).collect();
        let best = (0..n).max_by(|&a, &b| is[a].total_cmp(&is[b]).then(b.cmp(&a)))?;
        let oos: Vec<f64> = (0..n).map(|k| sharpe(k, mask, false)).collect();
        // relative rank in (0, 1): 1 = best out of sample
        let rank = oos.iter().filter(|&&x| x < oos[best]).count() as f64
            + 0.5 * (oos.iter().filter(|&&x| x == oos[best]).count() as f64 - 1.0)
            + 1.0;
        let w = rank / (n as f64 + 1.0);
        logits.push((w / (1.0 - w)).ln());
    }
    let pbo = logits.iter().filter(|l| **l <= 0.0).count() as f64 / logits.len() as f64;
    Some(Pbo {
        pbo,
        splits: logits.len(),
        blocks,
        logits,
    })
}
