//! The asset dendrogram shared by the hierarchical allocators (HRP, HERC): correlation
//! distance, agglomerative clustering (the `kodama` crate, a port of fastcluster), leaf order
//! (SciPy's `leaves_list`, optionally after Bar-Joseph et al. (2001) optimal leaf ordering, as
//! SciPy's `optimal_leaf_ordering`) and cuts into k clusters.

use super::AllocateError;
use crate::estimate::Covariance;
use kodama::{linkage, Method};

/// Linkage for the clustering step (distance √((1 − ρ)/2) between assets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Linkage {
    /// Nearest neighbour (López de Prado's HRP default).
    #[default]
    Single,
    /// Farthest neighbour.
    Complete,
    /// Average distance (UPGMA).
    Average,
    /// Ward's minimum variance.
    Ward,
}

impl Linkage {
    fn method(self) -> Method {
        match self {
            Linkage::Single => Method::Single,
            Linkage::Complete => Method::Complete,
            Linkage::Average => Method::Average,
            Linkage::Ward => Method::Ward,
        }
    }
}

/// A binary tree over n assets in SciPy's labelling: leaves 0..n, merge s creates node n + s;
/// children are stored lower label first (SciPy's `Z[s, 0] < Z[s, 1]`), or as swapped by the
/// optimal leaf ordering.
#[derive(Debug, Clone)]
pub struct Dendrogram {
    n: usize,
    /// Children of node n + s.
    children: Vec<(usize, usize)>,
    /// Merge heights (non-decreasing for the four linkages offered).
    heights: Vec<f64>,
    /// Distance matrix d_ij = √((1 − ρ_ij)/2), n×n row-major.
    dist: Vec<f64>,
}

impl Dendrogram {
    /// Cluster the assets of `cov` on the correlation distance d_ij = √((1 − ρ_ij)/2) (clipped
    /// to [0, 1]) with the given linkage.
    ///
    /// # Errors
    /// A non-positive variance (no correlation).
    pub fn fit(cov: &Covariance, link: Linkage) -> Result<Self, AllocateError> {
        Self::fit_correlation(&cov.correlation()?, link)
    }

    /// Cluster on a correlation matrix (N×N, entries in [−1, 1]; it need not be positive
    /// semi-definite, e.g. pairwise correlations), with distance √((1 − ρ)/2).
    ///
    /// # Errors
    /// A non-finite entry.
    pub fn fit_correlation(corr: &crate::SymMatrix, link: Linkage) -> Result<Self, AllocateError> {
        if !corr.is_finite() {
            return Err(AllocateError::Covariance(
                crate::estimate::EstimateError::NotFinite,
            ));
        }
        let n = corr.dim();
        let mut dist = vec![0.0; n * n];
        let mut condensed = Vec::with_capacity(n * (n.max(1) - 1) / 2);
        for i in 0..n {
            for j in i + 1..n {
                let d = ((1.0 - corr.get(i, j)) / 2.0).clamp(0.0, 1.0).sqrt();
                condensed.push(d);
                dist[i * n + j] = d;
                dist[j * n + i] = d;
            }
        }
        let (children, heights) = if n < 2 {
            (Vec::new(), Vec::new())
        } else {
            let dend = linkage(&mut condensed, n, link.method());
            dend.steps()
                .iter()
                .map(|s| {
                    (
                        (s.cluster1.min(s.cluster2), s.cluster1.max(s.cluster2)),
                        s.dissimilarity,
                    )
                })
                .unzip()
        };
        Ok(Self {
            n,
            children,
            heights,
            dist,
        })
    }

    /// Number of leaves (assets).
    pub fn n_leaves(&self) -> usize {
        self.n
    }

    fn root(&self) -> usize {
        if self.n < 2 {
            0
        } else {
            2 * self.n - 2
        }
    }

    fn d(&self, i: usize, j: usize) -> f64 {
        self.dist[i * self.n + j]
    }

    /// Children of an internal node (`None` for a leaf).
    pub fn children(&self, node: usize) -> Option<(usize, usize)> {
        (node >= self.n).then(|| self.children[node - self.n])
    }

    /// Leaves under `node`, left to right (SciPy's pre-order).
    pub fn leaves(&self, node: usize) -> Vec<usize> {
        let mut order = Vec::new();
        let mut stack = vec![node];
        while let Some(v) = stack.pop() {
            match self.children(v) {
                None => order.push(v),
                Some((l, r)) => {
                    stack.push(r);
                    stack.push(l);
                }
            }
        }
        order
    }

    /// All leaves left to right (SciPy's `leaves_list`): the quasi-diagonal order of HRP.
    pub fn leaf_order(&self) -> Vec<usize> {
        if self.n == 0 {
            return Vec::new();
        }
        self.leaves(self.root())
    }

    /// Reorder children so that the sum of distances between neighbouring leaves is minimal
    /// among the 2^(n−1) orders the tree allows (Bar-Joseph, Gifford & Jaakkola 2001; the
    /// result of SciPy's `optimal_leaf_ordering` up to ties). O(n³) time, O(n²) memory.
    pub fn optimal_leaf_ordering(&mut self) {
        let n = self.n;
        if n < 3 {
            return;
        }
        let leaves: Vec<Vec<usize>> = (0..2 * n - 1).map(|v| self.leaves(v)).collect();
        // m[i][j]: least cost of an order of the subtree LCA(i, j) that starts at i, ends at j
        let mut m = vec![f64::INFINITY; n * n];
        for i in 0..n {
            m[i * n + i] = 0.0;
        }
        let mut tmp = vec![0.0; n * n];
        for s in 0..n - 1 {
            let (a, b) = self.children[s];
            for &i in &leaves[a] {
                let ends_a = self.far_side(a, i, &leaves);
                for &l in &leaves[b] {
                    tmp[i * n + l] = ends_a
                        .iter()
                        .map(|&k| m[i * n + k] + self.d(k, l))
                        .fold(f64::INFINITY, f64::min);
                }
            }
            for &j in &leaves[b] {
                let ends_b = self.far_side(b, j, &leaves);
                for &i in &leaves[a] {
                    let v = ends_b
                        .iter()
                        .map(|&l| tmp[i * n + l] + m[l * n + j])
                        .fold(f64::INFINITY, f64::min);
                    m[i * n + j] = v;
                    m[j * n + i] = v;
                }
            }
        }
        // rebuild top-down: the root keeps its left child first (as SciPy does)
        let root = self.root();
        let (a, b) = self.children[root - n];
        let mut best = (f64::INFINITY, 0, 0);
        for &i in &leaves[a] {
            for &j in &leaves[b] {
                if m[i * n + j] < best.0 {
                    best = (m[i * n + j], i, j);
                }
            }
        }
        let mut stack = vec![(root, best.1, best.2)];
        while let Some((v, first, last)) = stack.pop() {
            let Some((c1, c2)) = self.children(v) else {
                continue;
            };
            // the child holding `first` goes left
            let (l, r) = if leaves[c1].contains(&first) {
                (c1, c2)
            } else {
                (c2, c1)
            };
            self.children[v - n] = (l, r);
            let mut pick = (f64::INFINITY, first, last);
            for &k in self.far_side(l, first, &leaves) {
                for &q in self.far_side(r, last, &leaves) {
                    let c = m[first * n + k] + self.d(k, q) + m[q * n + last];
                    if c < pick.0 {
                        pick = (c, k, q);
                    }
                }
            }
            stack.push((l, first, pick.1));
            stack.push((r, pick.2, last));
        }
    }

    /// Reorder children as SciPy's `optimal_leaf_ordering` does (the order skfolio and
    /// Riskfolio-Lib's `leaf_order=True` use). SciPy runs the same dynamic programme in single
    /// precision but fixes each node's orientation from that node's own best end points rather
    /// than from its parent's choice, so its result can be longer than the optimum (SciPy
    /// issue #11227); [`Self::optimal_leaf_ordering`] is the true optimum.
    pub fn scipy_leaf_ordering(&mut self) {
        let n = self.n;
        if n < 3 {
            return;
        }
        // work in positions of the current leaf order, where every cluster is a range
        let order = self.leaf_order();
        let mut range = vec![(0usize, 0usize); 2 * n - 1];
        for (p, &leaf) in order.iter().enumerate() {
            range[leaf] = (p, p + 1);
        }
        for s in 0..n - 1 {
            let (l, r) = self.children[s];
            range[n + s] = (range[l].0, range[r].1);
        }
        let d = |a: usize, b: usize| self.d(order[a], order[b]);
        let mut m = vec![0f32; n * n];
        let mut swap_status = vec![(0u8, 0u8); n * n];
        let mut must_swap = vec![0u8; n - 1];
        for s in 0..n - 1 {
            let (vl, vr) = self.children[s];
            // (u cluster, m cluster) for no swap / swap of V_l; (w, k) likewise for V_r
            let lsides: Vec<(usize, usize)> = match self.children(vl) {
                None => vec![(vl, vl)],
                Some((a, b)) => vec![(a, b), (b, a)],
            };
            let rsides: Vec<(usize, usize)> = match self.children(vr) {
                None => vec![(vr, vr)],
                Some((a, b)) => vec![(b, a), (a, b)],
            };
            for (swap_l, &(uc, mc)) in lsides.iter().enumerate() {
                for (swap_r, &(wc, kc)) in rsides.iter().enumerate() {
                    for u in range[uc].0..range[uc].1 {
                        for w in range[wc].0..range[wc].1 {
                            let mut best = 1073741824.0f32;
                            for mm in range[mc].0..range[mc].1 {
                                for k in range[kc].0..range[kc].1 {
                                    // float + float, then + double, compared in double
                                    let c = (m[u * n + mm] + m[w * n + k]) as f64 + d(mm, k);
                                    if c < best as f64 {
                                        best = c as f32;
                                    }
                                }
                            }
                            m[u * n + w] = best;
                            m[w * n + u] = best;
                            swap_status[u * n + w] = (swap_l as u8, swap_r as u8);
                            swap_status[w * n + u] = (swap_l as u8, swap_r as u8);
                        }
                    }
                }
            }
            let mut best = (1073741824.0f32, 0, 0);
            for u in range[vl].0..range[vl].1 {
                for w in range[vr].0..range[vr].1 {
                    if m[u * n + w] < best.0 {
                        best = (m[u * n + w], u, w);
                    }
                }
            }
            let st = swap_status[best.1 * n + best.2];
            if vl >= n {
                must_swap[vl - n] = st.0;
            }
            if vr >= n {
                must_swap[vr - n] = st.1;
            }
        }
        // a node is mirrored once for itself and once for each mirrored ancestor
        let mut flips = vec![0u8; n - 1];
        for s in (0..n - 1).rev() {
            flips[s] = (flips[s] + must_swap[s]) % 2;
            let (l, r) = self.children[s];
            for c in [l, r] {
                if c >= n {
                    flips[c - n] = flips[s];
                }
            }
        }
        for s in 0..n - 1 {
            if flips[s] == 1 {
                let (l, r) = self.children[s];
                self.children[s] = (r, l);
            }
        }
    }

    /// Leaves of `node` that can end an order of `node` starting at leaf `i`: `i` itself for a
    /// leaf, else the leaves of the child not holding `i`.
    fn far_side<'a>(&self, node: usize, i: usize, leaves: &'a [Vec<usize>]) -> &'a [usize] {
        match self.children(node) {
            None => &leaves[node],
            Some((c1, c2)) => {
                if leaves[c1].contains(&i) {
                    &leaves[c2]
                } else {
                    &leaves[c1]
                }
            }
        }
    }

    /// The internal nodes above a cut into `k` clusters (the last k − 1 merges) and the k
    /// cluster roots below them (SciPy's `fcluster(Z, k, 'maxclust')` for monotone linkages).
    pub fn cut(&self, k: usize) -> (Vec<usize>, Vec<usize>) {
        let n = self.n;
        let k = k.clamp(1, n.max(1));
        let splits: Vec<usize> = (2 * n - k..2 * n - 1).collect();
        let mut roots = Vec::new();
        let mut stack = vec![self.root()];
        while let Some(v) = stack.pop() {
            if v >= 2 * n - k && v >= n {
                let (l, r) = self.children[v - n];
                stack.push(r);
                stack.push(l);
            } else {
                roots.push(v);
            }
        }
        (splits, roots)
    }

    /// Number of clusters by the two-difference gap statistic (Yue et al. 2008, as Riskfolio's
    /// HERC default): with W_k the within-cluster dispersion Σ_c Σ_{i,j∈c} d_ij / (2|c|) of the
    /// cut into k clusters, k* = argmax_k W_{k−1} + W_{k+1} − 2 W_k over 2 ≤ k ≤ max(2, ⌊√n⌋).
    pub fn two_difference_gap_k(&self) -> usize {
        let n = self.n;
        if n < 3 {
            return n;
        }
        let kmax = ((n as f64).sqrt().floor() as usize).max(2).min(n - 1);
        let w: Vec<f64> = (1..=kmax + 1)
            .map(|k| {
                self.cut(k)
                    .1
                    .iter()
                    .map(|&c| {
                        let members = self.leaves(c);
                        let s: f64 = members
                            .iter()
                            .flat_map(|&i| members.iter().map(move |&j| (i, j)))
                            .map(|(i, j)| self.d(i, j))
                            .sum();
                        s / (2.0 * members.len() as f64)
                    })
                    .sum()
            })
            .collect();
        // w[k − 1] = W_k
        (2..=kmax)
            .max_by(|&a, &b| {
                let g = |k: usize| w[k - 2] + w[k] - 2.0 * w[k - 1];
                g(a).total_cmp(&g(b)).then(b.cmp(&a))
            })
            .unwrap_or(2)
    }

    /// The tree as SciPy's linkage matrix rows (children as currently ordered), with the
    /// assets' names in leaf order.
    pub fn hierarchy(&self, assets: &[String]) -> super::Hierarchy {
        let linkage = self
            .children
            .iter()
            .zip(&self.heights)
            .enumerate()
            .map(|(s, (&(left, right), &height))| super::Merge {
                left,
                right,
                height,
                size: self.leaves(self.n + s).len(),
            })
            .collect();
        super::Hierarchy {
            leaf_order: self.leaf_order().iter().map(|&i| assets[i].clone()).collect(),
            linkage,
        }
    }

    /// Merge heights, in merge order.
    pub fn heights(&self) -> &[f64] {
        &self.heights
    }
}
