//! Sparse batches of tangents, for forward mode along unit directions.
//!
//! The dense Hessian pair and the dense Jacobians come from forward passes along the unit
//! directions eⱼ and i·eⱼ ([`super::Function::hessian`], [`super::LeastSquares::jacobians`]).
//! Near the inputs those tangents are very sparse: the tangent of z is a unit vector, that of
//! z zᴴ along eⱼ is eⱼzᴴ + z eⱼᴴ (one row and one column, 2n − 1 of n² entries), and so are the
//! tangents of everything elementwise downstream of it. Carried densely, every direction costs a
//! full n×n pass per node (O(n³) for the Hessian of ‖M − zzᴴ‖²_F); carried sparsely it costs
//! O(n) per node and direction. So a tangent batch is stored in compressed sparse columns (one
//! column per direction) until it fills up ([`DENSE_FILL`]), and converted to a dense
//! [`Batch`] from there on (where dense kernels, e.g. one GEMM over all directions, win).
//!
//! The rules are those of `cr::tangent` (dw = (∂φ/∂u)·du + (∂φ/∂ū)·conj(du), DESIGN.md §1)
//! restricted to the stored entries: every rule is linear in the tangent, so an entry that is
//! zero in every argument's tangent is zero in the result, and only the argument's nonzeros
//! need visiting. Products and index maps gather their results in a sparse accumulator
//! (Gilbert, Moler & Schreiber, "Sparse matrices in MATLAB", SIAM J. Matrix Anal. Appl. 13(1),
//! 1992, §3.1.3) that is cleared entry by entry, so a direction never pays for the full size of
//! a node. A product whose result fills up anyway (the Hessian of ‖M − zzᴴ‖²_F multiplies the
//! moving matrix M − zzᴴ by z: each direction moves every entry of the product) is accumulated
//! straight into a dense batch instead ([`Product::fill_bound`]): at n = 200 this took the
//! Hessian from 6.0 to 4.2 ms.

use super::graph::Trans;
use super::tangent::Batch;
use crate::model::{SparseStack, Tensor};
use num_complex::Complex64 as C64;

/// Fill (stored entries ÷ (entries × directions)) above which a sparse batch becomes dense.
pub const DENSE_FILL: f64 = 0.25;

/// k tangents of a value with `rows` entries in compressed sparse columns: the entries of
/// direction j are `idx[ptr[j]..ptr[j + 1]]` (distinct, in no particular order: no rule needs
/// sorted indices, so none pays for sorting) with values `val[…]`.
///
/// ```
/// use wirtinger::cr::sparse::SparseBatch;
/// use num_complex::Complex64 as C64;
/// // The two unit directions e₁ and i·e₀ of a 3-vector.
/// let s = SparseBatch::from_columns(3, vec![vec![(1, C64::new(1.0, 0.0))], vec![(0, C64::new(0.0, 1.0))]]);
/// let d = s.to_dense();
/// assert_eq!(d.col(0), &[C64::new(0.0, 0.0), C64::new(1.0, 0.0), C64::new(0.0, 0.0)]);
/// assert_eq!(d.col(1)[0], C64::new(0.0, 1.0));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SparseBatch {
    /// Entries of the value.
    pub rows: usize,
    /// Number of directions.
    pub k: usize,
    /// Column pointers (k + 1).
    pub ptr: Vec<usize>,
    /// Entry indices, distinct within each column.
    pub idx: Vec<usize>,
    /// Entry values.
    pub val: Vec<C64>,
}

impl SparseBatch {
    /// No direction moves anything.
    pub fn empty(rows: usize, k: usize) -> SparseBatch {
        SparseBatch {
            rows,
            k,
            ptr: vec![0; k + 1],
            idx: Vec::new(),
            val: Vec::new(),
        }
    }
    /// From per-direction lists of (index, value); indices must be distinct and below `rows`.
    pub fn from_columns(rows: usize, cols: Vec<Vec<(usize, C64)>>) -> SparseBatch {
        let mut s = SparseBatch::empty(rows, 0);
        s.ptr.clear();
        s.ptr.push(0);
        for c in cols {
            for (i, v) in c {
                debug_assert!(i < rows);
                s.idx.push(i);
                s.val.push(v);
            }
            s.ptr.push(s.idx.len());
            s.k += 1;
        }
        s
    }
    /// Stored entries.
    pub fn nnz(&self) -> usize {
        self.idx.len()
    }
    /// Direction j: (indices, values).
    pub fn col(&self, j: usize) -> (&[usize], &[C64]) {
        let r = self.ptr[j]..self.ptr[j + 1];
        (&self.idx[r.clone()], &self.val[r])
    }
    /// Whether the batch is full enough to be stored densely.
    pub fn is_full(&self) -> bool {
        self.nnz() as f64 > DENSE_FILL * (self.rows * self.k) as f64
    }
    /// The dense batch (rows × k).
    pub fn to_dense(&self) -> Batch {
        let mut b = Batch::zeros(self.rows, self.k);
        for j in 0..self.k {
            let (ix, vx) = self.col(j);
            let col = &mut b.data[j * self.rows..(j + 1) * self.rows];
            for (&i, &v) in ix.iter().zip(vx) {
                col[i] = v;
            }
        }
        b
    }
    /// The same pattern with every value mapped by f(entry index, value).
    pub fn map(&self, f: impl Fn(usize, C64) -> C64) -> SparseBatch {
        SparseBatch {
            rows: self.rows,
            k: self.k,
            ptr: self.ptr.clone(),
            idx: self.idx.clone(),
            val: self
                .idx
                .iter()
                .zip(&self.val)
                .map(|(&i, &v)| f(i, v))
                .collect(),
        }
    }
}

/// A sparse accumulator over `rows` entries: scattered additions, then the touched entries in
/// the order of their first addition (deterministic); clearing costs only the touched entries.
pub struct Spa {
    val: Vec<C64>,
    mark: Vec<bool>,
    touched: Vec<usize>,
}

impl Spa {
    /// An empty accumulator.
    pub fn new(rows: usize) -> Spa {
        Spa {
            val: vec![C64::new(0.0, 0.0); rows],
            mark: vec![false; rows],
            touched: Vec::new(),
        }
    }
    /// entry i += v.
    #[inline]
    pub fn add(&mut self, i: usize, v: C64) {
        if !self.mark[i] {
            self.mark[i] = true;
            self.touched.push(i);
            self.val[i] = v;
        } else {
            self.val[i] += v;
        }
    }
    /// Appends the touched entries to `out` as its next column, and clears.
    pub fn flush_into(&mut self, out: &mut SparseBatch) {
        for &i in &self.touched {
            out.idx.push(i);
            out.val.push(self.val[i]);
            self.mark[i] = false;
        }
        self.touched.clear();
        out.ptr.push(out.idx.len());
        out.k += 1;
    }
}

thread_local! {
    /// One accumulator per thread, grown to the largest node seen and kept (cleared) between
    /// uses: a fresh one per node and chunk costs more in page faults than the rule itself.
    static SPA: std::cell::RefCell<Spa> = std::cell::RefCell::new(Spa::new(0));
}

/// Largest node (entries) whose accumulator is kept per thread (17 bytes an entry); larger
/// nodes get a fresh one that is freed after use.
const SPA_KEEP: usize = 1 << 20;

/// Builds a k-direction batch over `rows` entries, direction by direction, through a [`Spa`].
pub fn build(rows: usize, k: usize, fill: impl FnMut(usize, &mut Spa)) -> SparseBatch {
    if rows > SPA_KEEP {
        return build_with(&mut Spa::new(rows), rows, k, fill);
    }
    SPA.with(|cell| {
        let mut spa = cell.borrow_mut();
        if spa.val.len() < rows {
            *spa = Spa::new(rows);
        }
        build_with(&mut spa, rows, k, fill)
    })
}

fn build_with(
    spa: &mut Spa,
    rows: usize,
    k: usize,
    mut fill: impl FnMut(usize, &mut Spa),
) -> SparseBatch {
    let mut out = SparseBatch::empty(rows, 0);
    out.ptr.reserve(k);
    for j in 0..k {
        fill(j, spa);
        spa.flush_into(&mut out);
        if j == 0 {
            // Directions of one variable usually touch alike: size for k like the first.
            out.idx.reserve(out.idx.len() * k);
            out.val.reserve(out.val.len() * k);
        }
    }
    out
}

/// a + b (either may be absent; `None` when both are).
pub fn add(a: Option<&SparseBatch>, b: Option<&SparseBatch>) -> Option<SparseBatch> {
    match (a, b) {
        (Some(a), Some(b)) => Some(build(a.rows, a.k, |j, spa| {
            for s in [a, b] {
                let (ix, vx) = s.col(j);
                for (&i, &v) in ix.iter().zip(vx) {
                    spa.add(i, v);
                }
            }
        })),
        (Some(a), None) => Some(a.clone()),
        (None, Some(b)) => Some(b.clone()),
        (None, None) => None,
    }
}

/// The view of a stored matrix under `op`: entry (i, j) of op(X) for X of size r × c.
#[inline]
fn op_entry(x: &[C64], r: usize, t: Trans, i: usize, j: usize) -> C64 {
    match t {
        Trans::N => x[i + j * r],
        Trans::C => x[i + j * r].conj(),
        Trans::T => x[j + i * r],
        Trans::H => x[j + i * r].conj(),
    }
}

/// Where a stored entry (p, q) of X (value v) lands in op(X): (row, column, value).
#[inline]
fn op_place(t: Trans, p: usize, q: usize, v: C64) -> (usize, usize, C64) {
    match t {
        Trans::N => (p, q, v),
        Trans::C => (p, q, v.conj()),
        Trans::T => (q, p, v),
        Trans::H => (q, p, v.conj()),
    }
}

/// The operands of a product's tangent rule: d(op(A)op(B)) = op(A)·op(dB) + op(dA)·op(B),
/// with sparse tangents of A (stored `ar` rows) and of B (stored `br` rows), result r × c.
///
/// ```
/// use num_complex::Complex64 as C64;
/// use wirtinger::cr::sparse::{Product, SparseBatch};
/// use wirtinger::cr::Trans;
/// use wirtinger::model::{Shape, Tensor};
/// let c = |re: f64| C64::new(re, 0.0);
/// // A = [[1, 2], [3, 4]] fixed, b moving along e₁: d(Ab) = A e₁ = (2, 4).
/// let a = Tensor::new(Shape::Matrix(2, 2), vec![c(1.0), c(3.0), c(2.0), c(4.0)]).unwrap();
/// let b = Tensor::new(Shape::Vector(2), vec![c(0.5), c(-1.0)]).unwrap();
/// let db = SparseBatch::from_columns(2, vec![vec![(1, c(1.0))]]);
/// let p = Product { a: &a, ta: Trans::N, da: None, b: &b, tb: Trans::N, db: Some(&db), r: 2, c: 1 };
/// assert_eq!(p.dense(1).col(0), &[c(2.0), c(4.0)]);
/// assert_eq!(p.sparse(1).to_dense().col(0), &[c(2.0), c(4.0)]);
/// assert_eq!(p.fill_bound(), 1.0);
/// ```
pub struct Product<'a> {
    /// A's value.
    pub a: &'a Tensor,
    /// How A is used.
    pub ta: Trans,
    /// A's tangents, if A moves.
    pub da: Option<&'a SparseBatch>,
    /// B's value.
    pub b: &'a Tensor,
    /// How B is used.
    pub tb: Trans,
    /// B's tangents, if B moves.
    pub db: Option<&'a SparseBatch>,
    /// Rows of the result.
    pub r: usize,
    /// Columns of the result.
    pub c: usize,
}

impl Product<'_> {
    /// Passes every term of direction j's tangent to `add` as (entry, value); an entry may
    /// come more than once (the terms are to be summed).
    #[inline]
    fn terms(&self, j: usize, mut add: impl FnMut(usize, C64)) {
        let (ar, br) = (self.a.shape().rows(), self.b.shape().rows());
        let (av, bv, r) = (self.a.data(), self.b.data(), self.r);
        if let Some(db) = self.db {
            // op(A)[:, s] · op(dB)[s, col] for every stored entry of dB: column s of op(A) is
            // a column of A (contiguous) or a row of A (stride ar).
            let (ix, vx) = db.col(j);
            for (&e, &v) in ix.iter().zip(vx) {
                let (s, col, v) = op_place(self.tb, e % br, e / br, v);
                let out = col * r;
                match self.ta {
                    Trans::N | Trans::C => {
                        let column = &av[s * ar..s * ar + r];
                        let conj = self.ta == Trans::C;
                        for (row, &x) in column.iter().enumerate() {
                            add(out + row, if conj { x.conj() } else { x } * v);
                        }
                    }
                    Trans::T | Trans::H => {
                        let conj = self.ta == Trans::H;
                        for (row, &x) in av[s..].iter().step_by(ar).take(r).enumerate() {
                            add(out + row, if conj { x.conj() } else { x } * v);
                        }
                    }
                }
            }
        }
        if let Some(da) = self.da {
            // op(dA)[row, s] · op(B)[s, :] for every stored entry of dA.
            let (ix, vx) = da.col(j);
            for (&e, &v) in ix.iter().zip(vx) {
                let (row, s, v) = op_place(self.ta, e % ar, e / ar, v);
                for col in 0..self.c {
                    add(row + col * r, v * op_entry(bv, br, self.tb, s, col));
                }
            }
        }
    }

    /// An upper bound of the fill of the result's tangents: each stored entry of dB fills (at
    /// most) a column of r entries, each of dA a row of c.
    pub fn fill_bound(&self) -> f64 {
        let rows = self.r * self.c;
        let k = self.da.or(self.db).map_or(0, |t| t.k);
        if rows == 0 || k == 0 {
            return 0.0;
        }
        let stored = |t: Option<&SparseBatch>, j: usize| t.map_or(0, |t| t.col(j).0.len());
        let touched: usize = (0..k)
            .map(|j| (stored(self.db, j) * self.r + stored(self.da, j) * self.c).min(rows))
            .sum();
        touched as f64 / (rows * k) as f64
    }

    /// The k tangents as a sparse batch (through a [`Spa`]).
    pub fn sparse(&self, k: usize) -> SparseBatch {
        build(self.r * self.c, k, |j, spa| {
            self.terms(j, |i, v| spa.add(i, v))
        })
    }

    /// The k tangents as a dense batch: cheaper than the sparse accumulator when most entries
    /// of the result move in every direction (e.g. a matrix–vector product whose matrix moves
    /// along a row and a column), where the sparse result would be converted anyway.
    pub fn dense(&self, k: usize) -> Batch {
        let rows = self.r * self.c;
        let mut out = Batch::zeros(rows, k);
        for (j, col) in out.data.chunks_exact_mut(rows.max(1)).enumerate().take(k) {
            if self.c == 1 && self.tb == Trans::N {
                self.matvec_terms(j, col);
            } else {
                self.terms(j, |i, v| col[i] += v);
            }
        }
        out
    }

    /// [`Product::terms`] of direction j summed into `col`, for a stored vector B (c = 1,
    /// op(B) = B): the same terms, with the views chosen once per direction instead of per
    /// term (the gradient of ‖M − zzᴴ‖²_F is two such products, and their tangents were half
    /// of its Hessian's time).
    fn matvec_terms(&self, j: usize, col: &mut [C64]) {
        let ar = self.a.shape().rows();
        let (av, bv, r) = (self.a.data(), self.b.data(), self.r);
        if let Some(db) = self.db {
            // Column s of op(A) times the stored entry s of dB: a column of A (N, C) or a
            // row of A (T, H), conjugated under C and H.
            let (ix, vx) = db.col(j);
            for (&s, &v) in ix.iter().zip(vx) {
                let column = || av[s * ar..s * ar + r].iter().copied();
                let row = || av[s..].iter().step_by(ar).copied();
                match self.ta {
                    Trans::N => add_scaled(col, column(), v),
                    Trans::C => add_scaled(col, column().map(|x| x.conj()), v),
                    Trans::T => add_scaled(col, row(), v),
                    Trans::H => add_scaled(col, row().map(|x| x.conj()), v),
                }
            }
        }
        if let Some(da) = self.da {
            // The stored entry (p, q) of dA times B[q] (or B[p] under a transposing op).
            let (ix, vx) = da.col(j);
            let terms = ix.iter().zip(vx);
            match self.ta {
                Trans::N => scatter_runs(col, terms.map(|(&e, &v)| (e % ar, v * bv[e / ar]))),
                Trans::C => {
                    scatter_runs(col, terms.map(|(&e, &v)| (e % ar, v.conj() * bv[e / ar])))
                }
                Trans::T => scatter_runs(col, terms.map(|(&e, &v)| (e / ar, v * bv[e % ar]))),
                Trans::H => {
                    scatter_runs(col, terms.map(|(&e, &v)| (e / ar, v.conj() * bv[e % ar])))
                }
            }
        }
    }
}

/// col[i] += x_i·v for the entries x_i of `xs` (as many as `col` has).
#[inline]
fn add_scaled(col: &mut [C64], xs: impl Iterator<Item = C64>, v: C64) {
    for (o, x) in col.iter_mut().zip(xs) {
        *o += x * v;
    }
}

/// col[i] += v for every term (i, v). Consecutive terms on one entry (a moving row of A
/// times a vector: every stored entry of the row adds to the same result entry) are summed in a
/// register first, so they do not wait on each other's store to that entry.
#[inline]
fn scatter_runs(col: &mut [C64], mut terms: impl Iterator<Item = (usize, C64)>) {
    let Some((mut at, mut run)) = terms.next() else {
        return;
    };
    for (i, v) in terms {
        if i == at {
            run += v;
        } else {
            col[at] += run;
            (at, run) = (i, v);
        }
    }
    col[at] += run;
}

/// Tangents of op(A) stored as an r × c matrix (A is c × r): transpose, conjugated when `conj`.
pub fn transpose(d: &SparseBatch, ar: usize, conj: bool, r: usize) -> SparseBatch {
    build(d.rows, d.k, |j, spa| {
        let (ix, vx) = d.col(j);
        for (&e, &v) in ix.iter().zip(vx) {
            // entry (p, q) of A goes to (q, p) of the result
            let (p, q) = (e % ar, e / ar);
            spa.add(q + p * r, if conj { v.conj() } else { v });
        }
    })
}

/// Tangents of a gather: entry t of the result is entry idx\[t\] of the argument (whose tangents
/// have `d.rows` entries). Visits the stored entries through the inverse map of `idx`.
pub fn gather(d: &SparseBatch, idx: &[usize], rows: usize) -> SparseBatch {
    // Inverse map in compressed form: the t with idx[t] = e are inv[start[e]..start[e + 1]].
    let mut start = vec![0usize; d.rows + 1];
    for &e in idx {
        start[e + 1] += 1;
    }
    for e in 0..d.rows {
        start[e + 1] += start[e];
    }
    let mut fill = start.clone();
    let mut inv = vec![0usize; idx.len()];
    for (t, &e) in idx.iter().enumerate() {
        inv[fill[e]] = t;
        fill[e] += 1;
    }
    build(rows, d.k, |j, spa| {
        let (ix, vx) = d.col(j);
        for (&e, &v) in ix.iter().zip(vx) {
            for &t in &inv[start[e]..start[e + 1]] {
                spa.add(t, v);
            }
        }
    })
}

/// Per-direction sums (the tangent of `sum`), a dense 1 × k batch.
pub fn sum(d: &SparseBatch) -> Batch {
    let mut out = Batch::zeros(1, d.k);
    for j in 0..d.k {
        out.data[j] = d.col(j).1.iter().sum();
    }
    out
}

/// Tangents of a scatter: entry t of the argument is added to entry idx\[t\] of the result.
pub fn scatter(d: &SparseBatch, idx: &[usize], rows: usize) -> SparseBatch {
    build(rows, d.k, |j, spa| {
        let (ix, vx) = d.col(j);
        for (&e, &v) in ix.iter().zip(vx) {
            spa.add(idx[e], v);
        }
    })
}

/// Tangents of the diagonal matrix (r × r, stored) of a vector.
pub fn diag(d: &SparseBatch, r: usize) -> SparseBatch {
    let mut out = d.map(|_, v| v);
    out.rows = r * r;
    out.idx.iter_mut().for_each(|e| *e += *e * r);
    out
}

/// Tangents of the Hermitian part (A + Aᴴ)/2 of an r × r matrix: each stored entry (p, q) = v
/// contributes v/2 at (p, q) and conj(v)/2 at (q, p).
pub fn herm(d: &SparseBatch, r: usize) -> SparseBatch {
    build(d.rows, d.k, |j, spa| {
        let (ix, vx) = d.col(j);
        for (&e, &v) in ix.iter().zip(vx) {
            let (p, q) = (e % r, e / r);
            spa.add(e, v * 0.5);
            spa.add(q + p * r, v.conj() * 0.5);
        }
    })
}

/// Tangents of Σᵢ xᵢ Sᵢ from sparse tangents of x: direction j is Σᵢ dxᵢ Sᵢ over the stored
/// dxᵢ only, so a unit direction eᵢ costs the entries of Sᵢ (the stack's column i), never a
/// dense matrix.
pub fn lincomb(d: &SparseBatch, st: &SparseStack) -> SparseBatch {
    let rows = st.shape().numel();
    build(rows, d.k, |j, spa| {
        let (ix, vx) = d.col(j);
        for (&i, &v) in ix.iter().zip(vx) {
            let (es, ss) = st.column(i);
            for (&e, &s) in es.iter().zip(ss) {
                spa.add(e, s * v);
            }
        }
    })
}
