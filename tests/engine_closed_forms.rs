//! Closed forms for every operation of the expression language: value, gradient g = 2∂f/∂z̄ and
//! the widely-linear Hessian pair (H, K) with dg = H dz + K conj(dz) (DESIGN.md §1), each derived
//! by hand in the comment above its test, then also checked against finite differences.
//!
//! Two identities are used throughout. For a holomorphic F(z) (elementwise φ, or any analytic
//! expression of z):
//!
//! - f = Re F(z) = ½(F + F̄): ∂f/∂z̄ = ½ conj(F′), so g = conj(F′) = conj(∇F), and
//!   dg = conj(∇²F dz), i.e. H = 0, K = conj(∇²F).
//! - f = |F(z)|² = F F̄ (scalar F): ∂f/∂z̄ = F conj(F′), so g = 2F conj(F′), and
//!   dg = 2|F′|² dz + 2F conj(F″) conj(dz), i.e. H = 2|F′|², K = 2F conj(F″) (elementwise).
//!
//! For real variables the tangent is real, and H, K each hold half of the real Hessian column.

use faer::Mat;
use num_complex::Complex64 as C64;
use std::collections::BTreeMap;
use std::sync::Arc;
use wirtinger::cr::{check_derivatives, Function, GRADIENT_TOL, HESSIAN_TOL};
use wirtinger::expr::{compile_objective, DataValue};
use wirtinger::io::random::ChaCha8;
use wirtinger::model::{Shape, Tensor, Ty};

type Data = BTreeMap<String, DataValue>;

const I: C64 = C64 { re: 0.0, im: 1.0 };
const ZERO: C64 = C64 { re: 0.0, im: 0.0 };
const ONE: C64 = C64 { re: 1.0, im: 0.0 };

fn c(re: f64, im: f64) -> C64 {
    C64::new(re, im)
}

fn r(x: f64) -> C64 {
    C64::new(x, 0.0)
}

struct Rng(ChaCha8);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(ChaCha8::from_seed_u64(seed))
    }
    /// Standard complex normal.
    fn c(&mut self) -> C64 {
        let (a, b) = self.0.normal_pair();
        c(a, b) * std::f64::consts::FRAC_1_SQRT_2
    }
    fn r(&mut self) -> f64 {
        self.0.normal_pair().0
    }
    fn cvec(&mut self, n: usize) -> Vec<C64> {
        (0..n).map(|_| self.c()).collect()
    }
    fn rvec(&mut self, n: usize) -> Vec<C64> {
        (0..n).map(|_| r(self.r())).collect()
    }
    fn cmat(&mut self, m: usize, n: usize) -> Mat<C64> {
        Mat::from_fn(m, n, |_, _| self.c())
    }
}

fn cvar(name: &str, shape: Shape) -> (String, Ty) {
    (name.to_string(), Ty::complex(shape))
}

fn rvar(name: &str, shape: Shape) -> (String, Ty) {
    (name.to_string(), Ty::real(shape))
}

/// Registers a dense data entry.
fn put(data: &mut Data, name: &str, t: Tensor, real: bool) {
    data.insert(
        name.to_string(),
        DataValue::Dense {
            value: Arc::new(t),
            real,
        },
    );
}

fn vt(v: &[C64]) -> Tensor {
    Tensor::new(Shape::Vector(v.len()), v.to_vec()).unwrap()
}

fn mt(m: &Mat<C64>) -> Tensor {
    let d = (0..m.ncols())
        .flat_map(|j| (0..m.nrows()).map(move |i| m[(i, j)]))
        .collect();
    Tensor::new(Shape::Matrix(m.nrows(), m.ncols()), d).unwrap()
}

/// Column-major entries of a matrix (the stacking order of a matrix variable).
fn vec_of(m: &Mat<C64>) -> Vec<C64> {
    mt(m).data().to_vec()
}

fn compile(src: &str, vars: &[(String, Ty)], data: &Data) -> Function {
    compile_objective(src, vars, data).unwrap_or_else(|e| panic!("`{src}`: {e}"))
}

fn diag(d: &[C64]) -> Mat<C64> {
    Mat::from_fn(d.len(), d.len(), |i, j| if i == j { d[i] } else { ZERO })
}

fn zeros(n: usize) -> Mat<C64> {
    Mat::zeros(n, n)
}

fn mul(a: &Mat<C64>, b: &Mat<C64>) -> Mat<C64> {
    a * b
}

fn matvec(a: &Mat<C64>, v: &[C64]) -> Vec<C64> {
    (0..a.nrows())
        .map(|i| (0..a.ncols()).map(|j| a[(i, j)] * v[j]).sum())
        .collect()
}

fn sc(a: &Mat<C64>, s: f64) -> Mat<C64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[(i, j)] * s)
}

fn adj(a: &Mat<C64>) -> Mat<C64> {
    a.adjoint().to_owned()
}

fn conj_m(a: &Mat<C64>) -> Mat<C64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[(i, j)].conj())
}

fn conj_v(v: &[C64]) -> Vec<C64> {
    v.iter().map(|x| x.conj()).collect()
}

fn norm_v(v: &[C64]) -> f64 {
    v.iter().map(|x| x.norm_sqr()).sum::<f64>().sqrt()
}

fn assert_vec(got: &[C64], want: &[C64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let d: Vec<C64> = got.iter().zip(want).map(|(a, b)| a - b).collect();
    assert!(
        norm_v(&d) <= tol * (1.0 + norm_v(want)),
        "{what}: got {got:?}, want {want:?}"
    );
}

fn assert_mat(got: &Mat<C64>, want: &Mat<C64>, tol: f64, what: &str) {
    assert_eq!(
        (got.nrows(), got.ncols()),
        (want.nrows(), want.ncols()),
        "{what}: shape"
    );
    let scale = 1.0 + want.norm_l2();
    let err = (got - want).norm_l2();
    assert!(
        err <= tol * scale,
        "{what}: error {err:.3e}\ngot  {got:?}\nwant {want:?}"
    );
}

const TOL: f64 = 1e-11;

/// Checks value, gradient and (H, K) against closed forms, that hvp agrees with H v + K conj(v),
/// and that the finite-difference checker passes.
fn expect(f: &Function, z: &[C64], val: f64, g: &[C64], h: &Mat<C64>, k: &Mat<C64>) {
    expect_first(f, z, val, g);
    let (hh, kk) = f.hessian(z).unwrap();
    assert_mat(&hh, h, TOL, "H");
    assert_mat(&kk, k, TOL, "K");
    let v = Rng::new(99).cvec(z.len());
    let v = mask_real(f, v);
    let want: Vec<C64> = matvec(h, &v)
        .iter()
        .zip(matvec(k, &conj_v(&v)))
        .map(|(a, b)| a + b)
        .collect();
    assert_vec(&f.hvp(z, &v).unwrap(), &want, TOL, "hvp");
    fd(f, z);
}

/// Value and gradient only, plus the finite-difference check.
fn expect_first(f: &Function, z: &[C64], val: f64, g: &[C64]) {
    let (v, gg) = f.value_gradient(z).unwrap();
    assert!(
        (v - val).abs() <= TOL * (1.0 + val.abs()),
        "value {v} vs {val}"
    );
    assert_vec(&gg, g, TOL, "gradient");
}

fn fd(f: &Function, z: &[C64]) {
    let rep = check_derivatives(f, z, 5).unwrap();
    assert!(rep.gradient_error < GRADIENT_TOL, "{rep:?}");
    assert!(
        rep.hessian_checked && rep.hessian_error < HESSIAN_TOL,
        "{rep:?}"
    );
}

/// Real variables' directions have zero imaginary parts.
fn mask_real(f: &Function, mut v: Vec<C64>) -> Vec<C64> {
    for var in f.vars() {
        if var.real {
            for x in &mut v[var.offset..var.offset + var.shape.numel()] {
                x.im = 0.0;
            }
        }
    }
    v
}

// ---------------------------------------------------------------------------------------------
// Conventions

/// f = |z|² at z = 1+2i: g = 2z = 2+4i (∂f/∂z̄ = z = 1+2i; JAX's grad would be 2−4i), H = 2, K = 0.
#[test]
fn convention_abs2_at_1_plus_2i() {
    let f = compile("abs2(z)", &[cvar("z", Shape::Scalar)], &Data::new());
    let z = [c(1.0, 2.0)];
    expect(
        &f,
        &z,
        5.0,
        &[c(2.0, 4.0)],
        &diag(&[r(2.0)]),
        &diag(&[ZERO]),
    );
}

/// f = zᴴPz + Re(zᵀCz) − 2Re(bᴴz), P Hermitian, C non-symmetric, n = 4.
/// ∂(zᴴPz)/∂z̄ = Pz; Re(zᵀCz) = ½(zᵀCz + conj(zᵀCz)) with ∂conj(zᵀCz)/∂z̄ = conj((C + Cᵀ)z);
/// −2Re(bᴴz) = −(bᴴz + zᴴb) with ∂/∂z̄ = −b. So g = 2Pz + conj(C + Cᵀ) z̄ − 2b,
/// H = 2P, K = conj(C + Cᵀ).
#[test]
fn widely_linear_quadratic_n4() {
    let mut rng = Rng::new(1);
    let n = 4;
    let m = rng.cmat(n, n);
    let p = &m + &adj(&m);
    let cm = rng.cmat(n, n);
    let b = rng.cvec(n);
    let mut data = Data::new();
    put(&mut data, "P", mt(&p), false);
    put(&mut data, "C", mt(&cm), false);
    put(&mut data, "b", vt(&b), false);
    let f = compile(
        "real(z' * P * z) + real(transpose(z) * C * z) - 2 * real(b' * z)",
        &[cvar("z", Shape::Vector(n))],
        &data,
    );
    let z = rng.cvec(n);
    let s = &cm + cm.transpose();
    let k = conj_m(&s);
    let pz = matvec(&p, &z);
    let kz = matvec(&k, &conj_v(&z));
    let g: Vec<C64> = (0..n).map(|i| pz[i] * 2.0 + kz[i] - b[i] * 2.0).collect();
    let zpz: C64 = (0..n).map(|i| z[i].conj() * pz[i]).sum();
    let zcz: C64 = (0..n).map(|i| z[i] * matvec(&cm, &z)[i]).sum();
    let bz: C64 = (0..n).map(|i| b[i].conj() * z[i]).sum();
    let val = zpz.re + zcz.re - 2.0 * bz.re;
    expect(&f, &z, val, &g, &sc(&p, 2.0), &k);
}

// ---------------------------------------------------------------------------------------------
// Elementwise holomorphic functions, through both identities of the module comment.

/// For F = Σ cᵢφ(zᵢ) and f = Re F: g = conj(c φ′), H = 0, K = diag(conj(c φ″)).
/// For f = Σ|φ(zᵢ)|²: g = 2φ conj(φ′), H = diag(2|φ′|²), K = diag(2φ conj(φ″)).
fn holomorphic(expr: &str, z: &[C64], phi: impl Fn(C64) -> [C64; 3]) {
    let n = z.len();
    let cc = Rng::new(7).cvec(n);
    let mut data = Data::new();
    put(&mut data, "c", vt(&cc), false);
    let vars = [cvar("z", Shape::Vector(n))];
    let d: Vec<[C64; 3]> = z.iter().map(|&x| phi(x)).collect();

    let f = compile(&format!("real(sum(c .* {expr}))"), &vars, &data);
    let val: f64 = (0..n).map(|i| (cc[i] * d[i][0]).re).sum();
    let g: Vec<C64> = (0..n).map(|i| (cc[i] * d[i][1]).conj()).collect();
    let k: Vec<C64> = (0..n).map(|i| (cc[i] * d[i][2]).conj()).collect();
    expect(&f, z, val, &g, &zeros(n), &diag(&k));

    let f = compile(&format!("sum(abs2({expr}))"), &vars, &data);
    let val: f64 = d.iter().map(|x| x[0].norm_sqr()).sum();
    let g: Vec<C64> = d.iter().map(|x| x[0] * x[1].conj() * 2.0).collect();
    let h: Vec<C64> = d.iter().map(|x| r(2.0 * x[1].norm_sqr())).collect();
    let k: Vec<C64> = d.iter().map(|x| x[0] * x[2].conj() * 2.0).collect();
    expect(&f, z, val, &g, &diag(&h), &diag(&k));
}

/// Points in the right half plane, away from the branch cut of log, √ and fractional powers.
fn right_half_plane() -> Vec<C64> {
    vec![c(1.2, 0.7), c(0.6, -0.9), c(2.0, 0.3)]
}

#[test]
fn exp_closed_form() {
    // φ = φ′ = φ″ = eᶻ
    holomorphic("exp(z)", &right_half_plane(), |x| {
        [x.exp(), x.exp(), x.exp()]
    });
}

#[test]
fn log_closed_form() {
    // φ′ = 1/z, φ″ = −1/z²
    holomorphic("log(z)", &right_half_plane(), |x| {
        [x.ln(), x.inv(), -(x * x).inv()]
    });
}

#[test]
fn sqrt_closed_form() {
    // φ′ = 1/(2√z), φ″ = −1/(4 z √z)
    holomorphic("sqrt(z)", &right_half_plane(), |x| {
        let s = x.sqrt();
        [s, (s * 2.0).inv(), -(x * s * 4.0).inv()]
    });
}

#[test]
fn sin_closed_form() {
    // φ′ = cos z, φ″ = −sin z
    holomorphic("sin(z)", &right_half_plane(), |x| {
        [x.sin(), x.cos(), -x.sin()]
    });
}

#[test]
fn cos_closed_form() {
    // φ′ = −sin z, φ″ = −cos z
    holomorphic("cos(z)", &right_half_plane(), |x| {
        [x.cos(), -x.sin(), -x.cos()]
    });
}

#[test]
fn elementwise_integer_power_closed_form() {
    // φ = z³: φ′ = 3z², φ″ = 6z
    holomorphic("z.^3", &right_half_plane(), |x| {
        [x * x * x, x * x * 3.0, x * 6.0]
    });
    // φ = z⁻²: φ′ = −2z⁻³, φ″ = 6z⁻⁴
    holomorphic("z.^(-2)", &right_half_plane(), |x| {
        [x.powi(-2), x.powi(-3) * -2.0, x.powi(-4) * 6.0]
    });
}

#[test]
fn elementwise_fractional_power_closed_form() {
    // φ = z^2.5 = exp(2.5 log z) (principal branch): φ′ = 2.5 z^1.5, φ″ = 3.75 z^0.5
    holomorphic("z.^2.5", &right_half_plane(), |x| {
        [x.powf(2.5), x.powf(1.5) * 2.5, x.powf(0.5) * 3.75]
    });
}

/// `^` on a complex scalar: f = Re(c w³) + |w^0.5|² ... done as two objectives.
/// Re(c w³): g = conj(3c w²), K = conj(6c w). |w^2.5|² = |w|⁵ (principal branch):
/// φ′ = 2.5 w^1.5, φ″ = 3.75 w^0.5, g = 2φ conj(φ′), H = 2|φ′|², K = 2φ conj(φ″).
#[test]
fn scalar_power_closed_form() {
    let w = c(0.8, -1.1);
    let cc = c(0.3, 0.9);
    let mut data = Data::new();
    put(&mut data, "c", Tensor::scalar(cc), false);
    let vars = [cvar("w", Shape::Scalar)];
    let f = compile("real(c * w^3)", &vars, &data);
    expect(
        &f,
        &[w],
        (cc * w.powi(3)).re,
        &[(cc * w * w * 3.0).conj()],
        &diag(&[ZERO]),
        &diag(&[(cc * w * 6.0).conj()]),
    );
    let f = compile("abs2(w^2.5)", &vars, &data);
    let (p0, p1, p2) = (w.powf(2.5), w.powf(1.5) * 2.5, w.powf(0.5) * 3.75);
    expect(
        &f,
        &[w],
        p0.norm_sqr(),
        &[p0 * p1.conj() * 2.0],
        &diag(&[r(2.0 * p1.norm_sqr())]),
        &diag(&[p0 * p2.conj() * 2.0]),
    );
}

/// Real variables: f = Σ cᵢφ(xᵢ) with real data c has ∂f/∂x = c φ′ and real Hessian diag(c φ″),
/// so H = K = ½ diag(c φ″) (each holds half of the real Hessian column).
#[test]
fn real_variable_elementwise_closed_forms() {
    let x = [r(0.7), r(1.9), r(1.3)];
    let cr = [r(0.5), r(-1.2), r(2.0)];
    let mut data = Data::new();
    put(&mut data, "c", vt(&cr), true);
    let vars = [rvar("x", Shape::Vector(3))];
    type D = fn(f64) -> [f64; 3];
    let cases: [(&str, D); 8] = [
        ("exp(x)", |t| [t.exp(), t.exp(), t.exp()]),
        ("log(x)", |t| [t.ln(), 1.0 / t, -1.0 / (t * t)]),
        ("sqrt(x)", |t| {
            [t.sqrt(), 0.5 / t.sqrt(), -0.25 / (t * t.sqrt())]
        }),
        ("sin(x)", |t| [t.sin(), t.cos(), -t.sin()]),
        ("cos(x)", |t| [t.cos(), -t.sin(), -t.cos()]),
        ("x.^3", |t| [t.powi(3), 3.0 * t * t, 6.0 * t]),
        ("x.^2.5", |t| {
            [t.powf(2.5), 2.5 * t.powf(1.5), 3.75 * t.sqrt()]
        }),
        ("abs2(x)", |t| [t * t, 2.0 * t, 2.0]),
    ];
    for (e, phi) in cases {
        let f = compile(&format!("sum(c .* {e})"), &vars, &data);
        let d: Vec<[f64; 3]> = x.iter().map(|t| phi(t.re)).collect();
        let val: f64 = (0..3).map(|i| cr[i].re * d[i][0]).sum();
        let g: Vec<C64> = (0..3).map(|i| r(cr[i].re * d[i][1])).collect();
        let half: Vec<C64> = (0..3).map(|i| r(0.5 * cr[i].re * d[i][2])).collect();
        expect(&f, &x, val, &g, &diag(&half), &diag(&half));
    }
}

// ---------------------------------------------------------------------------------------------
// Non-holomorphic elementwise functions

/// f = Σ Re(zᵢ²) = Σ(xᵢ² − yᵢ²): g = 2x − 2iy = 2z̄, dg = 2 conj(dz): H = 0, K = 2I.
#[test]
fn real_closed_form() {
    let z = Rng::new(2).cvec(3);
    let f = compile(
        "sum(real(z .* z))",
        &[cvar("z", Shape::Vector(3))],
        &Data::new(),
    );
    let val: f64 = z.iter().map(|x| (x * x).re).sum();
    let g: Vec<C64> = z.iter().map(|x| x.conj() * 2.0).collect();
    expect(&f, &z, val, &g, &zeros(3), &diag(&[r(2.0); 3]));
}

/// f = Σ Im(zᵢ²) = Σ 2xᵢyᵢ: g = 2y + 2ix = 2i z̄, dg = 2i conj(dz): H = 0, K = 2iI.
#[test]
fn imag_closed_form() {
    let z = Rng::new(3).cvec(3);
    let f = compile(
        "sum(imag(z .* z))",
        &[cvar("z", Shape::Vector(3))],
        &Data::new(),
    );
    let val: f64 = z.iter().map(|x| (x * x).im).sum();
    let g: Vec<C64> = z.iter().map(|x| I * x.conj() * 2.0).collect();
    expect(&f, &z, val, &g, &zeros(3), &diag(&[I * 2.0; 3]));
}

/// f = Σ|z̄ᵢ − bᵢ|² = Σ|zᵢ − b̄ᵢ|²: g = 2(z − b̄), H = 2I, K = 0.
/// f = Re Σ cᵢ z̄ᵢ² = Re Σ c̄ᵢ zᵢ² (F = Σ c̄ᵢzᵢ²): g = conj(2c̄z) = 2c z̄, H = 0, K = conj(2c̄) = 2c.
#[test]
fn conj_closed_form() {
    let mut rng = Rng::new(4);
    let (z, b, cc) = (rng.cvec(3), rng.cvec(3), rng.cvec(3));
    let mut data = Data::new();
    put(&mut data, "b", vt(&b), false);
    put(&mut data, "c", vt(&cc), false);
    let vars = [cvar("z", Shape::Vector(3))];
    let f = compile("sum(abs2(conj(z) - b))", &vars, &data);
    let val: f64 = (0..3).map(|i| (z[i].conj() - b[i]).norm_sqr()).sum();
    let g: Vec<C64> = (0..3).map(|i| (z[i] - b[i].conj()) * 2.0).collect();
    expect(&f, &z, val, &g, &diag(&[r(2.0); 3]), &zeros(3));
    let f = compile("real(sum(c .* conj(z) .* conj(z)))", &vars, &data);
    let val: f64 = (0..3).map(|i| (cc[i] * z[i].conj() * z[i].conj()).re).sum();
    let g: Vec<C64> = (0..3).map(|i| cc[i] * z[i].conj() * 2.0).collect();
    let k: Vec<C64> = cc.iter().map(|x| x * 2.0).collect();
    expect(&f, &z, val, &g, &zeros(3), &diag(&k));
}

/// f = Σ|zᵢ| (and norm1): g = z/|z| = s; ds = (dz − s Re(s̄ dz))/|z| = dz/(2|z|) − s² conj(dz)/(2|z|),
/// so H = diag(1/(2|z|)), K = diag(−z²/(2|z|³)).
#[test]
fn abs_and_norm1_closed_form() {
    let z = Rng::new(5).cvec(3);
    let g: Vec<C64> = z.iter().map(|x| x / x.norm()).collect();
    let h: Vec<C64> = z.iter().map(|x| r(0.5 / x.norm())).collect();
    let k: Vec<C64> = z
        .iter()
        .map(|x| -x * x / (2.0 * x.norm().powi(3)))
        .collect();
    let val: f64 = z.iter().map(|x| x.norm()).sum();
    for src in ["sum(abs(z))", "norm1(z)"] {
        let f = compile(src, &[cvar("z", Shape::Vector(3))], &Data::new());
        expect(&f, &z, val, &g, &diag(&h), &diag(&k));
    }
    // a real variable: |x| has ∂/∂x = sign(x) and zero second derivative away from 0
    let f = compile("sum(abs(x))", &[rvar("x", Shape::Vector(2))], &Data::new());
    expect(
        &f,
        &[r(-0.7), r(1.4)],
        2.1,
        &[r(-1.0), r(1.0)],
        &zeros(2),
        &zeros(2),
    );
}

/// At z = 0 the engine returns the subgradient 0 for |z| (and 0 for the second derivatives).
#[test]
fn abs_at_zero_gives_gradient_zero_subgradient() {
    let f = compile(
        "abs(z) + norm1(u)",
        &[cvar("z", Shape::Scalar), cvar("u", Shape::Vector(2))],
        &Data::new(),
    );
    let z = [ZERO, ZERO, c(3.0, 4.0)];
    let (v, g) = f.value_gradient(&z).unwrap();
    assert_eq!(v, 5.0);
    assert_vec(&g, &[ZERO, ZERO, c(0.6, 0.8)], TOL, "gradient");
    let (h, k) = f.hessian(&z).unwrap();
    for i in 0..2 {
        for j in 0..3 {
            assert_eq!(h[(i, j)], ZERO);
            assert_eq!(k[(i, j)], ZERO);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Arithmetic

/// f = Σ|aᵢzᵢ|²: g = 2|a|²z, H = 2|a|², K = 0.
/// f = Re Σ cᵢzᵢuᵢ (two variables, F holomorphic): g_z = conj(cu), g_u = conj(cz),
/// ∇²F has ∂²F/∂zᵢ∂uᵢ = cᵢ only, so H = 0 and K = [[0, diag(c̄)], [diag(c̄), 0]].
#[test]
fn elementwise_product_closed_form() {
    let mut rng = Rng::new(6);
    let (z, u, a, cc) = (rng.cvec(3), rng.cvec(3), rng.cvec(3), rng.cvec(3));
    let mut data = Data::new();
    put(&mut data, "a", vt(&a), false);
    put(&mut data, "c", vt(&cc), false);
    let f = compile("sum(abs2(a .* z))", &[cvar("z", Shape::Vector(3))], &data);
    let val: f64 = (0..3).map(|i| (a[i] * z[i]).norm_sqr()).sum();
    let g: Vec<C64> = (0..3).map(|i| z[i] * 2.0 * a[i].norm_sqr()).collect();
    let h: Vec<C64> = a.iter().map(|x| r(2.0 * x.norm_sqr())).collect();
    expect(&f, &z, val, &g, &diag(&h), &zeros(3));

    let f = compile(
        "real(sum(c .* z .* u))",
        &[cvar("z", Shape::Vector(3)), cvar("u", Shape::Vector(3))],
        &data,
    );
    let p: Vec<C64> = z.iter().chain(&u).copied().collect();
    let val: f64 = (0..3).map(|i| (cc[i] * z[i] * u[i]).re).sum();
    let g: Vec<C64> = (0..3)
        .map(|i| (cc[i] * u[i]).conj())
        .chain((0..3).map(|i| (cc[i] * z[i]).conj()))
        .collect();
    let k = Mat::from_fn(6, 6, |i, j| {
        if i % 3 == j % 3 && i != j {
            cc[i % 3].conj()
        } else {
            ZERO
        }
    });
    expect(&f, &p, val, &g, &zeros(6), &k);
}

/// f = Re Σ cᵢ/zᵢ: φ′ = −c/z², φ″ = 2c/z³, so g = conj(−c/z²), H = 0, K = diag(conj(2c/z³)).
/// f = Re Σ zᵢ/uᵢ: ∂F/∂z = 1/u, ∂F/∂u = −z/u²; ∂²F/∂z∂u = −1/u², ∂²F/∂u² = 2z/u³, ∂²F/∂z² = 0.
#[test]
fn elementwise_division_closed_form() {
    let mut rng = Rng::new(8);
    let (z, u, cc) = (rng.cvec(3), rng.cvec(3), rng.cvec(3));
    let mut data = Data::new();
    put(&mut data, "c", vt(&cc), false);
    let f = compile("real(sum(c ./ z))", &[cvar("z", Shape::Vector(3))], &data);
    let val: f64 = (0..3).map(|i| (cc[i] / z[i]).re).sum();
    let g: Vec<C64> = (0..3).map(|i| (-cc[i] / (z[i] * z[i])).conj()).collect();
    let k: Vec<C64> = (0..3)
        .map(|i| (cc[i] * 2.0 / z[i].powi(3)).conj())
        .collect();
    expect(&f, &z, val, &g, &zeros(3), &diag(&k));

    let f = compile(
        "real(sum(z ./ u))",
        &[cvar("z", Shape::Vector(3)), cvar("u", Shape::Vector(3))],
        &data,
    );
    let p: Vec<C64> = z.iter().chain(&u).copied().collect();
    let val: f64 = (0..3).map(|i| (z[i] / u[i]).re).sum();
    let g: Vec<C64> = (0..3)
        .map(|i| u[i].inv().conj())
        .chain((0..3).map(|i| (-z[i] / (u[i] * u[i])).conj()))
        .collect();
    let k = Mat::from_fn(6, 6, |i, j| {
        let (a, b) = (i % 3, j % 3);
        // ∂²F/∂z² = 0 and entries of different index pairs vanish
        if a != b || (i < 3 && j < 3) {
            ZERO
        } else if i >= 3 && j >= 3 {
            (z[a] * 2.0 / u[a].powi(3)).conj()
        } else {
            (-(u[a] * u[a]).inv()).conj()
        }
    });
    expect(&f, &p, val, &g, &zeros(6), &k);
}

/// `/` by a scalar variable: F = s/w with s = Σzᵢ. ∂F/∂zᵢ = 1/w, ∂F/∂w = −s/w²;
/// ∂²F/∂zᵢ∂w = −1/w², ∂²F/∂w² = 2s/w³, ∂²F/∂zᵢ∂zⱼ = 0. f = Re F: g = conj(∇F), H = 0, K = conj(∇²F).
/// `/` by a constant is a scale: f = |z/2|² has g = z/2, H = ½.
#[test]
fn scalar_division_closed_form() {
    let mut rng = Rng::new(9);
    let z = rng.cvec(3);
    let w = c(1.1, -0.4);
    let f = compile(
        "real(sum(z) / w)",
        &[cvar("z", Shape::Vector(3)), cvar("w", Shape::Scalar)],
        &Data::new(),
    );
    let s: C64 = z.iter().sum();
    let mut p = z.clone();
    p.push(w);
    let mut g = vec![w.inv().conj(); 3];
    g.push((-s / (w * w)).conj());
    let k = Mat::from_fn(4, 4, |i, j| match (i, j) {
        (3, 3) => (s * 2.0 / w.powi(3)).conj(),
        (3, _) | (_, 3) => (-(w * w).inv()).conj(),
        _ => ZERO,
    });
    expect(&f, &p, (s / w).re, &g, &zeros(4), &k);

    let f = compile(
        "sum(abs2(z / 2))",
        &[cvar("z", Shape::Vector(3))],
        &Data::new(),
    );
    let val = z.iter().map(|x| x.norm_sqr()).sum::<f64>() / 4.0;
    let g: Vec<C64> = z.iter().map(|x| x * 0.5).collect();
    expect(&f, &z, val, &g, &diag(&[r(0.5); 3]), &zeros(3));
}

// ---------------------------------------------------------------------------------------------
// Matrix products, transposes, reductions

/// ‖Mz − b‖² with M = A, Aᴴ (`A'`), Aᵀ (`transpose(A)`), and the row form ‖zᴴA − bᴴ‖² = ‖Aᴴz − b‖²:
/// g = 2Mᴴ(Mz − b), H = 2MᴴM, K = 0.
#[test]
fn matrix_products_with_adjoint_and_transpose() {
    let mut rng = Rng::new(10);
    let a43 = rng.cmat(4, 3);
    let a34 = rng.cmat(3, 4);
    let b = rng.cvec(4);
    let z = rng.cvec(3);
    let mut data = Data::new();
    put(&mut data, "A", mt(&a43), false);
    put(&mut data, "B", mt(&a34), false);
    put(&mut data, "b", vt(&b), false);
    let vars = [cvar("z", Shape::Vector(3))];
    let cases = [
        ("sum(abs2(A * z - b))", a43.clone()),
        ("sum(abs2(B' * z - b))", adj(&a34)),
        (
            "sum(abs2(transpose(B) * z - b))",
            a34.transpose().to_owned(),
        ),
        ("sum(abs2(z' * B - b'))", adj(&a34)),
        (
            "sum(abs2(transpose(z) * B - transpose(b)))",
            a34.transpose().to_owned(),
        ),
    ];
    for (src, m) in cases {
        let f = compile(src, &vars, &data);
        let res: Vec<C64> = matvec(&m, &z).iter().zip(&b).map(|(x, y)| x - y).collect();
        let g: Vec<C64> = matvec(&adj(&m), &res).iter().map(|x| x * 2.0).collect();
        let h = sc(&mul(&adj(&m), &m), 2.0);
        println!("{src}");
        expect(&f, &z, norm_v(&res).powi(2), &g, &h, &zeros(3));
    }
}

/// Matrix variable X (3×2): f = ‖XB − C‖_F². vec(XB) = (Bᵀ ⊗ I) vec X, so g = 2(XB − C)Bᴴ and
/// H = 2(conj(B)Bᵀ ⊗ I): H[(p,a),(q,b)] = 2 Σ_c conj(B_ac) B_bc δ_pq; K = 0.
/// f = Re tr(XᴴA) = Re⟨X, A⟩: g = A. f = Re tr(XᵀA) = Re Σ X_ij A_ij: g = conj(A).
/// f = Re tr(XᴴX) = ‖X‖²: g = 2X, H = 2I.
#[test]
fn matrix_variable_products() {
    let mut rng = Rng::new(11);
    let bm = rng.cmat(2, 4);
    let cm = rng.cmat(3, 4);
    let am = rng.cmat(3, 2);
    let x = rng.cmat(3, 2);
    let mut data = Data::new();
    put(&mut data, "B", mt(&bm), false);
    put(&mut data, "C", mt(&cm), false);
    put(&mut data, "A", mt(&am), false);
    let vars = [cvar("X", Shape::Matrix(3, 2))];
    let z = vec_of(&x);
    let f = compile("sum(abs2(X * B - C))", &vars, &data);
    let res = &mul(&x, &bm) - &cm;
    let g = vec_of(&sc(&mul(&res, &adj(&bm)), 2.0));
    let bb = mul(&conj_m(&bm), &bm.transpose().to_owned());
    let h = Mat::from_fn(6, 6, |i, j| {
        let (p, a, q, b) = (i % 3, i / 3, j % 3, j / 3);
        if p == q {
            bb[(a, b)] * 2.0
        } else {
            ZERO
        }
    });
    expect(&f, &z, res.norm_l2().powi(2), &g, &h, &zeros(6));

    let f = compile("real(trace(X' * A))", &vars, &data);
    let val: f64 = (0..6).map(|i| (z[i].conj() * vec_of(&am)[i]).re).sum();
    expect(&f, &z, val, &vec_of(&am), &zeros(6), &zeros(6));
    let f = compile("real(trace(transpose(X) * A))", &vars, &data);
    let val: f64 = (0..6).map(|i| (z[i] * vec_of(&am)[i]).re).sum();
    expect(&f, &z, val, &vec_of(&conj_m(&am)), &zeros(6), &zeros(6));
    let f = compile("real(trace(X' * X))", &vars, &data);
    let g: Vec<C64> = z.iter().map(|v| v * 2.0).collect();
    expect(
        &f,
        &z,
        norm_v(&z).powi(2),
        &g,
        &diag(&[r(2.0); 6]),
        &zeros(6),
    );
}

/// f = Re Σ cᵢzᵢ: g = conj(c), H = K = 0. f = Σ xᵢ (real): g = 1.
#[test]
fn sum_closed_form() {
    let mut rng = Rng::new(12);
    let (z, cc) = (rng.cvec(3), rng.cvec(3));
    let mut data = Data::new();
    put(&mut data, "c", vt(&cc), false);
    let f = compile("real(sum(c .* z))", &[cvar("z", Shape::Vector(3))], &data);
    let val: f64 = (0..3).map(|i| (cc[i] * z[i]).re).sum();
    expect(&f, &z, val, &conj_v(&cc), &zeros(3), &zeros(3));
    let f = compile("sum(x)", &[rvar("x", Shape::Vector(3))], &data);
    let x = rng.rvec(3);
    let val: f64 = x.iter().map(|v| v.re).sum();
    expect(&f, &x, val, &[ONE; 3], &zeros(3), &zeros(3));
}

/// dot(a, z) = aᴴz (F holomorphic in z, ∇F = ā): f = Re dot(a, z) has g = a; Re dot(z, a) =
/// Re(zᴴa) = Re(aᴴz) has g = a too; Re(i·aᴴz): g = conj(i ā) = −i a; dot(z, z) = ‖z‖²: g = 2z, H = 2I.
/// Matrices: dot(A, X) = Σ conj(A_ij) X_ij, g = A.
#[test]
fn dot_closed_form() {
    let mut rng = Rng::new(13);
    let (z, a) = (rng.cvec(3), rng.cvec(3));
    let am = rng.cmat(2, 2);
    let mut data = Data::new();
    put(&mut data, "a", vt(&a), false);
    put(&mut data, "A", mt(&am), false);
    let vars = [cvar("z", Shape::Vector(3))];
    let az: C64 = (0..3).map(|i| a[i].conj() * z[i]).sum();
    let f = compile("real(dot(a, z))", &vars, &data);
    expect(&f, &z, az.re, &a, &zeros(3), &zeros(3));
    let f = compile("real(dot(z, a))", &vars, &data);
    expect(&f, &z, az.re, &a, &zeros(3), &zeros(3));
    let f = compile("real(1i * dot(a, z))", &vars, &data);
    let g: Vec<C64> = a.iter().map(|x| -I * x).collect();
    expect(&f, &z, (I * az).re, &g, &zeros(3), &zeros(3));
    let f = compile("real(dot(z, z))", &vars, &data);
    let g: Vec<C64> = z.iter().map(|x| x * 2.0).collect();
    expect(
        &f,
        &z,
        norm_v(&z).powi(2),
        &g,
        &diag(&[r(2.0); 3]),
        &zeros(3),
    );
    let xm = rng.cmat(2, 2);
    let f = compile("real(dot(A, X))", &[cvar("X", Shape::Matrix(2, 2))], &data);
    let val: f64 = (0..4)
        .map(|i| (vec_of(&am)[i].conj() * vec_of(&xm)[i]).re)
        .sum();
    expect(&f, &vec_of(&xm), val, &vec_of(&am), &zeros(4), &zeros(4));
}

/// f = ‖z‖: g = z/‖z‖; dg = dz/‖z‖ − z Re(zᴴdz)/‖z‖³ = dz/‖z‖ − z(zᴴdz + zᵀconj(dz))/(2‖z‖³),
/// so H = I/‖z‖ − zzᴴ/(2‖z‖³), K = −zzᵀ/(2‖z‖³). The same for a matrix (Frobenius, on vec X).
#[test]
fn norm2_closed_form() {
    let mut rng = Rng::new(14);
    for (vars, n) in [
        (vec![cvar("z", Shape::Vector(3))], 3),
        (vec![cvar("z", Shape::Matrix(2, 2))], 4),
    ] {
        let z = rng.cvec(n);
        let f = compile("norm2(z)", &vars, &Data::new());
        let m = norm_v(&z);
        let g: Vec<C64> = z.iter().map(|x| x / m).collect();
        let h = Mat::from_fn(n, n, |i, j| {
            let d = if i == j { 1.0 / m } else { 0.0 };
            r(d) - z[i] * z[j].conj() / (2.0 * m.powi(3))
        });
        let k = Mat::from_fn(n, n, |i, j| -z[i] * z[j] / (2.0 * m.powi(3)));
        expect(&f, &z, m, &g, &h, &k);
    }
}

/// At z = 0 norm2 returns the gradient 0 (an element of its subdifferential, the unit ball), and
/// zero second derivatives.
#[test]
fn norm2_at_zero_gives_gradient_zero() {
    let f = compile("norm2(z)", &[cvar("z", Shape::Vector(3))], &Data::new());
    let z = [ZERO; 3];
    let (v, g) = f.value_gradient(&z).unwrap();
    assert_eq!(v, 0.0);
    assert_eq!(g, vec![ZERO; 3]);
    let (h, k) = f.hessian(&z).unwrap();
    assert_eq!(h.norm_l2(), 0.0);
    assert_eq!(k.norm_l2(), 0.0);
}

/// norm2sq(z) = ‖z‖²: g = 2z, H = 2I, K = 0 (vector and matrix).
#[test]
fn norm2sq_closed_form() {
    let mut rng = Rng::new(15);
    for (vars, n) in [
        (vec![cvar("z", Shape::Vector(3))], 3),
        (vec![cvar("z", Shape::Matrix(2, 3))], 6),
    ] {
        let z = rng.cvec(n);
        let f = compile("norm2sq(z)", &vars, &Data::new());
        let g: Vec<C64> = z.iter().map(|x| x * 2.0).collect();
        expect(
            &f,
            &z,
            norm_v(&z).powi(2),
            &g,
            &diag(&vec![r(2.0); n]),
            &zeros(n),
        );
    }
}

/// f = Re tr(AX) = Re Σ A_ij X_ji: ∂f/∂X̄_ji = ½ conj(A_ij), so g = Aᴴ; H = K = 0.
#[test]
fn trace_closed_form() {
    let mut rng = Rng::new(16);
    let am = rng.cmat(3, 3);
    let xm = rng.cmat(3, 3);
    let mut data = Data::new();
    put(&mut data, "A", mt(&am), false);
    let f = compile(
        "real(trace(A * X))",
        &[cvar("X", Shape::Matrix(3, 3))],
        &data,
    );
    let val = mul(&am, &xm)
        .diagonal()
        .column_vector()
        .iter()
        .sum::<C64>()
        .re;
    expect(
        &f,
        &vec_of(&xm),
        val,
        &vec_of(&adj(&am)),
        &zeros(9),
        &zeros(9),
    );
}

/// diag(z) (vector → matrix): Re tr(A diag(z)) = Re Σ A_ii zᵢ, g = conj(diag A); and
/// A diag(z) 1 = Az, so ‖A diag(z) ones(3)‖² has g = 2AᴴAz, H = 2AᴴA.
/// diag(X) (matrix → vector): ‖diag(X) − b‖² has g = 2(X_ii − b_i) at the diagonal positions and
/// H = 2 on the diagonal entries only (also for a non-square X).
#[test]
fn diag_both_forms_closed_form() {
    let mut rng = Rng::new(17);
    let am = rng.cmat(3, 3);
    let z = rng.cvec(3);
    let b = rng.cvec(2);
    let mut data = Data::new();
    put(&mut data, "A", mt(&am), false);
    put(&mut data, "b", vt(&b), false);
    let vars = [cvar("z", Shape::Vector(3))];
    let f = compile("real(trace(A * diag(z)))", &vars, &data);
    let val: f64 = (0..3).map(|i| (am[(i, i)] * z[i]).re).sum();
    let g: Vec<C64> = (0..3).map(|i| am[(i, i)].conj()).collect();
    expect(&f, &z, val, &g, &zeros(3), &zeros(3));
    let f = compile("sum(abs2(A * diag(z) * ones(3)))", &vars, &data);
    let az = matvec(&am, &z);
    let g: Vec<C64> = matvec(&adj(&am), &az).iter().map(|x| x * 2.0).collect();
    expect(
        &f,
        &z,
        norm_v(&az).powi(2),
        &g,
        &sc(&mul(&adj(&am), &am), 2.0),
        &zeros(3),
    );

    let x = rng.cmat(2, 3);
    let f = compile(
        "sum(abs2(diag(X) - b))",
        &[cvar("X", Shape::Matrix(2, 3))],
        &data,
    );
    let xv = vec_of(&x);
    let mut g = vec![ZERO; 6];
    let mut h = vec![ZERO; 6];
    let mut val = 0.0;
    for i in 0..2 {
        let p = i + 2 * i;
        g[p] = (x[(i, i)] - b[i]) * 2.0;
        h[p] = r(2.0);
        val += (x[(i, i)] - b[i]).norm_sqr();
    }
    expect(&f, &xv, val, &g, &diag(&h), &zeros(6));
}

/// f = |z₁|² + Re(z₀z₂): g = [conj(z₂), 2z₁, conj(z₀)], H = diag(0, 2, 0), K₀₂ = K₂₀ = 1.
/// Matrix entries X (2×3, column-major): f = |X₁₂|² + Re X₀₁: X₁₂ sits at 1 + 2·2 = 5, X₀₁ at 2.
#[test]
fn indexing_closed_form() {
    let mut rng = Rng::new(18);
    let z = rng.cvec(3);
    let f = compile(
        "abs2(z[1]) + real(z[0] * z[2])",
        &[cvar("z", Shape::Vector(3))],
        &Data::new(),
    );
    let val = z[1].norm_sqr() + (z[0] * z[2]).re;
    let g = [z[2].conj(), z[1] * 2.0, z[0].conj()];
    let k = Mat::from_fn(3, 3, |i, j| if i + j == 2 && i != j { ONE } else { ZERO });
    expect(&f, &z, val, &g, &diag(&[ZERO, r(2.0), ZERO]), &k);

    let x = rng.cvec(6);
    let f = compile(
        "abs2(X[1, 2]) + real(X[0, 1])",
        &[cvar("X", Shape::Matrix(2, 3))],
        &Data::new(),
    );
    let mut g = vec![ZERO; 6];
    g[5] = x[5] * 2.0;
    g[2] = ONE;
    let mut h = vec![ZERO; 6];
    h[5] = r(2.0);
    expect(&f, &x, x[5].norm_sqr() + x[2].re, &g, &diag(&h), &zeros(6));
}

/// M = eye(3) + A: ‖Mz − ones(3)‖² has g = 2Mᴴ(Mz − 1), H = 2MᴴM; eye(2, 3)·z = (z₀, z₁).
#[test]
fn eye_and_ones_closed_form() {
    let mut rng = Rng::new(19);
    let am = rng.cmat(3, 3);
    let z = rng.cvec(3);
    let mut data = Data::new();
    put(&mut data, "A", mt(&am), false);
    let vars = [cvar("z", Shape::Vector(3))];
    let f = compile("sum(abs2((eye(3) + A) * z - ones(3)))", &vars, &data);
    let m = &am + Mat::<C64>::identity(3, 3);
    let res: Vec<C64> = matvec(&m, &z).iter().map(|x| x - ONE).collect();
    let g: Vec<C64> = matvec(&adj(&m), &res).iter().map(|x| x * 2.0).collect();
    expect(
        &f,
        &z,
        norm_v(&res).powi(2),
        &g,
        &sc(&mul(&adj(&m), &m), 2.0),
        &zeros(3),
    );
    let f = compile("sum(abs2(eye(2, 3) * z))", &vars, &data);
    expect(
        &f,
        &z,
        z[0].norm_sqr() + z[1].norm_sqr(),
        &[z[0] * 2.0, z[1] * 2.0, ZERO],
        &diag(&[r(2.0), r(2.0), ZERO]),
        &zeros(3),
    );
}

/// The DFT matrix F_jk = exp(−2πi jk/n) is symmetric with FᴴF = nI; fft(z) = Fz and
/// ifft(z) = Gz with G = Fᴴ/n = conj(F)/n.
///
/// - ‖Fz − b‖²: g = 2Fᴴ(Fz − b) = 2n(z − ifft(b)), H = 2nI, K = 0;
/// - ‖Gz − b‖²: g = 2Gᴴ(Gz − b) = (2/n)(z − fft(b)), H = (2/n)I;
/// - Re cᵀFz: g = conj(Fᵀc) = conj(Fc); Re cᵀGz: g = conj(Gᵀc) = F c̄ / n.
#[test]
fn fft_and_ifft_adjoints_closed_form() {
    let n = 5;
    let mut rng = Rng::new(20);
    let (z, b, cc) = (rng.cvec(n), rng.cvec(n), rng.cvec(n));
    let mut data = Data::new();
    put(&mut data, "b", vt(&b), false);
    put(&mut data, "c", vt(&cc), false);
    let fm = Mat::from_fn(n, n, |j, k| {
        C64::from_polar(1.0, -2.0 * std::f64::consts::PI * (j * k) as f64 / n as f64)
    });
    let gm = sc(&adj(&fm), 1.0 / n as f64);
    let nf = n as f64;
    let vars = [cvar("z", Shape::Vector(n))];

    let f = compile("sum(abs2(fft(z) - b))", &vars, &data);
    let res: Vec<C64> = matvec(&fm, &z).iter().zip(&b).map(|(x, y)| x - y).collect();
    let g: Vec<C64> = matvec(&adj(&fm), &res).iter().map(|x| x * 2.0).collect();
    let ifft_b = matvec(&gm, &b);
    let g2: Vec<C64> = (0..n).map(|i| (z[i] - ifft_b[i]) * (2.0 * nf)).collect();
    assert_vec(&g, &g2, 1e-12, "2Fᴴ(Fz − b) = 2n(z − ifft b)");
    expect(
        &f,
        &z,
        norm_v(&res).powi(2),
        &g,
        &diag(&vec![r(2.0 * nf); n]),
        &zeros(n),
    );

    let f = compile("sum(abs2(ifft(z) - b))", &vars, &data);
    let res: Vec<C64> = matvec(&gm, &z).iter().zip(&b).map(|(x, y)| x - y).collect();
    let fft_b = matvec(&fm, &b);
    let g: Vec<C64> = (0..n).map(|i| (z[i] - fft_b[i]) * (2.0 / nf)).collect();
    expect(
        &f,
        &z,
        norm_v(&res).powi(2),
        &g,
        &diag(&vec![r(2.0 / nf); n]),
        &zeros(n),
    );

    let f = compile("real(sum(c .* fft(z)))", &vars, &data);
    let val: f64 = matvec(&fm, &z)
        .iter()
        .zip(&cc)
        .map(|(x, y)| (x * y).re)
        .sum();
    expect(
        &f,
        &z,
        val,
        &conj_v(&matvec(&fm, &cc)),
        &zeros(n),
        &zeros(n),
    );
    let f = compile("real(sum(c .* ifft(z)))", &vars, &data);
    let val: f64 = matvec(&gm, &z)
        .iter()
        .zip(&cc)
        .map(|(x, y)| (x * y).re)
        .sum();
    let g: Vec<C64> = matvec(&fm, &conj_v(&cc)).iter().map(|x| x / nf).collect();
    expect(&f, &z, val, &g, &zeros(n), &zeros(n));
}

// ---------------------------------------------------------------------------------------------
// Eigenvalue and singular-value functions

/// Hermitian eigendecomposition (ascending) of a test matrix.
fn eigh(a: &Mat<C64>) -> (Vec<f64>, Mat<C64>) {
    let e = a.self_adjoint_eigen(faer::Side::Lower).unwrap();
    let n = a.nrows();
    ((0..n).map(|i| e.S()[i].re).collect(), e.U().to_owned())
}

/// A(w) = [[a, w], [w̄, −a]] has λ = ±ρ, ρ = √(a² + |w|²). λ_max = ρ: g = w/ρ and, as for a norm,
/// dg = dw/ρ − w Re(w̄ dw)/ρ³: H = 1/ρ − |w|²/(2ρ³), K = −w²/(2ρ³). λ_min = −ρ negates all three.
#[test]
fn lambda_max_and_min_2x2_closed_form() {
    let a = 0.6;
    let mut data = Data::new();
    put(&mut data, "A0", mt(&diag(&[r(a), r(-a)])), true);
    put(
        &mut data,
        "E",
        mt(&Mat::from_fn(2, 2, |i, j| {
            if (i, j) == (0, 1) {
                ONE
            } else {
                ZERO
            }
        })),
        true,
    );
    let vars = [cvar("w", Shape::Scalar)];
    let w = c(0.7, -0.5);
    let rho = (a * a + w.norm_sqr()).sqrt();
    let g = w / rho;
    let h = r(1.0 / rho - w.norm_sqr() / (2.0 * rho.powi(3)));
    let k = -w * w / (2.0 * rho.powi(3));
    let f = compile("lambda_max(A0 + w * E + conj(w) * E')", &vars, &data);
    expect(&f, &[w], rho, &[g], &diag(&[h]), &diag(&[k]));
    let f = compile("lambda_min(A0 + w * E + conj(w) * E')", &vars, &data);
    expect(&f, &[w], -rho, &[-g], &diag(&[-h]), &diag(&[-k]));
}

/// Diagonal case: sum_largest(diag(x), k) is the sum of the k largest xᵢ, with gradient the
/// indicator of those entries and zero Hessian (the eigenvectors eᵢ do not move along diagonal
/// perturbations: the Daleckii–Krein term Σ|E_ij|²/(λᵢ − λⱼ) vanishes for diagonal E).
#[test]
fn sum_largest_and_smallest_diagonal_closed_form() {
    let x = [r(0.3), r(-1.2), r(2.5), r(0.9)];
    let vars = [rvar("x", Shape::Vector(4))];
    let cases: [(&str, f64, [f64; 4]); 4] = [
        ("sum_largest(diag(x), 2)", 3.4, [0.0, 0.0, 1.0, 1.0]),
        ("sum_smallest(diag(x), 2)", -0.9, [1.0, 1.0, 0.0, 0.0]),
        ("lambda_max(diag(x))", 2.5, [0.0, 0.0, 1.0, 0.0]),
        ("lambda_min(diag(x))", -1.2, [0.0, 1.0, 0.0, 0.0]),
    ];
    for (src, val, g) in cases {
        let f = compile(src, &vars, &Data::new());
        let g: Vec<C64> = g.iter().map(|&v| r(v)).collect();
        expect(&f, &x, val, &g, &zeros(4), &zeros(4));
    }
}

/// A = X + Xᴴ (X complex 3×3). For S(A) = sum_largest(A, k) = tr(V_kᴴ A V_k):
/// dS = tr(V_kᴴ dA V_k) = 2 Re tr(V_kᴴ dX V_k) = Re⟨2V_kV_kᴴ, dX⟩, so g_X = 2V_kV_kᴴ
/// (k = 1: 2vvᴴ for λ_max; the k smallest for sum_smallest).
/// Second order (Daleckii–Krein): with weights dᵢ ∈ {0, 1} and Γᵢⱼ = (dᵢ − dⱼ)/(λᵢ − λⱼ),
/// d(V_kV_kᴴ) = V (Γ ∘ (Vᴴ E V)) Vᴴ for E = dX + dXᴴ, so hvp(dX) = 2V(Γ ∘ (VᴴEV))Vᴴ.
#[test]
fn spectral_sums_hermitian_closed_form_and_daleckii_krein() {
    let mut rng = Rng::new(21);
    let n = 3;
    let x = rng.cmat(n, n);
    let a = &x + &adj(&x);
    let (lam, v) = eigh(&a);
    let z = vec_of(&x);
    let vars = [cvar("X", Shape::Matrix(n, n))];
    let dx = rng.cmat(n, n);
    let e = &dx + &adj(&dx);
    for (src, sel) in [
        ("lambda_max(X + X')", vec![2]),
        ("lambda_min(X + X')", vec![0]),
        ("sum_largest(X + X', 2)", vec![1, 2]),
        ("sum_smallest(X + X', 2)", vec![0, 1]),
    ] {
        let f = compile(src, &vars, &Data::new());
        let w: Vec<f64> = (0..n)
            .map(|i| f64::from(u8::from(sel.contains(&i))))
            .collect();
        let val: f64 = sel.iter().map(|&i| lam[i]).sum();
        let p = Mat::from_fn(n, n, |i, j| {
            (0..n).map(|q| v[(i, q)] * w[q] * v[(j, q)].conj()).sum()
        });
        expect_first(&f, &z, val, &vec_of(&sc(&p, 2.0)));
        let vev = mul(&adj(&v), &mul(&e, &v));
        let gam = Mat::from_fn(n, n, |i, j| {
            if w[i] == w[j] {
                ZERO
            } else {
                vev[(i, j)] * ((w[i] - w[j]) / (lam[i] - lam[j]))
            }
        });
        let want = sc(&mul(&v, &mul(&gam, &adj(&v))), 2.0);
        let got = f.hvp(&z, &vec_of(&dx)).unwrap();
        assert_vec(&got, &vec_of(&want), 1e-10, src);
        fd(&f, &z);
    }
}

/// σ_max(X) = u₁ᴴXv₁: dσ = Re(u₁ᴴ dX v₁) = Re⟨u₁v₁ᴴ, dX⟩, so g = u₁v₁ᴴ.
/// ‖X‖_* = Σσᵢ: dσᵢ = Re(uᵢᴴ dX vᵢ), so g = Σ uᵢvᵢᴴ = U Vᴴ (thin SVD, full rank).
/// Hessians against finite differences.
#[test]
fn sigma_max_and_norm_nuc_closed_form() {
    let mut rng = Rng::new(22);
    let x = rng.cmat(3, 2);
    let svd = x.thin_svd().unwrap();
    let (u, s, v) = (svd.U(), svd.S().column_vector(), svd.V());
    let z = vec_of(&x);
    let vars = [cvar("X", Shape::Matrix(3, 2))];
    let f = compile("sigma_max(X)", &vars, &Data::new());
    let g = Mat::from_fn(3, 2, |i, j| u[(i, 0)] * v[(j, 0)].conj());
    expect_first(&f, &z, s[0].re, &vec_of(&g));
    fd(&f, &z);
    let f = compile("norm_nuc(X)", &vars, &Data::new());
    let g = u * v.adjoint();
    expect_first(&f, &z, s[0].re + s[1].re, &vec_of(&g));
    fd(&f, &z);
}

/// Generalized λ_max(A, B) with Av = λBv, vᴴBv = 1: dλ = vᴴ(dA − λ dB)v.
/// With A = X + Xᴴ: g_X = 2vvᴴ; with B = B₀ + Y + Yᴴ: g_Y = −2λ vvᴴ.
/// B₀ = diag(b) makes the closed form easy: v = B₀^{-½}u for the eigenvector u of
/// B₀^{-½} A B₀^{-½} (at Y = 0). Hessians against finite differences.
#[test]
fn generalized_lambda_max_closed_form() {
    let mut rng = Rng::new(23);
    let n = 3;
    let bd = [1.5, 0.7, 2.2];
    let x = rng.cmat(n, n);
    let amat = &x + &adj(&x);
    let mut data = Data::new();
    put(&mut data, "B", mt(&diag(&bd.map(r))), true);
    put(&mut data, "A", mt(&amat), false);
    let s = Mat::from_fn(n, n, |i, j| amat[(i, j)] / (bd[i] * bd[j]).sqrt());
    let (lam, u) = eigh(&s);
    for (max, idx) in [(true, n - 1), (false, 0)] {
        let name = if max { "lambda_max" } else { "lambda_min" };
        let l = lam[idx];
        let vv: Vec<C64> = (0..n).map(|i| u[(i, idx)] / bd[i].sqrt()).collect();
        let p = Mat::from_fn(n, n, |i, j| vv[i] * vv[j].conj());

        let f = compile(
            &format!("{name}(X + X', B)"),
            &[cvar("X", Shape::Matrix(n, n))],
            &data,
        );
        expect_first(&f, &vec_of(&x), l, &vec_of(&sc(&p, 2.0)));
        fd(&f, &vec_of(&x));

        let f = compile(
            &format!("{name}(A, B + Y + Y')"),
            &[cvar("Y", Shape::Matrix(n, n))],
            &data,
        );
        expect_first(&f, &[ZERO; 9], l, &vec_of(&sc(&p, -2.0 * l)));
        let y: Vec<C64> = rng.cvec(9).iter().map(|t| t * 0.1).collect();
        fd(&f, &y);
    }
}

// ---------------------------------------------------------------------------------------------
// Mixed real and complex variables

/// r = Az + c∘x − b (z complex 3, x real 2, A 2×3, D = diag(c) complex), f = ‖r‖² + ‖x‖².
/// g_z = 2Aᴴr; g_x = ∂f/∂x = 2Re(Dᴴr) + 2x.
/// dg_z = 2Aᴴ(A dz + D dx): H_zz = 2AᴴA, K_zz = 0, and the real column 2AᴴD splits as
/// H_zx = K_zx = AᴴD. dg_x = 2Re(DᴴA dz) + (2Re(DᴴD) + 2I)dx = DᴴA dz + conj(DᴴA) conj(dz) + …:
/// H_xz = DᴴA, K_xz = conj(DᴴA), and H_xx = K_xx = Re(DᴴD) + I = diag(|c|² + 1).
#[test]
fn mixed_real_and_complex_variables() {
    let mut rng = Rng::new(24);
    let am = rng.cmat(2, 3);
    let cc = rng.cvec(2);
    let b = rng.cvec(2);
    let mut data = Data::new();
    put(&mut data, "A", mt(&am), false);
    put(&mut data, "c", vt(&cc), false);
    put(&mut data, "b", vt(&b), false);
    let f = compile(
        "sum(abs2(A * z + c .* x - b)) + sum(x.^2)",
        &[cvar("z", Shape::Vector(3)), rvar("x", Shape::Vector(2))],
        &data,
    );
    let z = rng.cvec(3);
    let x = rng.rvec(2);
    let res: Vec<C64> = matvec(&am, &z)
        .iter()
        .enumerate()
        .map(|(i, v)| v + cc[i] * x[i] - b[i])
        .collect();
    let val = norm_v(&res).powi(2) + norm_v(&x).powi(2);
    let gz: Vec<C64> = matvec(&adj(&am), &res).iter().map(|v| v * 2.0).collect();
    let gx: Vec<C64> = (0..2)
        .map(|i| r(2.0 * (cc[i].conj() * res[i]).re + 2.0 * x[i].re))
        .collect();
    let g: Vec<C64> = gz.iter().chain(&gx).copied().collect();
    let dm = diag(&cc);
    let aha = mul(&adj(&am), &am);
    let ahd = mul(&adj(&am), &dm);
    let dha = adj(&ahd);
    let h = Mat::from_fn(5, 5, |i, j| match (i < 3, j < 3) {
        (true, true) => aha[(i, j)] * 2.0,
        (true, false) => ahd[(i, j - 3)],
        (false, true) => dha[(i - 3, j)],
        (false, false) if i == j => r(cc[i - 3].norm_sqr() + 1.0),
        _ => ZERO,
    });
    let k = Mat::from_fn(5, 5, |i, j| match (i < 3, j < 3) {
        (true, true) => ZERO,
        (true, false) => ahd[(i, j - 3)],
        (false, true) => dha[(i - 3, j)].conj(),
        (false, false) if i == j => r(cc[i - 3].norm_sqr() + 1.0),
        _ => ZERO,
    });
    let p: Vec<C64> = z.iter().chain(&x).copied().collect();
    expect(&f, &p, val, &g, &h, &k);
}
