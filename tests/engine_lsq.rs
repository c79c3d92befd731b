//! Least-squares structure: detection of f = Σ cᵢ‖rᵢ‖² (so f = ‖r‖² for the stacked, weighted
//! residual r), the two Jacobians J = ∂r/∂z and J̃ = ∂r/∂z̄ (dr = J dz + J̃ conj(dz)) against
//! closed forms and finite differences, the operators against the dense matrices, and the
//! Gauss–Newton identities.
//!
//! Derivations used below:
//!
//! - f = rᴴr: df = 2Re(rᴴ dr) = 2Re(rᴴJ dz) + 2Re(rᴴJ̃ conj(dz)), and
//!   Re(rᴴJ̃ conj(dz)) = Re(rᵀ conj(J̃) dz), so g = 2(Jᴴr + J̃ᵀ conj(r)).
//! - For constant J, J̃ (affine residual): dg = 2(Jᴴ dr + J̃ᵀ conj(dr)) gives
//!   H = 2(JᴴJ + J̃ᵀ conj(J̃)) and K = 2(JᴴJ̃ + J̃ᵀ conj(J)): Gauss–Newton is exact.
//! - Real variables: the imaginary direction is frozen, so J and J̃ each hold half of ∂r/∂x.
//!
//! A constant offset (`sum(abs2(r)) + 1`) is not recognized: `detect` promises f = ‖r‖² exactly
//! (solvers report f from the residual), and an offset would break that. The Gauss–Newton step
//! itself would be unaffected, so accepting offsets is a possible extension; write the constant
//! out of the objective instead.

use faer::Mat;
use num_complex::Complex64 as C64;
use std::collections::BTreeMap;
use std::sync::Arc;
use wirtinger::cr::{Batch, Function, LeastSquares};
use wirtinger::expr::{compile_objective, DataValue};
use wirtinger::io::random::ChaCha8;
use wirtinger::model::{Shape, Tensor, Ty};

type Data = BTreeMap<String, DataValue>;

const ZERO: C64 = C64 { re: 0.0, im: 0.0 };
const I: C64 = C64 { re: 0.0, im: 1.0 };

struct Rng(ChaCha8);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(ChaCha8::from_seed_u64(seed))
    }
    fn c(&mut self) -> C64 {
        let (a, b) = self.0.normal_pair();
        C64::new(a, b) * std::f64::consts::FRAC_1_SQRT_2
    }
    fn cvec(&mut self, n: usize) -> Vec<C64> {
        (0..n).map(|_| self.c()).collect()
    }
    fn rvec(&mut self, n: usize) -> Vec<C64> {
        (0..n)
            .map(|_| C64::new(self.0.normal_pair().0, 0.0))
            .collect()
    }
    fn cmat(&mut self, m: usize, n: usize) -> Mat<C64> {
        Mat::from_fn(m, n, |_, _| self.c())
    }
    fn rmat(&mut self, m: usize, n: usize) -> Mat<C64> {
        Mat::from_fn(m, n, |_, _| C64::new(self.0.normal_pair().0, 0.0))
    }
}

fn put_m(data: &mut Data, name: &str, m: &Mat<C64>, real: bool) {
    let d = (0..m.ncols())
        .flat_map(|j| (0..m.nrows()).map(move |i| m[(i, j)]))
        .collect();
    let t = Tensor::new(Shape::Matrix(m.nrows(), m.ncols()), d).unwrap();
    data.insert(
        name.into(),
        DataValue::Dense {
            value: Arc::new(t),
            real,
        },
    );
}

fn put_v(data: &mut Data, name: &str, v: &[C64], real: bool) {
    let t = Tensor::new(Shape::Vector(v.len()), v.to_vec()).unwrap();
    data.insert(
        name.into(),
        DataValue::Dense {
            value: Arc::new(t),
            real,
        },
    );
}

fn matvec(a: &Mat<C64>, v: &[C64]) -> Vec<C64> {
    (0..a.nrows())
        .map(|i| (0..a.ncols()).map(|j| a[(i, j)] * v[j]).sum())
        .collect()
}

fn conj_v(v: &[C64]) -> Vec<C64> {
    v.iter().map(|x| x.conj()).collect()
}

fn conj_m(a: &Mat<C64>) -> Mat<C64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[(i, j)].conj())
}

fn sc(a: &Mat<C64>, s: C64) -> Mat<C64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[(i, j)] * s)
}

fn add_v(a: &[C64], b: &[C64]) -> Vec<C64> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

fn norm_v(v: &[C64]) -> f64 {
    v.iter().map(|x| x.norm_sqr()).sum::<f64>().sqrt()
}

/// uᴴv.
fn inner(u: &[C64], v: &[C64]) -> C64 {
    u.iter().zip(v).map(|(a, b)| a.conj() * b).sum()
}

fn assert_vec(got: &[C64], want: &[C64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let d: Vec<C64> = got.iter().zip(want).map(|(a, b)| a - b).collect();
    assert!(
        norm_v(&d) <= tol * (1.0 + norm_v(want)),
        "{what}:\ngot  {got:?}\nwant {want:?}"
    );
}

fn assert_mat(got: &Mat<C64>, want: &Mat<C64>, tol: f64, what: &str) {
    assert_eq!(
        (got.nrows(), got.ncols()),
        (want.nrows(), want.ncols()),
        "{what}: shape"
    );
    let err = (got - want).norm_l2();
    assert!(
        err <= tol * (1.0 + want.norm_l2()),
        "{what}: error {err:.3e}\ngot  {got:?}\nwant {want:?}"
    );
}

/// Stacks matrices vertically.
fn vstack(parts: &[Mat<C64>]) -> Mat<C64> {
    let n = parts[0].ncols();
    let m: usize = parts.iter().map(|p| p.nrows()).sum();
    let mut out = Mat::zeros(m, n);
    let mut off = 0;
    for p in parts {
        for j in 0..n {
            for i in 0..p.nrows() {
                out[(off + i, j)] = p[(i, j)];
            }
        }
        off += p.nrows();
    }
    out
}

fn compile(src: &str, vars: &[(String, Ty)], data: &Data) -> Function {
    compile_objective(src, vars, data).unwrap_or_else(|e| panic!("`{src}`: {e}"))
}

fn detect(f: &Function) -> Option<LeastSquares> {
    LeastSquares::detect(f.graph(), f.output(), f.vars())
}

/// Jacobians by central differences on the real embedding: with D_x = ∂r/∂x_j and D_y = ∂r/∂y_j,
/// J = (D_x − iD_y)/2 and J̃ = (D_x + iD_y)/2 (D_y = 0 for a real variable's entries).
fn fd_jacobians(ls: &LeastSquares, z: &[C64], real: &[bool]) -> (Mat<C64>, Mat<C64>) {
    let (m, n) = (ls.len(), ls.dim());
    let h = 1e-6;
    let mut j1 = Mat::zeros(m, n);
    let mut j2 = Mat::zeros(m, n);
    let d = |dir: C64, k: usize| -> Vec<C64> {
        let mut zp = z.to_vec();
        let mut zm = z.to_vec();
        zp[k] += dir * h;
        zm[k] -= dir * h;
        let (rp, rm) = (ls.residual(&zp).unwrap(), ls.residual(&zm).unwrap());
        rp.iter()
            .zip(&rm)
            .map(|(a, b)| (a - b) / (2.0 * h))
            .collect()
    };
    for k in 0..n {
        let dx = d(C64::new(1.0, 0.0), k);
        let dy = if real[k] { vec![ZERO; m] } else { d(I, k) };
        for i in 0..m {
            j1[(i, k)] = (dx[i] - I * dy[i]) * 0.5;
            j2[(i, k)] = (dx[i] + I * dy[i]) * 0.5;
        }
    }
    (j1, j2)
}

fn real_mask(f: &Function) -> Vec<bool> {
    let mut m = vec![false; f.dim()];
    for v in f.vars() {
        for x in &mut m[v.offset..v.offset + v.shape.numel()] {
            *x = v.real;
        }
    }
    m
}

/// Everything that holds for any least-squares objective at z, given the expected residual and
/// Jacobians (closed forms). `affine`: J, J̃ constant, so Gauss–Newton gives the exact (H, K).
fn check_structure(f: &Function, z: &[C64], r: &[C64], j: &Mat<C64>, jt: &Mat<C64>, affine: bool) {
    let ls = detect(f).expect("least-squares structure");
    let (m, n) = (r.len(), z.len());
    assert_eq!((ls.len(), ls.dim()), (m, n));
    let real = real_mask(f);

    // f = ‖r‖², residual as expected
    let res = ls.residual(z).unwrap();
    assert_vec(&res, r, 1e-12, "residual");
    let (v, g) = f.value_gradient(z).unwrap();
    assert!(
        (v - norm_v(&res).powi(2)).abs() <= 1e-12 * (1.0 + v.abs()),
        "f = ‖r‖²"
    );

    // dense Jacobians: closed form and finite differences
    let (dj, djt) = ls.jacobians(z).unwrap();
    assert_mat(&dj, j, 1e-12, "J");
    assert_mat(&djt, jt, 1e-12, "J̃");
    let (fj, fjt) = fd_jacobians(&ls, z, &real);
    assert_mat(&fj, j, 1e-7, "J (finite differences)");
    assert_mat(&fjt, jt, 1e-7, "J̃ (finite differences)");

    // operators against the dense matrices (directions respect real variables)
    let mut rng = Rng::new(404);
    let mut vdir = rng.cvec(n);
    for (x, &re) in vdir.iter_mut().zip(&real) {
        if re {
            x.im = 0.0;
        }
    }
    let u = rng.cvec(m);
    let jh = j.adjoint().to_owned();
    let jth = jt.adjoint().to_owned();
    assert_vec(
        &ls.apply_j(z, &vdir).unwrap(),
        &matvec(j, &vdir),
        1e-12,
        "apply_j",
    );
    assert_vec(
        &ls.apply_jt(z, &vdir).unwrap(),
        &matvec(jt, &vdir),
        1e-12,
        "apply_jt",
    );
    assert_vec(
        &ls.apply_j_adjoint(z, &u).unwrap(),
        &matvec(&jh, &u),
        1e-12,
        "apply_j_adjoint",
    );
    assert_vec(
        &ls.apply_jt_adjoint(z, &u).unwrap(),
        &matvec(&jth, &u),
        1e-12,
        "apply_jt_adjoint",
    );
    // the operators alone: ⟨u, Jv⟩ = ⟨Jᴴu, v⟩ and ⟨u, J̃v⟩ = ⟨J̃ᴴu, v⟩
    let lhs = inner(&u, &ls.apply_j(z, &vdir).unwrap());
    let rhs = inner(&ls.apply_j_adjoint(z, &u).unwrap(), &vdir);
    assert!(
        (lhs - rhs).norm() <= 1e-12 * (1.0 + lhs.norm()),
        "⟨u, Jv⟩ = ⟨Jᴴu, v⟩: {lhs} vs {rhs}"
    );
    let lhs = inner(&u, &ls.apply_jt(z, &vdir).unwrap());
    let rhs = inner(&ls.apply_jt_adjoint(z, &u).unwrap(), &vdir);
    assert!(
        (lhs - rhs).norm() <= 1e-12 * (1.0 + lhs.norm()),
        "⟨u, J̃v⟩ = ⟨J̃ᴴu, v⟩: {lhs} vs {rhs}"
    );
    // jvp = J v + J̃ conj(v) (batched), vjp = Jᴴu + J̃ᵀ conj(u)
    let mut data = vdir.clone();
    data.extend(
        rng.cvec(n)
            .iter()
            .zip(&real)
            .map(|(x, &re)| if re { C64::new(x.re, 0.0) } else { *x }),
    );
    let b = Batch {
        rows: n,
        k: 2,
        data,
    };
    let t = ls.jvp(z, &b).unwrap();
    for col in 0..2 {
        let vc = b.col(col);
        let want = add_v(&matvec(j, vc), &matvec(jt, &conj_v(vc)));
        assert_vec(t.col(col), &want, 1e-12, "jvp");
    }
    let want = add_v(
        &matvec(&jh, &u),
        &matvec(&jt.transpose().to_owned(), &conj_v(&u)),
    );
    assert_vec(&ls.vjp(z, &u).unwrap(), &want, 1e-12, "vjp");

    // Gauss–Newton identity g = 2(Jᴴr + J̃ᵀ conj(r)), and vjp(r) = g/2
    let gn: Vec<C64> = add_v(
        &matvec(&jh, r),
        &matvec(&jt.transpose().to_owned(), &conj_v(r)),
    )
    .iter()
    .map(|x| x * 2.0)
    .collect();
    assert_vec(&g, &gn, 1e-12, "g = 2(Jᴴr + J̃ᵀ conj r)");
    let half: Vec<C64> = g.iter().map(|x| x * 0.5).collect();
    assert_vec(&ls.vjp(z, &res).unwrap(), &half, 1e-12, "vjp(r) = g/2");

    if affine {
        let (h, k) = f.hessian(z).unwrap();
        let hgn = sc(&(&jh * j + jt.transpose() * conj_m(jt)), C64::new(2.0, 0.0));
        let kgn = sc(&(&jh * jt + jt.transpose() * conj_m(j)), C64::new(2.0, 0.0));
        assert_mat(&h, &hgn, 1e-12, "H = 2(JᴴJ + J̃ᵀ conj J̃)");
        assert_mat(&k, &kgn, 1e-12, "K = 2(JᴴJ̃ + J̃ᵀ conj J)");
    }
}

struct Problem {
    data: Data,
    a: Mat<C64>,
    b: Vec<C64>,
    bm: Mat<C64>,
    c: Vec<C64>,
    z: Vec<C64>,
}

/// A 5×3 and B 4×3 complex, b (5), c (4), z (3).
fn problem() -> Problem {
    let mut rng = Rng::new(31);
    let a = rng.cmat(5, 3);
    let bm = rng.cmat(5, 3);
    let b = rng.cvec(5);
    let c = rng.cvec(4);
    let z = rng.cvec(3);
    let mut data = Data::new();
    put_m(&mut data, "A", &a, false);
    put_m(&mut data, "B", &bm, false);
    put_v(&mut data, "b", &b, false);
    put_v(&mut data, "c", &c, false);
    Problem {
        data,
        a,
        b,
        bm,
        c,
        z,
    }
}

fn zvars() -> Vec<(String, Ty)> {
    vec![("z".into(), Ty::complex(Shape::Vector(3)))]
}

/// r = Az − b, written four ways: J = A, J̃ = 0 (affine holomorphic).
#[test]
fn affine_holomorphic_residual_all_spellings() {
    let p = problem();
    let r: Vec<C64> = matvec(&p.a, &p.z)
        .iter()
        .zip(&p.b)
        .map(|(x, y)| x - y)
        .collect();
    for src in [
        "sum(abs2(A * z - b))",
        "norm2sq(A * z - b)",
        "(A * z - b)' * (A * z - b)",
        "norm2(A * z - b)^2",
        "sum(abs2(b - A * z))",
    ] {
        let f = compile(src, &zvars(), &p.data);
        let ls = detect(&f).unwrap_or_else(|| panic!("`{src}` not detected"));
        assert_eq!(ls.pieces().len(), 1, "{src}");
        assert_eq!(ls.pieces()[0].weight, 1.0, "{src}");
        let (r, j) = if src.starts_with("sum(abs2(b") {
            (
                r.iter().map(|x| -x).collect::<Vec<_>>(),
                sc(&p.a, C64::new(-1.0, 0.0)),
            )
        } else {
            (r.clone(), p.a.clone())
        };
        check_structure(&f, &p.z, &r, &j, &Mat::zeros(5, 3), true);
    }
}

/// 0.5‖r₁‖² + ‖r₂‖²/4 with r₁ = Az − b, r₂ = B₄z − c (B₄ the first 4 rows of B): the stacked residual
/// is [r₁/√2; r₂/2], J = [A/√2; B₄/2], J̃ = 0. Also 2·abs2(z₀ − 1) (a scalar piece) + sum(abs2(r₁)).
#[test]
fn weighted_sums_of_pieces() {
    let p = problem();
    let b4 = Mat::from_fn(4, 3, |i, j| p.bm[(i, j)]);
    let r1: Vec<C64> = matvec(&p.a, &p.z)
        .iter()
        .zip(&p.b)
        .map(|(x, y)| x - y)
        .collect();
    let r2: Vec<C64> = matvec(&b4, &p.z)
        .iter()
        .zip(&p.c)
        .map(|(x, y)| x - y)
        .collect();
    let mut data = p.data.clone();
    put_m(&mut data, "B4", &b4, false);
    let s2 = std::f64::consts::FRAC_1_SQRT_2;
    let f = compile(
        "0.5*sum(abs2(A * z - b)) + sum(abs2(B4 * z - c))/4",
        &zvars(),
        &data,
    );
    let ls = detect(&f).unwrap();
    let w: Vec<f64> = ls.pieces().iter().map(|q| q.weight).collect();
    assert_eq!(w, vec![0.5, 0.25]);
    let r: Vec<C64> = r1
        .iter()
        .map(|x| x * s2)
        .chain(r2.iter().map(|x| x * 0.5))
        .collect();
    let j = vstack(&[sc(&p.a, C64::new(s2, 0.0)), sc(&b4, C64::new(0.5, 0.0))]);
    check_structure(&f, &p.z, &r, &j, &Mat::zeros(9, 3), true);

    let f = compile("2 * abs2(z[0] - 1) + sum(abs2(A * z - b))", &zvars(), &data);
    let s = std::f64::consts::SQRT_2;
    let mut r = vec![(p.z[0] - 1.0) * s];
    r.extend(&r1);
    let e0 = Mat::from_fn(1, 3, |_, j| if j == 0 { C64::new(s, 0.0) } else { ZERO });
    let j = vstack(&[e0, p.a.clone()]);
    check_structure(&f, &p.z, &r, &j, &Mat::zeros(6, 3), true);
}

/// Real residuals of a real variable: r = Mx − y with sum(r.^2) and r' * r. ∂r/∂x = M, so
/// J = J̃ = M/2 (half each, the real-variable convention), and H + K = 2MᵀM.
#[test]
fn real_residual_of_real_variable() {
    let mut rng = Rng::new(32);
    let mm = rng.rmat(4, 3);
    let y = rng.rvec(4);
    let x = rng.rvec(3);
    let mut data = Data::new();
    put_m(&mut data, "M", &mm, true);
    put_v(&mut data, "y", &y, true);
    let vars = vec![("x".into(), Ty::real(Shape::Vector(3)))];
    let r: Vec<C64> = matvec(&mm, &x).iter().zip(&y).map(|(a, b)| a - b).collect();
    let half = sc(&mm, C64::new(0.5, 0.0));
    for src in [
        "sum((M * x - y).^2)",
        "(M * x - y)' * (M * x - y)",
        "transpose(M * x - y) * (M * x - y)",
        "norm2sq(M * x - y)",
        "norm2(M * x - y)^2",
    ] {
        let f = compile(src, &vars, &data);
        check_structure(&f, &x, &r, &half, &half, true);
    }
}

/// A real residual of a complex variable: r = Re(Az) − y, dr = (A dz + conj(A) conj(dz))/2:
/// J = A/2, J̃ = conj(A)/2.
#[test]
fn real_residual_of_complex_variable() {
    let p = problem();
    let y: Vec<C64> = p.b.iter().map(|v| C64::new(v.re, 0.0)).collect();
    let mut data = p.data.clone();
    put_v(&mut data, "y", &y, true);
    let f = compile("sum((real(A * z) - y).^2)", &zvars(), &data);
    let r: Vec<C64> = matvec(&p.a, &p.z)
        .iter()
        .zip(&y)
        .map(|(a, b)| C64::new(a.re, 0.0) - b)
        .collect();
    let h = C64::new(0.5, 0.0);
    check_structure(&f, &p.z, &r, &sc(&p.a, h), &sc(&conj_m(&p.a), h), true);
}

/// Widely-linear residual r = Az + B conj(z) − b: J = A, J̃ = B.
#[test]
fn widely_linear_residual() {
    let p = problem();
    let f = compile("sum(abs2(A * z + B * conj(z) - b))", &zvars(), &p.data);
    let r: Vec<C64> = add_v(&matvec(&p.a, &p.z), &matvec(&p.bm, &conj_v(&p.z)))
        .iter()
        .zip(&p.b)
        .map(|(x, y)| x - y)
        .collect();
    check_structure(&f, &p.z, &r, &p.a, &p.bm, true);
}

/// Phase retrieval residual r = |Az|² − y (real): with u = Az, dr_i = conj(u_i)(A dz)_i +
/// u_i conj(A dz)_i, so J = diag(conj u) A and J̃ = diag(u) conj(A). Not affine: (H, K) include
/// the second-order residual term, so only the first-order identities are checked.
#[test]
fn phase_retrieval_residual() {
    let p = problem();
    let y: Vec<C64> = p.b.iter().map(|v| C64::new(v.norm(), 0.0)).collect();
    let mut data = p.data.clone();
    put_v(&mut data, "y", &y, true);
    let f = compile("sum(abs2(abs2(A * z) - y))", &zvars(), &data);
    let u = matvec(&p.a, &p.z);
    let r: Vec<C64> = u
        .iter()
        .zip(&y)
        .map(|(a, b)| C64::new(a.norm_sqr(), 0.0) - b)
        .collect();
    let j = Mat::from_fn(5, 3, |i, k| u[i].conj() * p.a[(i, k)]);
    let jt = Mat::from_fn(5, 3, |i, k| u[i] * p.a[(i, k)].conj());
    check_structure(&f, &p.z, &r, &j, &jt, false);
    // the same residual squared elementwise
    let f = compile("sum((abs2(A * z) - y).^2)", &zvars(), &data);
    check_structure(&f, &p.z, &r, &j, &jt, false);
}

/// Mixed variables: r = Az + c₅∘x − b with z complex (3) and x real (5 = residual length):
/// J = [A, diag(c₅)/2], J̃ = [0, diag(c₅)/2].
#[test]
fn mixed_real_and_complex_variables() {
    let p = problem();
    let mut rng = Rng::new(33);
    let c5 = rng.cvec(5);
    let x = rng.rvec(5);
    let mut data = p.data.clone();
    put_v(&mut data, "c5", &c5, false);
    let vars = vec![
        ("z".into(), Ty::complex(Shape::Vector(3))),
        ("x".into(), Ty::real(Shape::Vector(5))),
    ];
    let f = compile("sum(abs2(A * z + c5 .* x - b))", &vars, &data);
    let mut pt = p.z.clone();
    pt.extend(&x);
    let r: Vec<C64> = (0..5)
        .map(|i| matvec(&p.a, &p.z)[i] + c5[i] * x[i] - p.b[i])
        .collect();
    let j = Mat::from_fn(5, 8, |i, k| {
        if k < 3 {
            p.a[(i, k)]
        } else if k - 3 == i {
            c5[i] * 0.5
        } else {
            ZERO
        }
    });
    let jt = Mat::from_fn(5, 8, |i, k| {
        if k >= 3 && k - 3 == i {
            c5[i] * 0.5
        } else {
            ZERO
        }
    });
    check_structure(&f, &pt, &r, &j, &jt, true);
}

/// Objectives that are not (recognized as) positively weighted sums of squares.
#[test]
fn not_least_squares() {
    let p = problem();
    let mut data = p.data.clone();
    put_v(&mut data, "y", &[C64::new(1.0, 0.0); 5], true);
    for src in [
        "sum(abs(A * z - b))",
        "-sum(abs2(A * z - b))",
        "-2 * sum(abs2(A * z - b))",
        "sum(abs2(A * z - b)) + 1",
        "1 + sum(abs2(A * z - b))",
        "sum(abs2(A * z - b)) - sum(abs2(z))",
        "sum(abs2(A * z - b)) * abs2(z[0])",
        "sum(abs2(A * z - b)) / abs2(z[0])",
        "real(sum((A * z - b).^2))",
        "abs(sum(abs2(A * z - b)))",
        "norm2(A * z - b)",
        "sum(abs2(A * z - b)) + real(z[0])",
        "sum(abs2(z)) + lambda_max(diag(real(z)))",
    ] {
        let f = compile(src, &zvars(), &data);
        assert!(
            detect(&f).is_none(),
            "`{src}` should not be detected as least squares"
        );
    }
}
