//! The conic program handed to Clarabel: minimize qᵀy subject to A·y + s = b, s ∈ K, with
//! y = (x, auxiliary variables) and K a product of zero, nonnegative, second-order and PSD
//! cones (Clarabel's form with P = 0).
//!
//! Reformulations (Ben-Tal & Nemirovski, *Lectures on Modern Convex Optimization*, 2001, §4.2;
//! Boyd & Vandenberghe, *Convex Optimization*, §4.6 and exercise 4.42):
//! - **Hermitian → real symmetric**: PSD cones are real, so a Hermitian H = X + iY of size n
//!   becomes R(H) = [[X, −Y], [Y, X]] of size 2n, which has every eigenvalue of H twice
//!   (multiplicity m = 2; m = 1 for real H, used as is). Hence λ_max(H) = λ_max(R(H)),
//!   sum_largest(H, k) = ½·sum_largest(R(H), 2k) and Σ|λ(H)| = ½·Σ|λ(R(H))|.
//! - **λ_max(S) ≤ t** ⟺ tI − S ⪰ 0.
//! - **sum_largest(S, K) ≤ t** ⟸ t ≥ K·s + tr Z, Z ⪰ 0, Z − S + sI ⪰ 0, and the minimum over
//!   (s, Z) is sum_largest(S, K) (Ky Fan; Ben-Tal & Nemirovski, Prop. 4.2.1). For K ≥ size,
//!   the sum of all eigenvalues is tr S, affine.
//! - **σ_max(A)** = λ_max([[0, A], [Aᴴ, 0]]), so tI − [[0, A], [Aᴴ, 0]] ⪰ 0, i.e.
//!   [[tI, −A], [−Aᴴ, tI]] ⪰ 0, equivalent to [[tI, A], [Aᴴ, tI]] ⪰ 0.
//! - **norm_nuc(A)** = ½ Σ|λ(E)| for E = [[0, A], [Aᴴ, 0]], and Σ|λ(S)| = min 2 tr P − tr S over
//!   P ⪰ 0, P − S ⪰ 0 (split S = P − N with N = P − S ⪰ 0; the minimum takes P = S₊). With
//!   the real embedding, norm_nuc(A) = ½ · (1/m) · Σ|λ(R(E))|.
//! - **‖a‖₂ ≤ t** ⟺ (t, Re a, Im a) ∈ SOC; **Σ|aᵢ|** with tᵢ ≥ |aᵢ| (two linear inequalities for
//!   real aᵢ, SOC(3) for complex); **‖a‖² ≤ t** ⟺ (t + 1, t − 1, 2 Re a, 2 Im a) ∈ SOC.
//! - linear constraints: zero cone for `==` (real and imaginary parts), nonnegative for `<=`.
//! - **generalized eigenvalues** ([`super::generalized`]): a constraint λ_max(K, M) ≤ c is the
//!   LMI cM(x) − K(x) ⪰ 0; the objective min c·λ_max(K̃, M(x)) + d is max s over
//!   M(x) − sK̃ ⪰ 0 (or sK̃ − M(x) ⪰ 0), with objective −s, and the domain LMI M(x) ⪰ 0 where
//!   needed. An LMI whose matrix is diagonal for every x is n nonnegative rows instead of a PSD
//!   block (a diagonal matrix is PSD iff its diagonal is nonnegative).
//!
//! Clarabel's `PSDTriangleConeT(n)` holds svec(S): the upper triangle column by column,
//! off-diagonals times √2, so that ⟨svec X, svec Y⟩ = tr XY.

use super::affine::AffineMap;
use super::generalized::{is_diagonal, objective_lmi};
use super::recognize::{AtomKind, ConvexExpr, Linear, Recognized};
use clarabel::algebra::CscMatrix;
use clarabel::solver::SupportedConeT;
use num_complex::Complex64 as C64;

/// c₀ + Σ cᵢ yᵢ over the conic program's variables y.
#[derive(Clone, Debug, Default)]
pub struct Lin {
    /// The constant.
    pub c0: f64,
    /// (variable, coefficient) pairs (repeats add up).
    pub terms: Vec<(usize, f64)>,
}

/// Clarabel's (A, b) for rows whose values must lie in the cones: s = b − A y is the row value,
/// so b = c₀ and A = −coefficients (repeated coefficients of one variable add up, zero
/// coefficients are skipped), A as CSC with `nv` columns.
///
/// ```
/// use wirtinger::eig::conic::{constraint_matrix, Lin};
/// // Rows 1 + 2y₀ − y₁ + y₁ and 3y₁: A = −[[2, 0], [0, 3]], b = (1, 0).
/// let rows = [
///     Lin { c0: 1.0, terms: vec![(0, 2.0), (1, -1.0), (1, 1.0)] },
///     Lin { c0: 0.0, terms: vec![(1, 3.0)] },
/// ];
/// let (a, b) = constraint_matrix(&rows, 2);
/// assert_eq!(b, vec![1.0, 0.0]);
/// assert_eq!(a.nzval, vec![-2.0, 0.0, -3.0]);
/// ```
pub fn constraint_matrix(rows: &[Lin], nv: usize) -> (CscMatrix<f64>, Vec<f64>) {
    let m = rows.len();
    let mut cols: Vec<Vec<(usize, f64)>> = vec![Vec::new(); nv];
    let mut rhs = Vec::with_capacity(m);
    for (i, r) in rows.iter().enumerate() {
        rhs.push(r.c0);
        for &(j, a) in &r.terms {
            if a != 0.0 {
                cols[j].push((i, -a));
            }
        }
    }
    let (mut colptr, mut rowval, mut nzval) = (vec![0], Vec::new(), Vec::new());
    for col in &mut cols {
        col.sort_by_key(|&(i, _)| i);
        let mut last: Option<usize> = None;
        for &(i, a) in col.iter() {
            if last == Some(i) {
                if let Some(v) = nzval.last_mut() {
                    *v += a;
                }
            } else {
                rowval.push(i);
                nzval.push(a);
                last = Some(i);
            }
        }
        colptr.push(rowval.len());
    }
    (CscMatrix::new(m, nv, colptr, rowval, nzval), rhs)
}

impl Lin {
    fn var(j: usize, c: f64) -> Lin {
        Lin {
            c0: 0.0,
            terms: vec![(j, c)],
        }
    }
    fn add(&mut self, other: &Lin, c: f64) {
        self.c0 += c * other.c0;
        self.terms
            .extend(other.terms.iter().map(|&(j, a)| (j, c * a)));
    }
    /// The value at y.
    pub fn eval(&self, y: &[f64]) -> f64 {
        self.terms.iter().fold(self.c0, |s, &(j, a)| s + a * y[j])
    }
}

/// The conic program and how to read its solution.
pub struct Conic {
    /// Objective coefficients over y.
    pub q: Vec<f64>,
    /// Constant added to qᵀy (the objective's constant term).
    pub offset: f64,
    /// Constraint matrix, rows in cone order.
    pub a: CscMatrix<f64>,
    /// Right-hand side.
    pub b: Vec<f64>,
    /// The cones.
    pub cones: Vec<SupportedConeT<f64>>,
    /// Number of real coordinates of the problem's variables (the first entries of y).
    pub n_coords: usize,
    /// Largest PSD block.
    pub max_psd: usize,
    /// For each atom of the objective, the bound (epigraph expression) in y.
    pub objective_bounds: Vec<Lin>,
    /// For each convex constraint, the bound of each of its atoms.
    pub constraint_bounds: Vec<Vec<Lin>>,
    /// Rows (of `a`, `b` and the dual z) that each objective atom's cones occupy, in atom order
    /// (empty for an atom with no cone, e.g. the affine trace when k·m ≥ size).
    pub objective_rows: Vec<std::ops::Range<usize>>,
    /// The same for the atoms of each convex constraint.
    pub constraint_rows: Vec<Vec<std::ops::Range<usize>>>,
    /// For each linear constraint (in `Recognized::linear` order), for each entry, the row of its
    /// real part and of its imaginary part (`None`: no row, because the part is identically
    /// zero, or it is an inequality's imaginary part).
    pub linear_rows: Vec<Vec<(Option<usize>, Option<usize>)>>,
    /// Row of each convex constraint's inequality `bound ≤ 0`, in `Recognized::convex` order.
    pub convex_rows: Vec<Option<usize>>,
    /// The generalized eigenvalue objective's rows (`Recognized::quasi`).
    pub quasi: Option<QuasiRows>,
    /// The rows of each generalized eigenvalue constraint, in `Recognized::generalized` order.
    pub generalized_rows: Vec<GenRows>,
}

/// The rows of one LMI G(y) ⪰ 0 of a Hermitian n×n map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LmiRows {
    /// Rows of `a`, `b` and the dual z.
    pub rows: std::ops::Range<usize>,
    /// Size n of the Hermitian matrix.
    pub n: usize,
    /// Whether it is the real embedding of a complex map (a PSD block of size 2n).
    pub embedded: bool,
    /// Whether the map is diagonal (n nonnegative rows, the diagonal, instead of a PSD block).
    pub diagonal: bool,
}

/// Where the generalized eigenvalue objective lives in the conic program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuasiRows {
    /// Index of s = 1/λ in y.
    pub s: usize,
    /// The main LMI ([`super::generalized::objective_lmi`]).
    pub main: LmiRows,
    /// The domain LMI M(x) ⪰ 0, when present.
    pub domain: Option<LmiRows>,
}

/// Where a generalized eigenvalue constraint lives in the conic program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenRows {
    /// The LMI c·M − K ⪰ 0 (or K − c·M ⪰ 0).
    pub main: LmiRows,
    /// The domain LMI M(x) ⪰ 0, when present.
    pub domain: Option<LmiRows>,
}

struct Builder {
    nvars: usize,
    rows: Vec<Lin>,
    cones: Vec<SupportedConeT<f64>>,
    max_psd: usize,
}

fn part(v: C64, im: bool) -> f64 {
    if im {
        v.im
    } else {
        v.re
    }
}

/// Entry e of an affine map (real or imaginary part) as a [`Lin`] over the coordinates.
fn entry(map: &AffineMap, e: usize, im: bool, scale: f64) -> Lin {
    Lin {
        c0: scale * part(map.c0[e], im),
        terms: map.rows[e]
            .iter()
            .filter(|(_, a)| part(*a, im) != 0.0)
            .map(|&(j, a)| (j, scale * part(a, im)))
            .collect(),
    }
}

/// The real symmetric matrix S(x) of a Hermitian affine map: itself when real, else
/// R(H) = [[Re H, −Im H], [Im H, Re H]].
struct SymMap<'a> {
    h: &'a AffineMap,
    n: usize,
    /// 1 (real) or 2 (embedded).
    mult: usize,
}

impl SymMap<'_> {
    fn new(h: &AffineMap) -> SymMap<'_> {
        let n = h.shape.rows();
        SymMap {
            h,
            n,
            mult: if h.is_complex() { 2 } else { 1 },
        }
    }
    fn size(&self) -> usize {
        self.n * self.mult
    }
    /// S(x)ᵣ꜀ · scale.
    fn at(&self, r: usize, c: usize, scale: f64) -> Lin {
        let n = self.n;
        if self.mult == 1 {
            return entry(self.h, r + c * n, false, scale);
        }
        let (bi, i) = (r / n, r % n);
        let (bj, j) = (c / n, c % n);
        let e = i + j * n;
        match (bi, bj) {
            (0, 0) | (1, 1) => entry(self.h, e, false, scale),
            (1, 0) => entry(self.h, e, true, scale),
            _ => entry(self.h, e, true, -scale),
        }
    }
    fn trace(&self) -> Lin {
        let mut t = Lin::default();
        for i in 0..self.size() {
            t.add(&self.at(i, i, 1.0), 1.0);
        }
        t
    }
}

impl Builder {
    fn var(&mut self) -> usize {
        self.nvars += 1;
        self.nvars - 1
    }
    /// A symmetric matrix variable of size p: index of entry (i, j), i ≤ j, at `i + j(j+1)/2`.
    fn sym_var(&mut self, p: usize) -> Vec<usize> {
        (0..p * (p + 1) / 2).map(|_| self.var()).collect()
    }
    fn block(&mut self, cone: SupportedConeT<f64>, rows: Vec<Lin>) {
        if rows.is_empty() {
            return;
        }
        self.rows.extend(rows);
        self.cones.push(cone);
    }
    /// M ⪰ 0 for the symmetric matrix with entries `m(r, c)` (r ≤ c) of size p.
    fn psd(&mut self, p: usize, m: impl Fn(usize, usize) -> Lin) {
        if p == 1 {
            let r = m(0, 0);
            self.block(SupportedConeT::NonnegativeConeT(1), vec![r]);
            return;
        }
        self.max_psd = self.max_psd.max(p);
        let mut rows = Vec::with_capacity(p * (p + 1) / 2);
        for c in 0..p {
            for r in 0..=c {
                let mut l = m(r, c);
                if r != c {
                    l.c0 *= std::f64::consts::SQRT_2;
                    l.terms
                        .iter_mut()
                        .for_each(|(_, a)| *a *= std::f64::consts::SQRT_2);
                }
                rows.push(l);
            }
        }
        self.block(SupportedConeT::PSDTriangleConeT(p), rows);
    }
    /// G(y) ⪰ 0 for a Hermitian affine map G over y: a PSD block (real embedding when
    /// complex), or the nonnegative diagonal when G is diagonal.
    fn lmi(&mut self, g: &AffineMap) -> LmiRows {
        let start = self.rows.len();
        let n = g.shape.rows();
        if is_diagonal(g) {
            let rows = (0..n).map(|i| entry(g, i * (n + 1), false, 1.0)).collect();
            self.block(SupportedConeT::NonnegativeConeT(n), rows);
            return LmiRows {
                rows: start..self.rows.len(),
                n,
                embedded: false,
                diagonal: true,
            };
        }
        let s = SymMap::new(g);
        let p = s.size();
        self.psd(p, |r, c| s.at(r, c, 1.0));
        LmiRows {
            rows: start..self.rows.len(),
            n,
            embedded: s.mult == 2,
            diagonal: false,
        }
    }
    /// An expression in y bounding the atom from above, exact at the optimum.
    fn epigraph(&mut self, kind: &AtomKind, arg: &AffineMap) -> Lin {
        match kind {
            AtomKind::Largest(k) => {
                let s = SymMap::new(arg);
                let p = s.size();
                let kk = k * s.mult;
                let inv_m = 1.0 / s.mult as f64;
                if kk >= p {
                    let mut t = Lin::default();
                    t.add(&s.trace(), inv_m);
                    return t;
                }
                if *k == 1 {
                    // λ_max(H) = λ_max(S): tI − S ⪰ 0.
                    let t = self.var();
                    self.psd(p, |r, c| {
                        let mut l = s.at(r, c, -1.0);
                        if r == c {
                            l.terms.push((t, 1.0));
                        }
                        l
                    });
                    return Lin::var(t, 1.0);
                }
                let sv = self.var();
                let z = self.sym_var(p);
                let zi = |r: usize, c: usize| z[r + c * (c + 1) / 2];
                self.psd(p, |r, c| Lin::var(zi(r, c), 1.0));
                self.psd(p, |r, c| {
                    let mut l = s.at(r, c, -1.0);
                    l.terms.push((zi(r, c), 1.0));
                    if r == c {
                        l.terms.push((sv, 1.0));
                    }
                    l
                });
                let mut t = Lin::var(sv, kk as f64 * inv_m);
                for i in 0..p {
                    t.terms.push((zi(i, i), inv_m));
                }
                t
            }
            AtomKind::HalfAbsSum => {
                let s = SymMap::new(arg);
                let p = s.size();
                let pv = self.sym_var(p);
                let pi = |r: usize, c: usize| pv[r + c * (c + 1) / 2];
                self.psd(p, |r, c| Lin::var(pi(r, c), 1.0));
                self.psd(p, |r, c| {
                    let mut l = s.at(r, c, -1.0);
                    l.terms.push((pi(r, c), 1.0));
                    l
                });
                // ½ · (1/m) · (2 tr P − tr S)
                let w = 0.5 / s.mult as f64;
                let mut t = Lin::default();
                for i in 0..p {
                    t.terms.push((pi(i, i), 2.0 * w));
                }
                t.add(&s.trace(), -w);
                t
            }
            AtomKind::Norm2 => {
                let t = self.var();
                let mut rows = vec![Lin::var(t, 1.0)];
                for e in 0..arg.c0.len() {
                    rows.push(entry(arg, e, false, 1.0));
                    if arg.entry_is_complex(e) {
                        rows.push(entry(arg, e, true, 1.0));
                    }
                }
                let d = rows.len();
                self.block(SupportedConeT::SecondOrderConeT(d), rows);
                Lin::var(t, 1.0)
            }
            AtomKind::Norm2Sq => {
                let t = self.var();
                let mut rows = vec![
                    Lin {
                        c0: 1.0,
                        terms: vec![(t, 1.0)],
                    },
                    Lin {
                        c0: -1.0,
                        terms: vec![(t, 1.0)],
                    },
                ];
                for e in 0..arg.c0.len() {
                    rows.push(entry(arg, e, false, 2.0));
                    if arg.entry_is_complex(e) {
                        rows.push(entry(arg, e, true, 2.0));
                    }
                }
                let d = rows.len();
                self.block(SupportedConeT::SecondOrderConeT(d), rows);
                Lin::var(t, 1.0)
            }
            AtomKind::Norm1 => {
                let mut total = Lin::default();
                let mut nonneg = Vec::new();
                for e in 0..arg.c0.len() {
                    let t = self.var();
                    total.terms.push((t, 1.0));
                    if arg.entry_is_complex(e) {
                        let rows = vec![
                            Lin::var(t, 1.0),
                            entry(arg, e, false, 1.0),
                            entry(arg, e, true, 1.0),
                        ];
                        self.block(SupportedConeT::SecondOrderConeT(3), rows);
                    } else {
                        // t − a ≥ 0, t + a ≥ 0
                        let mut lo = entry(arg, e, false, -1.0);
                        lo.terms.push((t, 1.0));
                        let mut hi = entry(arg, e, false, 1.0);
                        hi.terms.push((t, 1.0));
                        nonneg.push(lo);
                        nonneg.push(hi);
                    }
                }
                let d = nonneg.len();
                self.block(SupportedConeT::NonnegativeConeT(d), nonneg);
                total
            }
        }
    }
    /// Σ cⱼ·bound(atomⱼ) + affine part, with the atoms' bounds and the rows of their cones.
    fn convex(&mut self, e: &ConvexExpr) -> (Lin, Vec<Lin>, Vec<std::ops::Range<usize>>) {
        let mut total = Lin {
            c0: e.c0,
            terms: e
                .lin
                .iter()
                .enumerate()
                .filter(|(_, &a)| a != 0.0)
                .map(|(j, &a)| (j, a))
                .collect(),
        };
        let mut bounds = Vec::new();
        let mut ranges = Vec::new();
        for a in &e.atoms {
            let start = self.rows.len();
            let b = self.epigraph(&a.kind, &a.arg);
            ranges.push(start..self.rows.len());
            total.add(&b, a.coef);
            bounds.push(b);
        }
        (total, bounds, ranges)
    }
}

/// Builds the conic program of a recognized problem.
pub fn build(rec: &Recognized) -> Conic {
    let n = rec.coords.len();
    let mut b = Builder {
        nvars: n,
        rows: Vec::new(),
        cones: Vec::new(),
        max_psd: 0,
    };
    let (mut obj, objective_bounds, objective_rows) = b.convex(&rec.objective);
    let quasi = rec.quasi.as_ref().map(|qo| {
        // max s ⟺ min −s; the constant d is applied when the result is read back.
        let s = b.var();
        obj = Lin::var(s, -1.0);
        let main = b.lmi(&objective_lmi(qo, s));
        let domain = qo.domain.then(|| b.lmi(&qo.term.m));
        QuasiRows { s, main, domain }
    });
    let generalized_rows = rec
        .generalized
        .iter()
        .map(|(_, gc)| GenRows {
            main: b.lmi(&gc.lmi),
            domain: gc.domain.then(|| b.lmi(&gc.term.m)),
        })
        .collect();
    // Rows tagged with where they go: (linear constraint, entry, imaginary part) or
    // (usize::MAX, convex constraint, false).
    let mut zero: Vec<(Lin, (usize, usize, bool))> = Vec::new();
    let mut nonneg: Vec<(Lin, (usize, usize, bool))> = Vec::new();
    let mut linear_rows = Vec::with_capacity(rec.linear.len());
    for (li, (_, l)) in rec.linear.iter().enumerate() {
        match l {
            Linear::Zero(m) => {
                for e in 0..m.c0.len() {
                    zero.push((entry(m, e, false, 1.0), (li, e, false)));
                    if m.entry_is_complex(e) {
                        zero.push((entry(m, e, true, 1.0), (li, e, true)));
                    }
                }
                linear_rows.push(vec![(None, None); m.c0.len()]);
            }
            Linear::NonPositive(m) => {
                for e in 0..m.c0.len() {
                    nonneg.push((entry(m, e, false, -1.0), (li, e, false)));
                }
                linear_rows.push(vec![(None, None); m.c0.len()]);
            }
        }
    }
    let mut constraint_bounds = Vec::new();
    let mut constraint_rows = Vec::new();
    for (ci, (_, e)) in rec.convex.iter().enumerate() {
        let (total, bounds, ranges) = b.convex(e);
        let mut row = Lin::default();
        row.add(&total, -1.0);
        nonneg.push((row, (usize::MAX, ci, false)));
        constraint_bounds.push(bounds);
        constraint_rows.push(ranges);
    }
    // A row with no variables is either trivially satisfied (dropped) or infeasible (kept, so
    // that Clarabel reports it).
    let zero: Vec<_> = zero
        .into_iter()
        .filter(|(l, _)| l.terms.iter().any(|(_, a)| *a != 0.0) || l.c0 != 0.0)
        .collect();
    let nonneg: Vec<_> = nonneg
        .into_iter()
        .filter(|(l, _)| l.terms.iter().any(|(_, a)| *a != 0.0) || l.c0 < 0.0)
        .collect();
    let mut convex_rows = vec![None; rec.convex.len()];
    let start = b.rows.len();
    for (k, (_, (li, e, im))) in zero.iter().chain(&nonneg).enumerate() {
        if *li == usize::MAX {
            convex_rows[*e] = Some(start + k);
        } else if *im {
            linear_rows[*li][*e].1 = Some(start + k);
        } else {
            linear_rows[*li][*e].0 = Some(start + k);
        }
    }
    let (nz, nn) = (zero.len(), nonneg.len());
    b.block(
        SupportedConeT::ZeroConeT(nz),
        zero.into_iter().map(|r| r.0).collect(),
    );
    b.block(
        SupportedConeT::NonnegativeConeT(nn),
        nonneg.into_iter().map(|r| r.0).collect(),
    );

    let nv = b.nvars;
    let mut q = vec![0.0; nv];
    for &(j, a) in &obj.terms {
        q[j] += a;
    }
    let (a, rhs) = constraint_matrix(&b.rows, nv);
    Conic {
        q,
        offset: obj.c0,
        a,
        b: rhs,
        cones: b.cones,
        n_coords: n,
        max_psd: b.max_psd,
        objective_bounds,
        constraint_bounds,
        objective_rows,
        constraint_rows,
        linear_rows,
        convex_rows,
        quasi,
        generalized_rows,
    }
}

/// The largest PSD block the program of `rec` would have, without building it.
pub fn largest_psd_block(rec: &Recognized) -> usize {
    let mut m = 0;
    let atoms = rec
        .objective
        .atoms
        .iter()
        .chain(rec.convex.iter().flat_map(|(_, e)| e.atoms.iter()));
    for a in atoms {
        if matches!(a.kind, AtomKind::Largest(_) | AtomKind::HalfAbsSum) {
            let s = SymMap::new(&a.arg);
            if s.size() > 1 {
                m = m.max(s.size());
            }
        }
    }
    let mut lmi = |g: &AffineMap| {
        let s = SymMap::new(g);
        if !is_diagonal(g) && s.size() > 1 {
            m = m.max(s.size());
        }
    };
    if let Some(q) = &rec.quasi {
        // The main LMI has M's pattern plus K̃'s (size and complexity of either).
        lmi(&objective_lmi(q, rec.coords.len()));
        if q.domain {
            lmi(&q.term.m);
        }
    }
    for (_, c) in &rec.generalized {
        lmi(&c.lmi);
        if c.domain {
            lmi(&c.term.m);
        }
    }
    m
}
