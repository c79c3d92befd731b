//! The affine matrix A(x) = A₀ + Σⱼ xⱼ Aⱼ of the eigenvalue atom, stored per coefficient as a
//! dense or a sparse faer matrix (whichever is smaller), in real arithmetic when every
//! coefficient is real. Each coefficient is replaced by its Hermitian part (Aⱼ + Aⱼᴴ)/2, the
//! matrix the eigenvalue functions are defined on (contract §2).

use super::super::affine::AffineMap;
use super::super::lanczos::{HermOperator, Scalar};
use faer::sparse::{SparseColMat, Triplet};
use faer::{Accum, Mat, MatMut, MatRef};

/// One coefficient matrix.
pub enum Coef<T: Scalar> {
    /// Dense.
    Dense(Mat<T>),
    /// Sparse (CSC).
    Sparse(SparseColMat<usize, T>),
    /// A few entries (row, column, value), for terms with fewer than n stored entries (such as
    /// the edge Laplacians of a graph, 4 entries each): memory O(nnz), where a CSC matrix
    /// would also hold n + 1 column pointers per term.
    Entries(Vec<(usize, usize, T)>),
}

impl<T: Scalar> Coef<T> {
    /// y = A x.
    pub fn apply(&self, x: MatRef<'_, T>, mut y: MatMut<'_, T>) {
        match self {
            Coef::Dense(m) => m.apply(x, y),
            Coef::Sparse(s) => s.apply(x, y),
            Coef::Entries(es) => {
                y.fill(T::from_f64(0.0));
                for &(i, j, v) in es {
                    for c in 0..x.ncols() {
                        let add = v * x[(j, c)];
                        y[(i, c)] += add;
                    }
                }
            }
        }
    }
    /// Pᴴ A P (r × r) for P of size n × r. For stored entries this is
    /// Σ_{(i, l, v)} v · conj(P[i, :])ᵀ P[l, :], O(nnz · r²) instead of O(n · r²).
    fn project(&self, p: MatRef<'_, T>, ap: &mut Mat<T>) -> Mat<T> {
        let r = p.ncols();
        let mut m = Mat::<T>::zeros(r, r);
        match self {
            Coef::Entries(es) => {
                for &(i, l, v) in es {
                    for b in 0..r {
                        let vb = v * p[(l, b)];
                        for a in 0..r {
                            m[(a, b)] += p[(i, a)].conjugate() * vb;
                        }
                    }
                }
            }
            _ => {
                self.apply(p, ap.as_mut());
                faer::linalg::matmul::matmul(
                    m.as_mut(),
                    Accum::Replace,
                    p.adjoint(),
                    ap.as_ref(),
                    T::from_f64(1.0),
                    faer::get_global_parallelism(),
                );
            }
        }
        m
    }
    /// Adds s·A to the dense matrix `m`.
    fn add_to(&self, m: &mut Mat<T>, s: f64) {
        match self {
            Coef::Dense(a) => {
                for j in 0..a.ncols() {
                    for i in 0..a.nrows() {
                        m[(i, j)] += a[(i, j)].times(s);
                    }
                }
            }
            Coef::Sparse(a) => {
                let a = a.as_ref();
                for j in 0..a.ncols() {
                    for (i, v) in a.row_idx_of_col(j).zip(a.val_of_col(j)) {
                        m[(i, j)] += v.times(s);
                    }
                }
            }
            Coef::Entries(es) => {
                for &(i, j, v) in es {
                    m[(i, j)] += v.times(s);
                }
            }
        }
    }
    fn triplets(&self, s: f64, out: &mut Vec<Triplet<usize, usize, T>>) {
        match self {
            Coef::Dense(a) => {
                for j in 0..a.ncols() {
                    for i in 0..a.nrows() {
                        if a[(i, j)] != T::from_f64(0.0) {
                            out.push(Triplet::new(i, j, a[(i, j)].times(s)));
                        }
                    }
                }
            }
            Coef::Sparse(a) => {
                let a = a.as_ref();
                for j in 0..a.ncols() {
                    for (i, v) in a.row_idx_of_col(j).zip(a.val_of_col(j)) {
                        out.push(Triplet::new(i, j, v.times(s)));
                    }
                }
            }
            Coef::Entries(es) => {
                out.extend(es.iter().map(|&(i, j, v)| Triplet::new(i, j, v.times(s))));
            }
        }
    }
    /// Number of stored entries.
    fn nnz(&self) -> usize {
        match self {
            Coef::Dense(a) => a.nrows() * a.ncols(),
            Coef::Sparse(a) => a.compute_nnz(),
            Coef::Entries(es) => es.len(),
        }
    }
}

/// A(x) = A₀ + Σⱼ xⱼ Aⱼ.
pub struct Lmi<T: Scalar> {
    /// n.
    pub n: usize,
    /// A₀ (without its low-rank part, when split off).
    pub a0: Coef<T>,
    /// (coordinate j, Aⱼ) for the coordinates A depends on.
    pub terms: Vec<(usize, Coef<T>)>,
    /// A dense A₀ of low rank next to sparse terms, as Q C Qᴴ (Q n × q orthonormal, C q × q),
    /// so that A(x) is applied as sparse + low rank in O(nnz + n q) per vector, never densely.
    pub low_rank: Option<(Mat<T>, Mat<T>)>,
}

/// The matrix A(x) formed, as an operator.
pub enum Formed<T: Scalar> {
    /// Dense.
    Dense(Mat<T>),
    /// Sparse.
    Sparse(SparseColMat<usize, T>),
    /// Sparse plus Q C Qᴴ.
    SparseLowRank(SparseColMat<usize, T>, Mat<T>, Mat<T>),
}

impl<T: Scalar> Formed<T> {
    /// As an operator for the eigensolver.
    pub fn op(&self) -> &dyn HermOperator<T> {
        match self {
            Formed::Dense(m) => m,
            Formed::Sparse(s) => s,
            Formed::SparseLowRank(..) => self,
        }
    }
}

impl<T: Scalar> HermOperator<T> for Formed<T> {
    fn size(&self) -> usize {
        match self {
            Formed::Dense(m) => m.nrows(),
            Formed::Sparse(s) | Formed::SparseLowRank(s, ..) => s.nrows(),
        }
    }
    fn apply(&self, x: MatRef<'_, T>, mut y: MatMut<'_, T>) {
        match self {
            Formed::Dense(m) => m.apply(x, y),
            Formed::Sparse(s) => s.apply(x, y),
            Formed::SparseLowRank(s, q, c) => {
                s.apply(x, y.as_mut());
                // y += Q (C (Qᴴ x))
                let par = faer::get_global_parallelism();
                let one = T::from_f64(1.0);
                let mut t = Mat::<T>::zeros(q.ncols(), x.ncols());
                faer::linalg::matmul::matmul(t.as_mut(), Accum::Replace, q.adjoint(), x, one, par);
                let ct = c * &t;
                faer::linalg::matmul::matmul(y, Accum::Add, q.as_ref(), ct.as_ref(), one, par);
            }
        }
    }
}

/// Splits a dense Hermitian A₀ as Q C Qᴴ when its rank is at most `max_rank`, by a randomized
/// range finder (Halko, Martinsson & Tropp, SIAM Rev. 53(2), 2011, Alg. 4.1): Y = A₀ Ω with a
/// seeded n × q test matrix, Q = orth(Y); accepted when ‖A₀ − Q Qᴴ A₀‖_F ≤ 1e-12 ‖A₀‖_F
/// (checked exactly, O(n² q)), then C = Qᴴ A₀ Q. `None` when A₀ has larger rank.
fn low_rank<T: Scalar>(a: &Mat<T>, max_rank: usize) -> Option<(Mat<T>, Mat<T>)> {
    let n = a.nrows();
    let q = max_rank.min(n);
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    let omega = Mat::<T>::from_fn(n, q, |_, _| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        T::from_f64((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5)
    });
    let y = a * &omega;
    let qr = y.qr();
    let r = qr.R();
    let diag_max = (0..q)
        .map(|i| r[(i, i)].modulus2().sqrt())
        .fold(0.0, f64::max);
    // Numerical rank of Y: the basis keeps the columns with a non-negligible R diagonal.
    let keep: Vec<usize> = (0..q)
        .filter(|&i| r[(i, i)].modulus2().sqrt() > 1e-10 * diag_max)
        .collect();
    let qfull = qr.compute_thin_Q();
    let qm = Mat::<T>::from_fn(n, keep.len(), |i, j| qfull[(i, keep[j])]);
    let b = qm.adjoint() * a;
    let resid = a - &qm * &b;
    let norm = |m: &Mat<T>| {
        let mut t = 0.0;
        for j in 0..m.ncols() {
            for i in 0..m.nrows() {
                t += m[(i, j)].modulus2();
            }
        }
        t.sqrt()
    };
    if keep.len() >= q || norm(&resid) > 1e-12 * norm(a) {
        return None;
    }
    let c = &b * &qm;
    let c = Mat::from_fn(c.nrows(), c.ncols(), |i, j| {
        (c[(i, j)] + c[(j, i)].conjugate()).times(0.5)
    });
    Some((qm, c))
}

fn build<T: Scalar>(n: usize, entries: &[(usize, usize, T)]) -> Result<Coef<T>, String> {
    // Hermitian part: (A + Aᴴ)/2 entry by entry.
    let mut t = Vec::with_capacity(2 * entries.len());
    for &(i, j, v) in entries {
        t.push(Triplet::new(i, j, v.times(0.5)));
        t.push(Triplet::new(j, i, v.conjugate().times(0.5)));
    }
    if 2 * entries.len() >= n * n / 4 {
        let mut m = Mat::<T>::zeros(n, n);
        for e in &t {
            m[(e.row, e.col)] += e.val;
        }
        Ok(Coef::Dense(m))
    } else if t.len() < n {
        // Sum duplicates (an entry and its mirror on the diagonal) and drop zeros.
        let mut es: Vec<(usize, usize, T)> = t.iter().map(|e| (e.row, e.col, e.val)).collect();
        es.sort_by_key(|&(i, j, _)| (j, i));
        let mut out: Vec<(usize, usize, T)> = Vec::with_capacity(es.len());
        for (i, j, v) in es {
            match out.last_mut() {
                Some(last) if last.0 == i && last.1 == j => last.2 += v,
                _ => out.push((i, j, v)),
            }
        }
        out.retain(|e| e.2 != T::from_f64(0.0));
        Ok(Coef::Entries(out))
    } else {
        SparseColMat::try_new_from_triplets(n, n, &t)
            .map(Coef::Sparse)
            .map_err(|e| format!("could not assemble a sparse coefficient: {e:?}"))
    }
}

impl<T: Scalar> Lmi<T> {
    /// From the atom's affine map (square n × n), over `n_coords` coordinates.
    pub fn from_map(map: &AffineMap, n_coords: usize) -> Result<Lmi<T>, String> {
        let n = map.shape.rows();
        if map.shape.cols() != n {
            return Err("the eigenvalue argument is not square".into());
        }
        let mut c0 = Vec::new();
        let mut per: Vec<Vec<(usize, usize, T)>> = vec![Vec::new(); n_coords];
        for (e, (c, row)) in map.c0.iter().zip(&map.rows).enumerate() {
            let (i, j) = (e % n, e / n);
            if *c != num_complex::Complex64::new(0.0, 0.0) {
                c0.push((i, j, T::from_c64(*c)));
            }
            for &(k, a) in row {
                per[k].push((i, j, T::from_c64(a)));
            }
        }
        let a0 = build(n, &c0)?;
        let mut terms = Vec::new();
        for (k, es) in per.iter().enumerate() {
            if !es.is_empty() {
                terms.push((k, build(n, es)?));
            }
        }
        let mut lmi = Lmi {
            n,
            a0,
            terms,
            low_rank: None,
        };
        // A dense A₀ with sparse terms: split off its low-rank part so that A(x) stays sparse.
        let terms_nnz: usize = lmi.terms.iter().map(|(_, c)| c.nnz()).sum();
        if n > super::super::lanczos::DENSE_LIMIT && terms_nnz < n * n / 4 {
            if let Coef::Dense(a) = &lmi.a0 {
                if let Some(lr) = low_rank(a, 16) {
                    lmi.low_rank = Some(lr);
                    lmi.a0 = Coef::Entries(Vec::new());
                }
            }
        }
        Ok(lmi)
    }

    /// Whether A(x) is best formed dense (more than a quarter of the entries stored).
    fn dense_form(&self) -> bool {
        let total: usize = self.a0.nnz() + self.terms.iter().map(|(_, c)| c.nnz()).sum::<usize>();
        total >= self.n * self.n / 4
    }

    /// A(x), formed.
    pub fn at(&self, x: &[f64]) -> Result<Formed<T>, String> {
        if self.dense_form() {
            let mut m = Mat::<T>::zeros(self.n, self.n);
            self.a0.add_to(&mut m, 1.0);
            for (j, c) in &self.terms {
                if x[*j] != 0.0 {
                    c.add_to(&mut m, x[*j]);
                }
            }
            if let Some((q, c)) = &self.low_rank {
                m += q * c * q.adjoint();
            }
            Ok(Formed::Dense(m))
        } else {
            let mut t = Vec::new();
            self.a0.triplets(1.0, &mut t);
            for (j, c) in &self.terms {
                if x[*j] != 0.0 {
                    c.triplets(x[*j], &mut t);
                }
            }
            let s = SparseColMat::try_new_from_triplets(self.n, self.n, &t)
                .map_err(|e| format!("could not assemble A(x): {e:?}"))?;
            Ok(match &self.low_rank {
                Some((q, c)) => Formed::SparseLowRank(s, q.clone(), c.clone()),
                None => Formed::Sparse(s),
            })
        }
    }

    /// Pᴴ A₀ P and the Pᴴ Aⱼ P of every term (same order as `terms`).
    pub fn project(&self, p: MatRef<'_, T>) -> (Mat<T>, Vec<Mat<T>>) {
        let r = p.ncols();
        let mut ap = Mat::<T>::zeros(self.n, r);
        let mut one = |c: &Coef<T>| {
            let m = c.project(p, &mut ap);
            // Hermitian by construction; remove rounding asymmetry.
            Mat::from_fn(r, r, |i, j| (m[(i, j)] + m[(j, i)].conjugate()).times(0.5))
        };
        let mut m0 = one(&self.a0);
        if let Some((q, c)) = &self.low_rank {
            // Pᴴ Q C Qᴴ P
            let qp = q.adjoint() * p;
            let add = qp.adjoint() * c * &qp;
            for j in 0..r {
                for i in 0..r {
                    m0[(i, j)] += (add[(i, j)] + add[(j, i)].conjugate()).times(0.5);
                }
            }
        }
        let ms = self.terms.iter().map(|(_, c)| one(c)).collect();
        (m0, ms)
    }
}

/// R(M): M itself for real data, [[Re M, −Im M], [Im M, Re M]] for complex.
pub fn embed<T: Scalar>(m: &Mat<T>) -> Mat<f64> {
    let r = m.nrows();
    if T::REAL {
        return Mat::from_fn(r, r, |i, j| m[(i, j)].real_part());
    }
    Mat::from_fn(2 * r, 2 * r, |i, j| {
        let z = m[(i % r, j % r)].to_c64();
        match (i / r, j / r) {
            (0, 0) | (1, 1) => z.re,
            (1, 0) => z.im,
            _ => -z.im,
        }
    })
}

/// Rᵀ(U): the adjoint of the embedding, U itself for real data, else
/// (U₁₁ + U₂₂) + i(U₂₁ − U₁₂), so that ⟨R(M), U⟩ = ⟨M, Rᵀ(U)⟩.
pub fn embed_adjoint<T: Scalar>(u: &Mat<f64>) -> Mat<T> {
    if T::REAL {
        return Mat::from_fn(u.nrows(), u.ncols(), |i, j| T::from_f64(u[(i, j)]));
    }
    let r = u.nrows() / 2;
    Mat::from_fn(r, r, |i, j| {
        T::from_c64(num_complex::Complex64::new(
            u[(i, j)] + u[(i + r, j + r)],
            u[(i + r, j)] - u[(i, j + r)],
        ))
    })
}

/// ⟨M, U⟩ = Re tr(Mᴴ U) for matrices of the same shape.
pub fn inner<T: Scalar>(m: &Mat<T>, u: &Mat<T>) -> f64 {
    let mut s = 0.0;
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            s += (m[(i, j)].conjugate() * u[(i, j)]).real_part();
        }
    }
    s
}
