//! The one place Ballast touches `faer` (pinned: its API changes between minor releases).
//! Public code sees [`SymMatrix`], a plain row-major symmetric matrix.

use faer::prelude::Solve;
use faer::{Mat, Side};

/// A dense n×n symmetric matrix of `f64`, row-major (`data[i * n + j]`).
///
/// Used for covariance and correlation matrices. Symmetry is the caller's promise for
/// [`SymMatrix::from_row_major`]; every estimator in Ballast produces exactly symmetric output.
#[derive(Debug, Clone, PartialEq)]
pub struct SymMatrix {
    n: usize,
    data: Vec<f64>,
}

impl SymMatrix {
    /// Zero n×n matrix.
    pub fn zeros(n: usize) -> Self {
        Self {
            n,
            data: vec![0.0; n * n],
        }
    }

    /// Build from row-major data of length n². Returns `None` if the length is not n².
    pub fn from_row_major(n: usize, data: Vec<f64>) -> Option<Self> {
        (data.len() == n * n).then_some(Self { n, data })
    }

    /// Build from rows (`rows[i][j]`). Returns `None` if the rows are not all of length `rows.len()`.
    pub fn from_rows(rows: &[Vec<f64>]) -> Option<Self> {
        let n = rows.len();
        if rows.iter().any(|r| r.len() != n) {
            return None;
        }
        Some(Self {
            n,
            data: rows.iter().flatten().copied().collect(),
        })
    }

    /// Dimension n.
    pub fn dim(&self) -> usize {
        self.n
    }

    /// Entry (i, j).
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.n + j]
    }

    /// Set entry (i, j) and (j, i).
    #[inline]
    pub fn set_sym(&mut self, i: usize, j: usize, v: f64) {
        self.data[i * self.n + j] = v;
        self.data[j * self.n + i] = v;
    }

    /// Row i (equal to column i by symmetry), contiguous.
    #[inline]
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.n..(i + 1) * self.n]
    }

    /// Row-major data, length n².
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }

    /// Rows as vectors (for serialisation).
    pub fn to_rows(&self) -> Vec<Vec<f64>> {
        self.data.chunks(self.n.max(1)).map(<[f64]>::to_vec).collect()
    }

    /// The diagonal.
    pub fn diagonal(&self) -> Vec<f64> {
        (0..self.n).map(|i| self.get(i, i)).collect()
    }

    /// Every entry multiplied by `s`.
    pub fn scaled(&self, s: f64) -> Self {
        Self {
            n: self.n,
            data: self.data.iter().map(|v| v * s).collect(),
        }
    }

    /// y = A x. `x` must have length n.
    ///
    /// Computed as Σ_j x_j A[j, :] (rows = columns by symmetry): contiguous axpys, which
    /// vectorise better than row dot products.
    pub fn mul_vec(&self, x: &[f64]) -> Vec<f64> {
        debug_assert_eq!(x.len(), self.n);
        let mut y = vec![0.0; self.n];
        for (j, &xj) in x.iter().enumerate() {
            if xj != 0.0 {
                axpy(&mut y, xj, self.row(j));
            }
        }
        y
    }

    /// x' A x.
    pub fn quad_form(&self, x: &[f64]) -> f64 {
        dot(&self.mul_vec(x), x)
    }

    /// True if every entry is finite.
    pub fn is_finite(&self) -> bool {
        self.data.iter().all(|v| v.is_finite())
    }

    /// Correlation matrix D^-1/2 A D^-1/2 (`None` if a diagonal entry is not positive).
    pub fn to_correlation(&self) -> Option<Self> {
        let sd: Vec<f64> = self.diagonal().iter().map(|v| v.sqrt()).collect();
        if sd.iter().any(|s| !(*s > 0.0)) {
            return None;
        }
        let n = self.n;
        let mut c = Self::zeros(n);
        for i in 0..n {
            for j in 0..n {
                c.data[i * n + j] = if i == j {
                    1.0
                } else {
                    self.get(i, j) / (sd[i] * sd[j])
                };
            }
        }
        Some(c)
    }

    /// Submatrix on the given indices (in that order).
    pub fn select(&self, idx: &[usize]) -> Self {
        let m = idx.len();
        let mut data = Vec::with_capacity(m * m);
        for &i in idx {
            for &j in idx {
                data.push(self.get(i, j));
            }
        }
        Self { n: m, data }
    }

    fn to_faer(&self) -> Mat<f64> {
        Mat::from_fn(self.n, self.n, |i, j| self.get(i, j))
    }

    /// True if a Cholesky factorisation exists (the matrix is numerically positive definite).
    pub fn is_positive_definite(&self) -> bool {
        self.n > 0 && self.is_finite() && self.to_faer().llt(Side::Lower).is_ok()
    }

    /// Lower Cholesky factor L (row-major, A = L Lᵀ), or `None` if not positive definite.
    pub fn cholesky_lower(&self) -> Option<Vec<f64>> {
        if !self.is_finite() {
            return None;
        }
        let llt = self.to_faer().llt(Side::Lower).ok()?;
        let l = llt.L();
        let n = self.n;
        Some(
            (0..n * n)
                .map(|x| if x % n <= x / n { l[(x / n, x % n)] } else { 0.0 })
                .collect(),
        )
    }

    /// Solve A x = b by Cholesky (A positive definite); `None` otherwise.
    pub fn solve(&self, b: &[f64]) -> Option<Vec<f64>> {
        if b.len() != self.n || !self.is_finite() {
            return None;
        }
        let llt = self.to_faer().llt(Side::Lower).ok()?;
        let rhs = Mat::from_fn(self.n, 1, |i, _| b[i]);
        let x = llt.solve(&rhs);
        Some((0..self.n).map(|i| x[(i, 0)]).collect())
    }

    /// Solve A X = B for several right-hand sides (the columns of B) with one Cholesky
    /// factorisation; `None` if A is not positive definite or a column has the wrong length.
    pub fn solve_columns(&self, columns: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
        if columns.iter().any(|c| c.len() != self.n) || !self.is_finite() {
            return None;
        }
        let llt = self.to_faer().llt(Side::Lower).ok()?;
        let rhs = Mat::from_fn(self.n, columns.len(), |i, j| columns[j][i]);
        let x = llt.solve(&rhs);
        Some(
            (0..columns.len())
                .map(|j| (0..self.n).map(|i| x[(i, j)]).collect())
                .collect(),
        )
    }

    /// Eigenvalues in nondecreasing order (`None` if the eigen solver fails, e.g. non-finite input).
    pub fn eigenvalues(&self) -> Option<Vec<f64>> {
        if !self.is_finite() {
            return None;
        }
        self.to_faer().self_adjoint_eigenvalues(Side::Lower).ok()
    }

    /// Eigenvalues in **nonincreasing** order with their unit eigenvectors: `(λ, V)` with V
    /// row-major N×N, column k the eigenvector of λ_k, A = V diag(λ) Vᵀ. Signs as the solver
    /// returns them (callers fix their own convention). `None` if not finite or the solver fails.
    pub fn eigen_descending(&self) -> Option<(Vec<f64>, Vec<f64>)> {
        if !self.is_finite() {
            return None;
        }
        let evd = self.to_faer().self_adjoint_eigen(Side::Lower).ok()?;
        let (u, s) = (evd.U(), evd.S());
        let n = self.n;
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| s[b].total_cmp(&s[a]));
        let values = order.iter().map(|&k| s[k]).collect();
        let mut vectors = vec![0.0; n * n];
        for i in 0..n {
            for (c, &k) in order.iter().enumerate() {
                vectors[i * n + c] = u[(i, k)];
            }
        }
        Some((values, vectors))
    }

    /// The matrix with its eigenvalues floored at `floor`: V max(Λ, floor) Vᵀ. With floor = 0
    /// this is the nearest positive semi-definite matrix in the Frobenius norm (Higham 1988,
    /// "Computing a nearest symmetric positive semidefinite matrix"). `None` if not finite.
    pub fn eigenvalue_floor(&self, floor: f64) -> Option<Self> {
        if !self.is_finite() {
            return None;
        }
        let evd = self.to_faer().self_adjoint_eigen(Side::Lower).ok()?;
        let (u, s) = (evd.U(), evd.S());
        let n = self.n;
        let lam: Vec<f64> = (0..n).map(|k| s[k].max(floor)).collect();
        let mut out = Self::zeros(n);
        for i in 0..n {
            for j in i..n {
                let v: f64 = (0..n).map(|k| u[(i, k)] * lam[k] * u[(j, k)]).sum();
                out.set_sym(i, j, v);
            }
        }
        Some(out)
    }
}

/// Inner product of two equal-length slices (4 independent accumulators so it vectorises).
#[inline(always)]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        acc[0] += x[0] * y[0];
        acc[1] += x[1] * y[1];
        acc[2] += x[2] * y[2];
        acc[3] += x[3] * y[3];
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// y += alpha x.
#[inline(always)]
pub(crate) fn axpy(y: &mut [f64], alpha: f64, x: &[f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// Cross product X'Y for column-major T×N matrices given as column slices: result N×M row-major.
/// Uses faer's blocked, SIMD matrix multiply.
pub(crate) fn cross_product(t: usize, x_cols: &[f64], y_cols: &[f64]) -> Vec<f64> {
    let n = x_cols.len() / t.max(1);
    let m = y_cols.len() / t.max(1);
    let x = faer::MatRef::from_column_major_slice(x_cols, t, n);
    let y = faer::MatRef::from_column_major_slice(y_cols, t, m);
    let p = x.transpose() * y;
    let mut out = Vec::with_capacity(n * m);
    for i in 0..n {
        for j in 0..m {
            out.push(p[(i, j)]);
        }
    }
    out
}

/// Symmetric X'X (N×N) of a column-major T×N matrix, symmetrised exactly.
pub(crate) fn gram(t: usize, x_cols: &[f64]) -> SymMatrix {
    let n = x_cols.len() / t.max(1);
    let mut g = cross_product(t, x_cols, x_cols);
    for i in 0..n {
        for j in (i + 1)..n {
            let v = g[i * n + j];
            g[j * n + i] = v;
        }
    }
    SymMatrix { n, data: g }
}
