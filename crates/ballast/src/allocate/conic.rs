//! A small builder for convex programs solved by Clarabel:
//! minimise ½ x'Px + q'x subject to rows `s = b − a·x` in zero, non-negative and second-order
//! cones. Status other than solved maps to a typed [`AllocateError`].

use super::AllocateError;
use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, SecondOrderConeT, SolverStatus,
    SupportedConeT, ZeroConeT,
};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Zero,
    NonNeg,
    Soc(usize),
}

/// A sparse row: (variable, coefficient) pairs and right-hand side.
pub(crate) type Row = (Vec<(usize, f64)>, f64);

/// Problem under construction.
pub(crate) struct Conic {
    pub n: usize,
    p: Vec<(usize, usize, f64)>,
    pub q: Vec<f64>,
    rows: Vec<(Kind, Row)>,
    /// Names of the constraint blocks, to say which ones are infeasible.
    pub labels: Vec<String>,
}

impl Conic {
    pub fn new(n: usize) -> Self {
        Self {
            n,
            p: Vec::new(),
            q: vec![0.0; n],
            rows: Vec::new(),
            labels: Vec::new(),
        }
    }

    /// Add `v` to P[i][j] (and P[j][i]); only the upper triangle is stored.
    pub fn add_p(&mut self, i: usize, j: usize, v: f64) {
        let (a, b) = if i <= j { (i, j) } else { (j, i) };
        self.p.push((a, b, v));
    }

    /// a·x = b
    pub fn eq(&mut self, a: Vec<(usize, f64)>, b: f64) {
        self.rows.push((Kind::Zero, (a, b)));
    }

    /// a·x ≤ b
    pub fn le(&mut self, a: Vec<(usize, f64)>, b: f64) {
        self.rows.push((Kind::NonNeg, (a, b)));
    }

    /// ‖(b_i − a_i·x)_{i≥1}‖ ≤ b_0 − a_0·x
    pub fn soc(&mut self, rows: Vec<Row>) {
        let d = rows.len();
        for (k, r) in rows.into_iter().enumerate() {
            self.rows
                .push((if k == 0 { Kind::Soc(d) } else { Kind::Soc(0) }, r));
        }
    }

    /// Solve; returns x. `what` names the problem in errors.
    pub fn solve(&self, what: &str) -> Result<Vec<f64>, AllocateError> {
        let n = self.n;
        let (mut pi, mut pj, mut pv) = (Vec::new(), Vec::new(), Vec::new());
        for &(i, j, v) in &self.p {
            pi.push(i);
            pj.push(j);
            pv.push(v);
        }
        let p = CscMatrix::new_from_triplets(n, n, pi, pj, pv);
        let m = self.rows.len();
        let (mut ai, mut aj, mut av, mut b) = (Vec::new(), Vec::new(), Vec::new(), Vec::with_capacity(m));
        let mut cones: Vec<SupportedConeT<f64>> = Vec::new();
        for (r, (kind, (coef, rhs))) in self.rows.iter().enumerate() {
            for &(j, v) in coef {
                if v != 0.0 {
                    ai.push(r);
                    aj.push(j);
                    av.push(v);
                }
            }
            b.push(*rhs);
            match (kind, cones.last_mut()) {
                (Kind::Zero, Some(ZeroConeT(d))) => *d += 1,
                (Kind::Zero, _) => cones.push(ZeroConeT(1)),
                (Kind::NonNeg, Some(NonnegativeConeT(d))) => *d += 1,
                (Kind::NonNeg, _) => cones.push(NonnegativeConeT(1)),
                (Kind::Soc(d), _) if *d > 0 => cones.push(SecondOrderConeT(*d)),
                (Kind::Soc(_), _) => {}
            }
        }
        let a = CscMatrix::new_from_triplets(m, n, ai, aj, av);
        let settings = DefaultSettingsBuilder::default()
            .verbose(false)
            .max_iter(300)
            .tol_gap_abs(1e-11)
            .tol_gap_rel(1e-11)
            .tol_feas(1e-11)
            .build()
            .expect("valid settings");
        let mut solver = DefaultSolver::new(&p, &self.q, &a, &b, &cones, settings)
            .map_err(|e| AllocateError::Solver(format!("{what}: {e:?}")))?;
        solver.solve();
        match solver.solution.status {
            SolverStatus::Solved | SolverStatus::AlmostSolved => Ok(solver.solution.x.clone()),
            SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => {
                Err(AllocateError::Infeasible(format!(
                    "{what}: no portfolio satisfies the constraints together ({})",
                    self.labels.join(", ")
                )))
            }
            SolverStatus::DualInfeasible | SolverStatus::AlmostDualInfeasible => Err(AllocateError::Solver(
                format!("{what}: the problem is unbounded (add bounds or a leverage cap)"),
            )),
            other => Err(AllocateError::Solver(format!(
                "{what}: solver stopped with status {other:?}"
            ))),
        }
    }
}
