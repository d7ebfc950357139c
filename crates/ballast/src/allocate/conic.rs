//! A small builder for convex programs solved by Clarabel:
//! minimise ½ x'Px + q'x subject to rows `s = b − a·x` in zero, non-negative and second-order
//! cones. Status other than solved maps to a typed [`AllocateError`].

use super::{AllocateError, SolveStatus, SolverReport};
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

/// A solution: x, the duals z, how it was found.
pub(crate) struct Solution {
    pub x: Vec<f64>,
    z: Vec<f64>,
    pub status: SolveStatus,
    pub report: SolverReport,
}

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
    pub fn solve(&self, what: &str) -> Result<Solution, AllocateError> {
        self.solve_primal_dual(what)
    }

    /// Solve with a working set (screening): variables in `droppable` are first fixed at 0
    /// except those in `initial`; Clarabel solves that smaller problem; every fixed variable's
    /// reduced cost (Px + q + Aᵀz)_i, from the full P and A and the duals z of the small
    /// problem, is then checked, and those with a negative one join the working set, until
    /// none is left. The result satisfies the KKT conditions of the full problem, so it is its
    /// solution. Each droppable variable must have the row −x_i ≤ 0 and no other row in which
    /// x_i = 0 could be infeasible (true of long-only weights with upper bounds).
    pub fn solve_screened(
        &self,
        what: &str,
        droppable: &[usize],
        initial: &[usize],
    ) -> Result<Solution, AllocateError> {
        let mut active = vec![true; self.n];
        droppable.iter().for_each(|&i| active[i] = false);
        initial.iter().for_each(|&i| active[i] = true);
        let mut iterations = 0;
        loop {
            if active.iter().all(|a| *a) {
                let mut s = self.solve(what)?;
                s.report.iterations += iterations;
                return Ok(s);
            }
            let (sub, cols, rows) = self.restrict(&active);
            // a working set can be infeasible where the full problem is not (e.g. a return
            // target only the fixed assets reach): then solve the full problem
            let Ok(small) = sub.solve_primal_dual(what) else {
                let mut s = self.solve(what)?;
                s.report.iterations += iterations;
                return Ok(s);
            };
            iterations += small.report.iterations;
            let (xs, zs) = (&small.x, &small.z);
            let mut x = vec![0.0; self.n];
            cols.iter().zip(xs).for_each(|(&j, v)| x[j] = *v);
            // reduced costs of the fixed variables
            let mut rc = self.q.clone();
            for &(i, j, v) in &self.p {
                rc[i] += v * x[j];
                if i != j {
                    rc[j] += v * x[i];
                }
            }
            let scale = rc.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            for (&r, z) in rows.iter().zip(zs) {
                for &(j, a) in &self.rows[r].1 .0 {
                    rc[j] += a * z;
                }
            }
            let mut add: Vec<(f64, usize)> = (0..self.n)
                .filter(|&j| !active[j] && rc[j] < -1e-9 * scale)
                .map(|j| (rc[j], j))
                .collect();
            if add.is_empty() {
                return Ok(Solution {
                    x,
                    z: Vec::new(),
                    status: small.status,
                    report: SolverReport {
                        iterations,
                        ..small.report
                    },
                });
            }
            add.sort_by(|a, b| a.0.total_cmp(&b.0));
            let take = (droppable.len() / 10).max(8);
            add.iter().take(take).for_each(|&(_, j)| active[j] = true);
        }
    }

    /// The problem with the inactive variables fixed at 0: their columns removed, and rows
    /// left with no coefficient dropped. Returns it with the kept columns and rows.
    fn restrict(&self, active: &[bool]) -> (Conic, Vec<usize>, Vec<usize>) {
        let cols: Vec<usize> = (0..self.n).filter(|&j| active[j]).collect();
        let mut map = vec![usize::MAX; self.n];
        cols.iter().enumerate().for_each(|(k, &j)| map[j] = k);
        let mut sub = Conic::new(cols.len());
        for &(i, j, v) in &self.p {
            if active[i] && active[j] {
                sub.p.push((map[i], map[j], v));
            }
        }
        cols.iter().enumerate().for_each(|(k, &j)| sub.q[k] = self.q[j]);
        let mut rows = Vec::new();
        for (r, (kind, (coef, b))) in self.rows.iter().enumerate() {
            let kept: Vec<(usize, f64)> = coef
                .iter()
                .filter(|&&(j, v)| active[j] && v != 0.0)
                .map(|&(j, v)| (map[j], v))
                .collect();
            // a whole second-order cone is kept or dropped together
            let in_soc = matches!(kind, Kind::Soc(_));
            if kept.is_empty()
                && !in_soc
                && (*kind == Kind::NonNeg && *b >= 0.0 || *kind == Kind::Zero && *b == 0.0)
            {
                continue;
            }
            sub.rows.push((*kind, (kept, *b)));
            rows.push(r);
        }
        sub.labels = self.labels.clone();
        (sub, cols, rows)
    }

    fn solve_primal_dual(&self, what: &str) -> Result<Solution, AllocateError> {
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
        let report = |converged: bool| SolverReport {
            iterations: solver.info.iterations as usize,
            error: solver.info.res_primal.max(solver.info.res_dual),
            converged,
        };
        match solver.solution.status {
            SolverStatus::Solved => Ok(Solution {
                x: solver.solution.x.clone(),
                z: solver.solution.z.clone(),
                status: SolveStatus::Solved,
                report: report(true),
            }),
            SolverStatus::AlmostSolved => Ok(Solution {
                x: solver.solution.x.clone(),
                z: solver.solution.z.clone(),
                status: SolveStatus::AlmostSolved,
                report: report(false),
            }),
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
