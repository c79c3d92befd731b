//! Nonsmooth analysis at eigenvalue crossings (issue 4, item 5).
//!
//! **Hermitian matrices.** Let M(x) be the Hermitian matrix an eigenvalue atom is defined on
//! (the Hermitian part of its argument; [[0, A], [Aᴴ, 0]] for `sigma_max` and `norm_nuc`), with
//! eigenvalues λ₁ ≥ … ≥ λₙ at the point and Mⱼ = ∂M/∂xⱼ for each real coordinate xⱼ (real and
//! imaginary parts of complex entries; computed by forward mode at the point, so M need not be
//! affine). Eigenvalues within the cluster tolerance of each other (consecutive gaps
//! λᵢ − λᵢ₊₁ ≤ `cluster_tol`·max(1, maxᵢ|λᵢ|); default [`DEFAULT_CLUSTER_TOL`]) form a cluster
//! with orthonormal eigenvector basis V (n×k).
//!
//! - **Generalized-gradient matrices** Gⱼ = Vᴴ Mⱼ V (k×k, Hermitian). The Clarke generalized
//!   gradient of λ_max at a k-fold top eigenvalue is {(tr(Gⱼ U))ⱼ : U ⪰ 0, tr U = 1}
//!   (Overton, "Large-scale optimization of eigenvalues", SIAM J. Optim. 2, 1992; Lewis & Overton,
//!   "Eigenvalue optimization", Acta Numerica 1996, §5).
//! - **Directional derivatives** (degenerate perturbation theory; Kato, *Perturbation Theory for
//!   Linear Operators*, II-§5.4; Lewis & Overton 1996, Thm. 5.1): along d, with
//!   Ṁ = Σ dⱼ Mⱼ, the eigenvalues of the cluster move to first order as the eigenvalues
//!   μ₁ ≥ … ≥ μ_k of Vᴴ Ṁ V, in that order: λ_{a+i}(x + t d) = λ_{a+i}(x) + t μ_{i+1} + O(t²) for
//!   t ↓ 0. Each atom takes its share:
//!   - `lambda_max` (and `sigma_max` on the embedding): μ₁ of the top cluster;
//!   - `sum_largest(·, k)`: the traces of the clusters wholly inside the top k, plus the sum of the
//!     largest k − a eigenvalues μ of the cluster that holds λ_k (a = its first index);
//!   - `lambda_min`, `sum_smallest`: the same from the bottom (the smallest μ);
//!   - `norm_nuc` = ½ Σ|λ(E)|: ½·sign(λ)·tr(Vᴴ Ṁ V) for each nonzero cluster and ½ Σ|μ| for the
//!     cluster at 0.
//!
//! The atom is differentiable at the point exactly when the cluster it splits is taken whole
//! (for λ_max: a simple top eigenvalue).
//!
//! **Non-Hermitian matrices** (`analyze --matrix EXPR` of a general square expression: the
//! language's eigenvalue atoms only take Hermitian arguments, so this is where a square matrix that
//! is not Hermitian arises). Eigenvalues and right eigenvectors by faer's general eigensolver;
//! eigenvalues within `nonhermitian_cluster_tol`·max(1, max|λ|) are clustered; a cluster of
//! k ≥ 2 whose unit eigenvectors are nearly parallel (smallest singular value of the n×k matrix of
//! unit eigenvectors ≤ `defect_tol`) is reported as nearly defective: near a Jordan block of size k
//! an O(‖dA‖) perturbation moves the eigenvalues by O(‖dA‖^(1/k)) (Lidskii 1966; Moro, Burke &
//! Overton, SIAM J. Matrix Anal. Appl. 18, 1997), not O(‖dA‖). Also reported: κ(V) = ‖V‖‖V⁻¹‖ of
//! the unit-column eigenvector matrix (Bauer–Fike: eigenvalues of A + E lie within κ(V)‖E‖ of
//! those of A) and each eigenvalue's condition number 1/|yᴴx| (unit left and right vectors).

use super::spectrum::{spectrum, AtomFunction, SpectralAtom};
use crate::cr::{herm_eig, hermitian_defect, propagate, Batch, Coords, Graph, NodeId, Values};
use crate::expr::{parse_expression, Context, Lowerer};
use crate::model::{Problem, Shape, Tensor};
use crate::{Diagnostic, Error};
use faer::Mat;
use num_complex::Complex64 as C64;

/// Default relative tolerance of Hermitian eigenvalue clusters.
pub const DEFAULT_CLUSTER_TOL: f64 = 1e-6;
/// Default relative tolerance of non-Hermitian eigenvalue clusters (computed eigenvalues of a
/// Jordan block of size k split by about ε^(1/k), 6e-6 for k = 3, 1e-4 for k = 4).
pub const DEFAULT_NONHERMITIAN_CLUSTER_TOL: f64 = 1e-3;
/// Default threshold on the smallest singular value of a cluster's unit eigenvectors.
pub const DEFAULT_DEFECT_TOL: f64 = 1e-3;

/// Tolerances of the analysis.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Hermitian clusters: λᵢ − λᵢ₊₁ ≤ cluster_tol·max(1, max|λ|) joins them.
    pub cluster_tol: f64,
    /// Non-Hermitian clusters: |λᵢ − λⱼ| ≤ this·max(1, max|λ|).
    pub nonhermitian_cluster_tol: f64,
    /// Nearly defective: smallest singular value of the cluster's unit eigenvectors ≤ this.
    pub defect_tol: f64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            cluster_tol: DEFAULT_CLUSTER_TOL,
            nonhermitian_cluster_tol: DEFAULT_NONHERMITIAN_CLUSTER_TOL,
            defect_tol: DEFAULT_DEFECT_TOL,
        }
    }
}

/// A cluster of eigenvalues of a Hermitian matrix.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// Index of its first (largest) eigenvalue in the descending order.
    pub first: usize,
    /// Its eigenvalues, descending.
    pub values: Vec<f64>,
    /// Orthonormal basis V (n×k) of its eigenvectors.
    pub basis: Mat<C64>,
}

impl Cluster {
    /// k.
    pub fn multiplicity(&self) -> usize {
        self.values.len()
    }
    /// Index one past its last eigenvalue.
    pub fn end(&self) -> usize {
        self.first + self.values.len()
    }
    /// The mean of its eigenvalues.
    pub fn mean(&self) -> f64 {
        self.values.iter().sum::<f64>() / self.values.len().max(1) as f64
    }
}

/// A Hermitian matrix function at a point: its eigenstructure and, per cluster, its first
/// derivatives restricted to the cluster.
///
/// Only the blocks Vᴴ Mⱼ V of the *tracked* clusters are kept (k² numbers per cluster and
/// coordinate), never the n×n matrices Mⱼ themselves: [`analyze`] streams the Mⱼ in chunks of
/// coordinates and tracks only the clusters its atom needs (for λ_max: the top cluster; for
/// `sum_largest(·, k)`: the clusters down to the one holding λ_k; for `norm_nuc`: all), so the cost
/// per coordinate is O(n²·k), not O(n³), and large matrices with many coordinates fit in memory.
#[derive(Clone, Debug)]
pub struct HermitianAnalysis {
    /// M at the point (its Hermitian part).
    pub matrix: Mat<C64>,
    /// Eigenvalues, descending.
    pub values: Vec<f64>,
    /// Orthonormal eigenvectors in the same order (columns).
    pub vectors: Mat<C64>,
    /// The clusters, top to bottom.
    pub clusters: Vec<Cluster>,
    /// `blocks[c][j]` = Vᴴ Mⱼ V for cluster c and coordinate j (Hermitian part); empty for a
    /// cluster that is not tracked.
    pub blocks: Vec<Vec<Mat<C64>>>,
    /// Which clusters get their blocks.
    pub tracked: Vec<bool>,
}

fn herm(m: &Mat<C64>) -> Mat<C64> {
    let n = m.nrows();
    Mat::from_fn(n, n, |i, j| (m[(i, j)] + m[(j, i)].conj()) * 0.5)
}

fn eig_desc_herm(m: &Mat<C64>) -> Result<(Vec<f64>, Mat<C64>), String> {
    let e = herm_eig(m.as_ref())?;
    let n = e.values.len();
    let values = (0..n).map(|i| e.values[n - 1 - i]).collect();
    let vectors = Mat::from_fn(n, n, |i, j| e.vectors[(i, n - 1 - j)]);
    Ok((values, vectors))
}

impl HermitianAnalysis {
    /// Decomposes M (its Hermitian part) and clusters its eigenvalues; derivatives are added
    /// with [`Self::push_derivative`].
    pub fn decompose(matrix: Mat<C64>, cluster_tol: f64) -> Result<HermitianAnalysis, String> {
        let matrix = herm(&matrix);
        let (values, vectors) = eig_desc_herm(&matrix)?;
        let n = values.len();
        let scale = values.iter().fold(1.0f64, |s, v| s.max(v.abs()));
        let tol = cluster_tol * scale;
        let mut clusters = Vec::new();
        let mut i = 0;
        while i < n {
            let mut j = i + 1;
            while j < n && values[j - 1] - values[j] <= tol {
                j += 1;
            }
            clusters.push(Cluster {
                first: i,
                values: values[i..j].to_vec(),
                basis: vectors.subcols(i, j - i).to_owned(),
            });
            i = j;
        }
        let blocks = vec![Vec::new(); clusters.len()];
        let tracked = vec![false; clusters.len()];
        Ok(HermitianAnalysis {
            matrix,
            values,
            vectors,
            clusters,
            blocks,
            tracked,
        })
    }
    /// Decomposes M and restricts the given derivatives Mⱼ (one per coordinate) to its clusters.
    pub fn new(
        matrix: Mat<C64>,
        derivatives: Vec<Mat<C64>>,
        cluster_tol: f64,
    ) -> Result<HermitianAnalysis, String> {
        let mut h = HermitianAnalysis::decompose(matrix, cluster_tol)?;
        h.tracked.iter_mut().for_each(|t| *t = true);
        for d in &derivatives {
            h.push_derivative(d);
        }
        Ok(h)
    }
    /// Adds the derivative along the next coordinate: stores Vᴴ Mⱼ V for every tracked cluster
    /// (set [`Self::tracked`] before the first call).
    pub fn push_derivative(&mut self, mj: &Mat<C64>) {
        let mj = herm(mj);
        for (c, cl) in self.clusters.iter().enumerate() {
            if self.tracked[c] {
                let v = &cl.basis;
                self.blocks[c].push(herm(&(v.adjoint() * &mj * v)));
            }
        }
    }
    /// The cluster that holds eigenvalue i (descending order).
    pub fn cluster_of(&self, i: usize) -> usize {
        self.clusters
            .iter()
            .position(|c| i < c.end())
            .unwrap_or(self.clusters.len().saturating_sub(1))
    }
    /// The generalized-gradient matrices Gⱼ = Vᴴ Mⱼ V of cluster c, one per coordinate.
    pub fn gradient_matrices(&self, c: usize) -> Vec<Mat<C64>> {
        self.blocks[c].clone()
    }
    /// Eigenvalues (descending) of Vᴴ Ṁ V = Σ dⱼ Gⱼ for cluster c: the first-order speeds of
    /// its eigenvalues along d, in order (all zero for a cluster that is not tracked).
    pub fn cluster_speeds(&self, c: usize, d: &[f64]) -> Vec<f64> {
        let k = self.clusters[c].multiplicity();
        let mut r = Mat::<C64>::zeros(k, k);
        for (dj, g) in d.iter().zip(&self.blocks[c]) {
            if *dj != 0.0 {
                r += g * faer::Scale(C64::new(*dj, 0.0));
            }
        }
        eig_desc_herm(&r).map(|e| e.0).unwrap_or_default()
    }
    /// The first-order speed of every eigenvalue along d (descending order of the eigenvalues).
    pub fn speeds(&self, d: &[f64]) -> Vec<f64> {
        (0..self.clusters.len())
            .flat_map(|c| self.cluster_speeds(c, d))
            .collect()
    }
}

/// The analysis of one atom.
#[derive(Clone, Debug)]
pub struct AtomAnalysis {
    /// The atom and its spectrum ([`super::spectrum`]).
    pub atom: SpectralAtom,
    /// The Hermitian matrix analyzed: `"A"` (its Hermitian part) or `"[[0, A], [Aᴴ, 0]]"`.
    pub on: &'static str,
    /// The analysis (None for generalized eigenvalues, not analyzed).
    pub hermitian: Option<HermitianAnalysis>,
    /// The cluster the atom splits (the one that holds its boundary eigenvalue); for `norm_nuc`,
    /// the cluster at 0 if any.
    pub active: Option<usize>,
    /// Whether the atom is differentiable at the point.
    pub smooth: bool,
    /// Which eigenvalues of the active cluster the atom takes, in words.
    pub role: String,
}

impl AtomAnalysis {
    /// The one-sided directional derivative φ′(x; d) (None when not analyzed).
    pub fn directional_derivative(&self, d: &[f64]) -> Option<f64> {
        let h = self.hermitian.as_ref()?;
        let n = h.values.len();
        let trace = |c: usize| h.cluster_speeds(c, d).iter().sum::<f64>();
        let top = |k: usize| {
            let c = h.cluster_of(k - 1);
            let a = h.clusters[c].first;
            let above: f64 = (0..c).map(trace).sum();
            above + h.cluster_speeds(c, d)[..k - a].iter().sum::<f64>()
        };
        let bottom = |k: usize| {
            let i = n - k;
            let c = h.cluster_of(i);
            let b = h.clusters[c].end();
            let below: f64 = (c + 1..h.clusters.len()).map(trace).sum();
            let s = h.cluster_speeds(c, d);
            below + s[s.len() - (b - i)..].iter().sum::<f64>()
        };
        Some(match self.atom.function {
            AtomFunction::LambdaMax | AtomFunction::SigmaMax => top(1),
            AtomFunction::SumLargest(k) => top(k),
            AtomFunction::LambdaMin => bottom(1),
            AtomFunction::SumSmallest(k) => bottom(k),
            AtomFunction::NormNuc => {
                let mut s = 0.0;
                for (c, cl) in h.clusters.iter().enumerate() {
                    if Some(c) == self.active {
                        s += 0.5 * h.cluster_speeds(c, d).iter().map(|m| m.abs()).sum::<f64>();
                    } else {
                        s += 0.5 * cl.mean().signum() * trace(c);
                    }
                }
                s
            }
            AtomFunction::GenLambdaMax | AtomFunction::GenLambdaMin => return None,
        })
    }
}

/// Eigen-analysis of a general (non-Hermitian) square matrix.
#[derive(Clone, Debug)]
pub struct GeneralAnalysis {
    /// Eigenvalues (faer's order sorted by decreasing real part, then imaginary part).
    pub eigenvalues: Vec<C64>,
    /// Unit right eigenvectors (columns, same order).
    pub vectors: Mat<C64>,
    /// κ(V) = σ_max(V)/σ_min(V) of the unit-column eigenvector matrix (∞ when singular).
    pub eigenvector_condition: f64,
    /// 1/|yᵢᴴxᵢ| per eigenvalue (unit left and right eigenvectors; ∞ when 0).
    pub eigenvalue_conditions: Vec<f64>,
    /// Clusters: indices into `eigenvalues`, with the smallest singular value of their unit
    /// eigenvectors.
    pub clusters: Vec<(Vec<usize>, f64)>,
    /// The warnings (nearly defective clusters).
    pub warnings: Vec<String>,
}

/// Analyzes a general square matrix.
pub fn analyze_general(a: &Mat<C64>, opts: &Options) -> Result<GeneralAnalysis, String> {
    let n = a.nrows();
    if !a.as_ref().is_all_finite() {
        return Err("the matrix has non-finite entries".into());
    }
    let e = a
        .eigen()
        .map_err(|e| format!("the eigenvalue solver did not converge ({e:?})"))?;
    let mut order: Vec<usize> = (0..n).collect();
    let s = e.S();
    let u = e.U();
    order.sort_by(|&i, &j| {
        s[j].re
            .partial_cmp(&s[i].re)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(
                s[j].im
                    .partial_cmp(&s[i].im)
                    .unwrap_or(std::cmp::Ordering::Equal),
            )
    });
    let eigenvalues: Vec<C64> = order.iter().map(|&i| s[i]).collect();
    let mut vectors = Mat::from_fn(n, n, |r, c| u[(r, order[c])]);
    for c in 0..n {
        let nrm = vectors.col(c).norm_l2();
        if nrm > 0.0 {
            for r in 0..n {
                vectors[(r, c)] /= nrm;
            }
        }
    }
    let sv = |m: &Mat<C64>| -> Vec<f64> { m.singular_values().unwrap_or_default() };
    let s_all = sv(&vectors);
    let eigenvector_condition = match (s_all.first(), s_all.last()) {
        (Some(&hi), Some(&lo)) if lo > 0.0 => hi / lo,
        _ => f64::INFINITY,
    };
    // Left eigenvectors: rows of V⁻¹ (yᵢᴴ V = eᵢᵀ), so yᵢᴴxᵢ = 1 for unnormalized yᵢ and the
    // condition number is ‖yᵢ‖·‖xᵢ‖ = ‖row i of V⁻¹‖.
    let eigenvalue_conditions: Vec<f64> = if eigenvector_condition.is_finite() {
        let lu = vectors.partial_piv_lu();
        use faer::linalg::solvers::DenseSolveCore;
        let inv = lu.inverse();
        (0..n)
            .map(|i| inv.row(i).norm_l2())
            .map(|v| if v.is_finite() { v } else { f64::INFINITY })
            .collect()
    } else {
        vec![f64::INFINITY; n]
    };
    let scale = eigenvalues.iter().fold(1.0f64, |m, v| m.max(v.norm()));
    let tol = opts.nonhermitian_cluster_tol * scale;
    // Single-linkage clusters.
    let mut label: Vec<usize> = (0..n).collect();
    for i in 0..n {
        for j in i + 1..n {
            if (eigenvalues[i] - eigenvalues[j]).norm() <= tol {
                let (li, lj) = (label[i], label[j]);
                for l in label.iter_mut() {
                    if *l == lj {
                        *l = li;
                    }
                }
            }
        }
    }
    let mut clusters = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = vec![false; n];
    for i in 0..n {
        if seen[label[i]] {
            continue;
        }
        seen[label[i]] = true;
        let idx: Vec<usize> = (0..n).filter(|&j| label[j] == label[i]).collect();
        let vc = Mat::from_fn(n, idx.len(), |r, c| vectors[(r, idx[c])]);
        let smin = sv(&vc).last().copied().unwrap_or(0.0);
        let k = idx.len();
        if k >= 2 && smin <= opts.defect_tol {
            let mean = idx.iter().map(|&j| eigenvalues[j]).sum::<C64>() / k as f64;
            warnings.push(format!(
                "{k} eigenvalues near {:.6} {} {:.6}i are nearly defective (their unit eigenvectors \
                 are nearly parallel: smallest singular value {smin:.1e} ≤ {:.0e}); near a Jordan \
                 block of size {k} a perturbation dA moves them by O(‖dA‖^(1/{k})), not O(‖dA‖)",
                mean.re,
                if mean.im < 0.0 { '-' } else { '+' },
                mean.im.abs(),
                opts.defect_tol
            ));
        }
        clusters.push((idx, smin));
    }
    Ok(GeneralAnalysis {
        eigenvalues,
        vectors,
        eigenvector_condition,
        eigenvalue_conditions,
        clusters,
        warnings,
    })
}

/// An `--matrix` expression analyzed at the point.
#[derive(Clone, Debug)]
pub enum MatrixAnalysis {
    /// Hermitian within the contract's tolerance: clusters and gradient matrices.
    Hermitian(HermitianAnalysis),
    /// Not Hermitian: eigenvalue conditioning and nearly defective clusters.
    General(GeneralAnalysis),
}

/// The whole analysis at a point.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Names of the real coordinates (`x[0]`, `re z[1]`, `im z[1]`, `X[0, 1]`, …).
    pub coordinates: Vec<String>,
    /// The coordinates of the point.
    pub x: Vec<f64>,
    /// One analysis per spectral atom.
    pub atoms: Vec<AtomAnalysis>,
    /// The tolerances used.
    pub options: Options,
}

/// Names of the real coordinates of a problem.
pub fn coordinate_names(problem: &Problem) -> Vec<String> {
    let coords = Coords::new(&problem.var_types());
    coords
        .dirs
        .iter()
        .map(|&(v, e, im)| {
            let var = &problem.variables[v];
            let name = match var.ty.shape {
                Shape::Scalar => var.name.clone(),
                Shape::Vector(_) => format!("{}[{e}]", var.name),
                Shape::Matrix(m, _) => format!("{}[{}, {}]", var.name, e % m, e / m),
            };
            if var.ty.real {
                name
            } else if im {
                format!("im {name}")
            } else {
                format!("re {name}")
            }
        })
        .collect()
}

/// Bytes of tangents propagated at once by [`analyze`] (per node of the graph).
const CHUNK_BYTES: usize = 64 << 20;

/// The value of `node` at x.
fn matrix_at(g: &Graph, node: NodeId, coords: &Coords, x: &[f64]) -> Result<Mat<C64>, Error> {
    let mut values = Values::new(g, &coords.tensors(x), &[]);
    Ok(values.ensure_get(g, node)?.as_mat().to_owned())
}

/// The Hermitian analysis of `node` at x with its derivative along every real coordinate,
/// propagated by forward mode in chunks of coordinates (at most [`CHUNK_BYTES`] of tangents of
/// the node per chunk) and restricted to the clusters at once.
fn hermitian_at(
    g: &Graph,
    node: NodeId,
    coords: &Coords,
    x: &[f64],
    cluster_tol: f64,
    track: impl Fn(&HermitianAnalysis) -> Vec<bool>,
) -> Result<HermitianAnalysis, Error> {
    let mut values = Values::new(g, &coords.tensors(x), &[]);
    let t = values.ensure_get(g, node)?;
    let (r, c) = (t.shape().rows(), t.shape().cols());
    let mut h = HermitianAnalysis::decompose(t.as_mat().to_owned(), cluster_tol)
        .map_err(|m| Error::from(crate::cr::EvalError { node, message: m }))?;
    h.tracked = track(&h);
    let n = coords.len();
    let chunk = (CHUNK_BYTES / (16 * (r * c).max(1))).clamp(1, n.max(1));
    let mut start = 0;
    while start < n {
        let end = (start + chunk).min(n);
        let k = end - start;
        let tangents: Vec<Option<Batch>> = coords
            .vars
            .iter()
            .enumerate()
            .map(|(i, (_, ty))| {
                let m = ty.shape.numel();
                let mut b = Batch::zeros(m, k);
                for (jj, &(v, e, im)) in coords.dirs[start..end].iter().enumerate() {
                    if v == i {
                        b.data[e + jj * m] = if im {
                            C64::new(0.0, 1.0)
                        } else {
                            C64::new(1.0, 0.0)
                        };
                    }
                }
                Some(b)
            })
            .collect();
        let out = propagate(g, &[node], &mut values, &tangents, &[])?;
        let batch = out.get(node).and_then(|b| b.as_ref());
        for jj in 0..k {
            let d = match batch {
                Some(b) => {
                    let col = b.col(jj);
                    Mat::from_fn(r, c, |i, kk| col[i + kk * r])
                }
                None => Mat::zeros(r, c),
            };
            h.push_derivative(&d);
        }
        start = end;
    }
    Ok(h)
}

/// Analyzes every spectral atom of `problem` at `point` (stacked as in
/// [`Problem::initial_point`]).
///
/// ```
/// use wirtinger::eig::nonsmooth::{analyze, Options};
/// let toml = r#"
/// [variables]
/// x = { type = "real", shape = [1] }
/// [data]
/// A0 = [[1.0, 0.0], [0.0, 1.0]]
/// A1 = [[1.0, 0.0], [0.0, -1.0]]
/// [objective]
/// minimize = "lambda_max(A0 + x[0] * A1)"
/// "#;
/// let p = wirtinger::io::parse_problem(toml, "p.toml".as_ref()).unwrap();
/// // at x = 0 the top eigenvalue 1 is double: λ_max(x) = 1 + |x|
/// let a = analyze(&p, &p.initial_point(), &Options::default()).unwrap();
/// let at = &a.atoms[0];
/// assert!(!at.smooth);
/// assert_eq!(at.hermitian.as_ref().unwrap().clusters[0].multiplicity(), 2);
/// assert!((at.directional_derivative(&[1.0]).unwrap() - 1.0).abs() < 1e-14);
/// assert!((at.directional_derivative(&[-1.0]).unwrap() - 1.0).abs() < 1e-14);
/// ```
pub fn analyze(problem: &Problem, point: &[C64], opts: &Options) -> Result<Analysis, Error> {
    let spec = spectrum(problem, point)?;
    let coords = Coords::new(&problem.var_types());
    let x = coords.coordinates(point);
    let g = &problem.graph;
    let mut atoms = Vec::new();
    for atom in spec.atoms {
        let f = atom.function;
        if matches!(f, AtomFunction::GenLambdaMax | AtomFunction::GenLambdaMin) {
            atoms.push(AtomAnalysis {
                atom,
                on: "A",
                hermitian: None,
                active: None,
                smooth: false,
                role: "generalized eigenvalues are not analyzed".into(),
            });
            continue;
        }
        // SpectralValue(Herm(A)) or SpectralValue(Embed(A)): the Hermitian matrix is the
        // node's argument.
        let mnode = g.node(atom.node).args[0];
        let h = hermitian_at(g, mnode, &coords, &x, opts.cluster_tol, |h| {
            let nc = h.clusters.len();
            let n = h.values.len();
            (0..nc)
                .map(|c| match f {
                    AtomFunction::LambdaMax | AtomFunction::SigmaMax => c == 0,
                    AtomFunction::SumLargest(k) => c <= h.cluster_of(k - 1),
                    AtomFunction::LambdaMin => c + 1 == nc,
                    AtomFunction::SumSmallest(k) => c >= h.cluster_of(n - k),
                    _ => true,
                })
                .collect()
        })?;
        let n = h.values.len();
        let (active, smooth, role) = match f {
            AtomFunction::LambdaMax | AtomFunction::SigmaMax => {
                let c = h.cluster_of(0);
                (
                    Some(c),
                    h.clusters[c].multiplicity() == 1,
                    "the largest eigenvalue of Vᴴ Ṁ V on the top cluster".to_string(),
                )
            }
            AtomFunction::SumLargest(k) => {
                let c = h.cluster_of(k - 1);
                let a = h.clusters[c].first;
                (
                    Some(c),
                    h.clusters[c].end() == k,
                    format!(
                        "the traces of the clusters above, plus the sum of the {} largest eigenvalues of Vᴴ Ṁ V on the cluster holding λ_{k}",
                        k - a
                    ),
                )
            }
            AtomFunction::LambdaMin => {
                let c = h.cluster_of(n - 1);
                (
                    Some(c),
                    h.clusters[c].multiplicity() == 1,
                    "the smallest eigenvalue of Vᴴ Ṁ V on the bottom cluster".to_string(),
                )
            }
            AtomFunction::SumSmallest(k) => {
                let c = h.cluster_of(n - k);
                let b = h.clusters[c].end();
                (
                    Some(c),
                    h.clusters[c].first == n - k,
                    format!(
                        "the traces of the clusters below, plus the sum of the {} smallest eigenvalues of Vᴴ Ṁ V on the cluster holding λ_{}",
                        b - (n - k),
                        n - k + 1
                    ),
                )
            }
            AtomFunction::NormNuc => {
                let scale = h.values.iter().fold(1.0f64, |s, v| s.max(v.abs()));
                let c = h
                    .clusters
                    .iter()
                    .position(|c| c.values.iter().any(|v| v.abs() <= opts.cluster_tol * scale));
                (
                    c,
                    c.is_none(),
                    "½·sign(λ)·tr(Vᴴ Ṁ V) per nonzero cluster, ½ Σ|μ| of Vᴴ Ṁ V on the cluster at 0"
                        .to_string(),
                )
            }
            AtomFunction::GenLambdaMax | AtomFunction::GenLambdaMin => (None, false, String::new()),
        };
        atoms.push(AtomAnalysis {
            atom,
            on: if f.singular() {
                "[[0, A], [Aᴴ, 0]]"
            } else {
                "A"
            },
            hermitian: Some(h),
            active,
            smooth,
            role,
        });
    }
    Ok(Analysis {
        coordinates: coordinate_names(problem),
        x,
        atoms,
        options: *opts,
    })
}

/// Analyzes a square matrix expression `expr` (over the problem's data and variables) at the
/// point: Hermitian within the contract's tolerance (‖M − Mᴴ‖_F ≤ 1e-8‖M‖_F) → clusters and
/// derivatives; otherwise the non-Hermitian analysis.
pub fn analyze_matrix(
    problem: &Problem,
    point: &[C64],
    expr: &str,
    opts: &Options,
) -> Result<MatrixAnalysis, Error> {
    let bad = |m: String| -> Error { Diagnostic::new(format!("`--matrix {expr}`: {m}")).into() };
    let e = parse_expression(expr).map_err(|e| bad(e.message))?;
    let mut g = problem.graph.clone();
    let vars = problem.var_types();
    let node = Lowerer::new(&mut g, &vars, &problem.data, Context::Objective)
        .lower(&e)
        .map_err(|e| bad(e.message))?;
    let shape = g.shape(node);
    if !matches!(shape, Shape::Matrix(r, c) if r == c) && !shape.is_scalar() {
        return Err(bad(format!("needs a square matrix, got shape {shape}")));
    }
    if point.len() != problem.dim() {
        return Err(bad("the point does not match the variables".into()));
    }
    let coords = Coords::new(&vars);
    let x = coords.coordinates(point);
    let m = matrix_at(&g, node, &coords, &x)?;
    let t = Tensor::from_mat(Shape::Matrix(m.nrows(), m.ncols()), m.as_ref());
    if hermitian_defect(&t) <= crate::cr::HERMITIAN_TOL {
        // the multiple clusters only: simple eigenvalues are differentiable
        hermitian_at(&g, node, &coords, &x, opts.cluster_tol, |h| {
            h.clusters.iter().map(|c| c.multiplicity() > 1).collect()
        })
        .map(MatrixAnalysis::Hermitian)
    } else {
        analyze_general(&m, opts)
            .map(MatrixAnalysis::General)
            .map_err(bad)
    }
}
