//! Finite-difference check of the engine's derivatives (what `wirtinger check` runs).
//!
//! The engine's gradient g = 2∂f/∂z̄ = ∂f/∂x + i∂f/∂y and its widely-linear Hessian–vector
//! product H d + K conj(d) are compared with central finite differences on the real embedding
//! z = x + iy: for a direction d ∈ Cᴺ (real variables: real d),
//!
//! ```text
//! f(z + t d) = f(z) + t·Re(gᴴd) + O(t²),      g(z + t d) = g(z) + t·(H d + K conj(d)) + O(t²).
//! ```
//!
//! # Finite-difference scheme
//!
//! Each derivative along d is a Richardson extrapolation of central differences
//! `D(t) = (φ(z + t d) − φ(z − t d)) / 2t`: `R(t) = (4 D(t/2) − D(t)) / 3`, whose truncation
//! error is t⁴ φ⁽⁵⁾/480 instead of t² φ‴/6. That allows a large step, `h = 2⁻¹⁰·max(1, ‖z‖∞)`
//! (≈ ε^{1/5}), so that rounding noise, about 6ε|φ|/h, stays near 1e-12 relative: both error
//! sources are then far below the tolerances on smooth problems, including eigenvalue functions
//! whose eigenvalue gaps are ≳ 10⁻². The estimate is R(h/2) (steps h/2 and h/4); R(h) − R(h/2)
//! estimates its error. If an evaluation at z ± t d is not finite (the step left the domain of
//! `log`, `sqrt` of a real value, …), the step is divided by 16, up to three times.
//!
//! # Error measure
//!
//! Relative error `‖a − b‖ / max(‖a‖, ‖b‖, floor)`, where a is the engine's value, b the finite
//! difference and `floor` guards against 0/0: it is the larger of `1e-8·(1 + |f|)` (for the
//! Hessian `1e-8·(1 + ‖g‖)`) and ten times the estimated error of the finite difference divided by
//! the tolerance. The estimated error is the larger of |R(h) − R(h/2)| (an empirical bound: about
//! 15 times the truncation error of R(h/2), and of the order of its rounding noise) and a model of
//! the rounding noise, 6·10ε·max|φ(z ± t d)|/h. So a disagreement no larger than the estimated
//! error of the finite difference is reported as at most a tenth of the tolerance: `check` stays
//! meaningful at a stationary point (g ≈ 0, where every relative comparison would otherwise be
//! pure noise) and for objectives computed with cancellation (f ≡ 0 evaluated from O(1) terms).
//!
//! - Coordinates (when N ≤ 64): every real coordinate (x of each entry, and y of each entry of
//!   a complex variable). The gradient coordinates are compared together, as one vector (the
//!   relative error of the real gradient); likewise the Hessian columns as one matrix (the
//!   relative Frobenius error of the real Hessian).
//! - Random unit directions (4 when N ≤ 64, 16 otherwise), drawn from the seeded generator of
//!   [`crate::io::random`]: for the gradient the floor also includes ‖g‖, since
//!   |Re(gᴴd)| ≤ ‖g‖ and a direction nearly orthogonal to g has a derivative that a finite
//!   difference cannot resolve relatively; for the Hessian each H d + K conj(d) is compared as a
//!   vector.
//!
//! The reported errors are the maxima over these comparisons. For real variables only real parts
//! are compared (their gradient and Hessian entries are real).

use super::eval::EvalError;
use super::function::Function;
use super::tangent::Batch;
use crate::io::random::ChaCha8;
use num_complex::Complex64 as C64;

/// Default tolerance on the relative gradient error.
///
/// The Richardson-extrapolated central difference is accurate to about 1e-10 relative on smooth
/// problems (truncation h⁴φ⁽⁵⁾/480 with h ≈ 1e-3, rounding ≈ 6ε|f|/h); 1e-6 leaves four orders of
/// magnitude for ill-scaled problems while still catching any wrong derivative rule, which shows
/// up as an O(1) relative error.
///
/// ```
/// assert!(wirtinger::cr::GRADIENT_TOL < wirtinger::cr::HESSIAN_TOL);
/// ```
pub const GRADIENT_TOL: f64 = 1e-6;

/// Default tolerance on the relative Hessian–vector error.
///
/// Looser than [`GRADIENT_TOL`] because the finite difference is taken of the gradient, whose own
/// rounding error (from the longer reverse-mode graph) is divided by the step.
///
/// ```
/// assert_eq!(wirtinger::cr::HESSIAN_TOL, 1e-5);
/// ```
pub const HESSIAN_TOL: f64 = 1e-5;

/// Problems with at most this many entries get every real coordinate as a direction.
const MAX_COORDINATE_DIM: usize = 64;
/// Random directions added to the coordinates of small problems.
const RANDOM_DIRECTIONS_SMALL: usize = 4;
/// Random directions of large problems.
const RANDOM_DIRECTIONS_LARGE: usize = 16;
/// The base step, relative to max(1, ‖z‖∞): 2⁻¹⁰ ≈ ε^{1/5} (optimal for a fourth-order scheme).
const STEP: f64 = 1.0 / 1024.0;
/// Estimated rounding error of one evaluation, in units of ε·|value| (accumulated rounding in
/// sums and decompositions).
const EVAL_ROUNDING: f64 = 10.0;
/// Disagreements below this multiple of the estimated noise are not errors.
const NOISE_MARGIN: f64 = 10.0;

/// Result of comparing engine derivatives with central finite differences on the real embedding.
///
/// ```
/// use wirtinger::cr::{check_derivatives, random_point, GRADIENT_TOL, HESSIAN_TOL};
/// use wirtinger::expr::compile_objective;
/// use wirtinger::model::{Shape, Ty};
/// let f = compile_objective("sum(abs2(exp(z)))", &[("z".into(), Ty::complex(Shape::Vector(2)))], &Default::default()).unwrap();
/// let r = check_derivatives(&f, &random_point(&f, 1), 7).unwrap();
/// assert!(r.gradient_error < GRADIENT_TOL && r.hessian_error < HESSIAN_TOL);
/// assert!(r.hessian_checked && r.passed());
/// assert_eq!(r.directions, 4 + 4); // 4 real coordinates and 4 random directions
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CheckReport {
    /// Largest relative error of the gradient (see the module documentation).
    pub gradient_error: f64,
    /// Largest relative error of H d + K conj(d); NaN when the Hessian was not checked.
    pub hessian_error: f64,
    /// Number of directions d used (each for both the gradient and the Hessian).
    pub directions: usize,
    /// False when the engine cannot form Hessian–vector products of this objective (a user
    /// operation without a second-order rule); the gradient is still checked.
    pub hessian_checked: bool,
}

impl CheckReport {
    /// Whether both errors are within the default tolerances [`GRADIENT_TOL`] and
    /// [`HESSIAN_TOL`] (an unchecked Hessian does not fail the check).
    ///
    /// ```
    /// use wirtinger::cr::CheckReport;
    /// let r = CheckReport { gradient_error: 1e-9, hessian_error: f64::NAN, directions: 3, hessian_checked: false };
    /// assert!(r.passed());
    /// ```
    pub fn passed(&self) -> bool {
        self.gradient_error <= GRADIENT_TOL
            && (!self.hessian_checked || self.hessian_error <= HESSIAN_TOL)
    }
}

/// A seeded random point of the right layout for `f`: complex entries are standard complex
/// normal (E|z|² = 1), real variables get real standard normal entries and zero imaginary parts.
/// The same seed gives the same point on every machine.
///
/// ```
/// use wirtinger::cr::random_point;
/// use wirtinger::expr::compile_objective;
/// use wirtinger::model::{Shape, Ty};
/// let vars = [("z".into(), Ty::complex(Shape::Vector(2))), ("x".into(), Ty::real(Shape::Scalar))];
/// let f = compile_objective("abs2(z[0]) + x^2", &vars, &Default::default()).unwrap();
/// let p = random_point(&f, 3);
/// assert_eq!(p.len(), 3);
/// assert_eq!(p[2].im, 0.0);
/// assert_eq!(p, random_point(&f, 3));
/// ```
pub fn random_point(f: &Function, seed: u64) -> Vec<C64> {
    let mut rng = ChaCha8::from_seed_u64(seed);
    let mut z = vec![C64::new(0.0, 0.0); f.dim()];
    for v in f.vars() {
        for x in &mut z[v.offset..v.offset + v.shape.numel()] {
            let (a, b) = rng.normal_pair();
            *x = if v.real {
                C64::new(a, 0.0)
            } else {
                C64::new(a, b) * std::f64::consts::FRAC_1_SQRT_2
            };
        }
    }
    z
}

/// Compares the engine's gradient and Hessian–vector products of `f` at `z` with
/// Richardson-extrapolated central finite differences (the method, step and error measure are
/// described in the module documentation). `seed` selects the random directions.
///
/// Errors: a point of the wrong length, an evaluation failure, or an objective or gradient that is
/// not finite at z (or at every step tried around it). A missing second-order rule is not an error:
/// the report then has `hessian_checked = false`.
///
/// ```
/// use wirtinger::cr::{check_derivatives, GRADIENT_TOL};
/// use wirtinger::expr::compile_objective;
/// use wirtinger::model::{Shape, Ty};
/// use num_complex::Complex64 as C64;
/// let vars = [("z".into(), Ty::complex(Shape::Scalar)), ("x".into(), Ty::real(Shape::Scalar))];
/// let f = compile_objective("abs2(z - x) + sin(x)", &vars, &Default::default()).unwrap();
/// let r = check_derivatives(&f, &[C64::new(1.0, 2.0), C64::new(0.5, 0.0)], 0).unwrap();
/// assert!(r.passed(), "{r:?}");
/// // log is not finite at 0:
/// let g = compile_objective("real(log(z))", &vars[..1], &Default::default()).unwrap();
/// assert!(check_derivatives(&g, &[C64::new(0.0, 0.0)], 0).is_err());
/// ```
pub fn check_derivatives(f: &Function, z: &[C64], seed: u64) -> Result<CheckReport, EvalError> {
    let not_finite = |what: &str| EvalError {
        node: f.output(),
        message: format!("{what} is not finite at the point"),
    };
    let (f0, g0) = f.value_gradient(z)?;
    if !f0.is_finite() {
        return Err(not_finite("the objective"));
    }
    if !g0.iter().all(|x| x.is_finite()) {
        return Err(not_finite("the gradient"));
    }
    let n = f.dim();
    let real = real_mask(f);
    let dirs = directions(f, &real, seed);
    let k = dirs.len();
    let ncoord = if n <= MAX_COORDINATE_DIM {
        real.iter().map(|&r| if r { 1 } else { 2 }).sum()
    } else {
        0
    };
    if k == 0 {
        return Ok(CheckReport {
            gradient_error: 0.0,
            hessian_error: 0.0,
            directions: 0,
            hessian_checked: true,
        });
    }
    let zscale = z
        .iter()
        .fold(1.0f64, |m, x| m.max(x.re.abs()).max(x.im.abs()));
    let h = STEP * zscale;

    // Engine derivatives along every direction: Re(gᴴd) and H d + K conj(d) (one batched pass).
    let mut batch = Batch::zeros(n, k);
    for (j, d) in dirs.iter().enumerate() {
        batch.data[j * n..(j + 1) * n].copy_from_slice(d);
    }
    let hv = f.hvp_batch(z, &batch).ok();
    let gnorm = norm(&g0);

    let mut grad_a = Vec::with_capacity(ncoord);
    let mut grad_b = Vec::with_capacity(ncoord);
    let mut grad_noise = 0.0f64;
    let mut hess_a: Vec<C64> = Vec::new();
    let mut hess_b: Vec<C64> = Vec::new();
    let mut hess_noise = 0.0f64;
    let mut gradient_error = 0.0f64;
    let mut hessian_error = 0.0f64;
    for (j, d) in dirs.iter().enumerate() {
        let p = probe(f, z, d, h, &real)?.ok_or_else(|| EvalError {
            node: f.output(),
            message: "the objective is not finite near the point (every finite-difference step left its domain)".into(),
        })?;
        let a: f64 = g0.iter().zip(d).map(|(g, x)| (g.conj() * x).re).sum();
        let mut ha = hv.as_ref().map(|b| b.col(j).to_vec()).unwrap_or_default();
        for (x, &r) in ha.iter_mut().zip(&real) {
            if r {
                x.im = 0.0;
            }
        }
        if j < ncoord {
            grad_a.push(a);
            grad_b.push(p.df);
            grad_noise = grad_noise.hypot(p.f_noise);
            hess_a.extend_from_slice(&ha);
            hess_b.extend_from_slice(&p.dg);
            hess_noise = hess_noise.hypot(p.g_noise);
        } else {
            let floor = (1e-8 * (1.0 + f0.abs()))
                .max(gnorm)
                .max(NOISE_MARGIN * p.f_noise / GRADIENT_TOL);
            gradient_error = gradient_error.max(rel(&[a], &[p.df], floor));
            if hv.is_some() {
                let floor = (1e-8 * (1.0 + gnorm)).max(NOISE_MARGIN * p.g_noise / HESSIAN_TOL);
                hessian_error = hessian_error.max(rel_c(&ha, &p.dg, floor));
            }
        }
    }
    if ncoord > 0 {
        let floor = (1e-8 * (1.0 + f0.abs())).max(NOISE_MARGIN * grad_noise / GRADIENT_TOL);
        gradient_error = gradient_error.max(rel(&grad_a, &grad_b, floor));
        if hv.is_some() {
            let floor = (1e-8 * (1.0 + gnorm)).max(NOISE_MARGIN * hess_noise / HESSIAN_TOL);
            hessian_error = hessian_error.max(rel_c(&hess_a, &hess_b, floor));
        }
    }
    Ok(CheckReport {
        gradient_error,
        hessian_error: if hv.is_some() {
            hessian_error
        } else {
            f64::NAN
        },
        directions: k,
        hessian_checked: hv.is_some(),
    })
}

/// Which stacked entries belong to real variables.
fn real_mask(f: &Function) -> Vec<bool> {
    let mut real = vec![false; f.dim()];
    for v in f.vars() {
        real[v.offset..v.offset + v.shape.numel()]
            .iter_mut()
            .for_each(|r| *r = v.real);
    }
    real
}

/// The real coordinates (for small problems) followed by seeded random unit directions.
fn directions(f: &Function, real: &[bool], seed: u64) -> Vec<Vec<C64>> {
    let n = f.dim();
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    let unit = |j: usize, v: C64| {
        let mut d = vec![C64::new(0.0, 0.0); n];
        d[j] = v;
        d
    };
    let random = if n <= MAX_COORDINATE_DIM {
        for (j, &r) in real.iter().enumerate() {
            out.push(unit(j, C64::new(1.0, 0.0)));
            if !r {
                out.push(unit(j, C64::new(0.0, 1.0)));
            }
        }
        RANDOM_DIRECTIONS_SMALL
    } else {
        RANDOM_DIRECTIONS_LARGE
    };
    let mut rng = ChaCha8::from_seed_u64(seed);
    for _ in 0..random {
        let mut d: Vec<C64> = real
            .iter()
            .map(|&r| {
                let (a, b) = rng.normal_pair();
                C64::new(a, if r { 0.0 } else { b })
            })
            .collect();
        let m = norm(&d);
        if m > 0.0 {
            d.iter_mut().for_each(|x| *x /= m);
            out.push(d);
        }
    }
    out
}

/// Finite-difference derivatives of f and g along one direction, with error estimates.
struct Probe {
    /// Richardson estimate of Re(gᴴd).
    df: f64,
    /// Richardson estimate of H d + K conj(d) (real parts only for real variables).
    dg: Vec<C64>,
    /// Estimated error of `df`.
    f_noise: f64,
    /// Estimated error of `dg` (2-norm).
    g_noise: f64,
}

/// Evaluates f and g at z ± t d for t = h, h/2, h/4 and extrapolates; retries with smaller steps
/// when an evaluation is not finite. `None` when every step failed.
fn probe(
    f: &Function,
    z: &[C64],
    d: &[C64],
    h0: f64,
    real: &[bool],
) -> Result<Option<Probe>, EvalError> {
    let mut h = h0;
    'steps: for _ in 0..4 {
        let mut fd = [0.0f64; 3];
        let mut gd: [Vec<C64>; 3] = Default::default();
        let (mut fmax, mut gmax) = (0.0f64, 0.0f64);
        for (s, t) in [h, h / 2.0, h / 4.0].into_iter().enumerate() {
            let at = |sign: f64| -> Vec<C64> {
                z.iter().zip(d).map(|(x, y)| x + y * (sign * t)).collect()
            };
            let (fp, gp) = f.value_gradient(&at(1.0))?;
            let (fm, gm) = f.value_gradient(&at(-1.0))?;
            let finite = |v: f64, g: &[C64]| v.is_finite() && g.iter().all(|x| x.is_finite());
            if !finite(fp, &gp) || !finite(fm, &gm) {
                h /= 16.0;
                continue 'steps;
            }
            fmax = fmax.max(fp.abs()).max(fm.abs());
            gmax = gmax.max(norm(&gp)).max(norm(&gm));
            fd[s] = (fp - fm) / (2.0 * t);
            gd[s] = gp
                .iter()
                .zip(&gm)
                .zip(real)
                .map(|((p, m), &r)| {
                    let q = (p - m) / (2.0 * t);
                    if r {
                        C64::new(q.re, 0.0)
                    } else {
                        q
                    }
                })
                .collect();
        }
        // R(t) = (4 D(t/2) − D(t)) / 3 removes the h² term. The estimate is R(h/2); the
        // difference R(h) − R(h/2) bounds its error: about 15× its truncation error (h⁴ term),
        // plus rounding noise of the same order as its own, so it also captures cancellation
        // inside f that |f| alone does not reveal (e.g. f ≡ 0 computed from O(1) terms).
        let rich = |a: f64, b: f64| (4.0 * b - a) / 3.0;
        let (r1, r2) = (rich(fd[0], fd[1]), rich(fd[1], fd[2]));
        let g1: Vec<C64> = gd[0]
            .iter()
            .zip(&gd[1])
            .map(|(a, b)| (b * 4.0 - a) / 3.0)
            .collect();
        let g2: Vec<C64> = gd[1]
            .iter()
            .zip(&gd[2])
            .map(|(a, b)| (b * 4.0 - a) / 3.0)
            .collect();
        let gdiff: Vec<C64> = g1.iter().zip(&g2).map(|(a, b)| a - b).collect();
        // Modelled rounding noise of R(h/2) for an evaluation error e = EVAL_ROUNDING·ε·|value|:
        // 8e/(h/2) from D(h/4) and e/(h/2) from D(h/2), over 3, i.e. 6e/h.
        let unit = 6.0 * EVAL_ROUNDING * f64::EPSILON / h;
        return Ok(Some(Probe {
            df: r2,
            f_noise: (unit * fmax).max((r1 - r2).abs()),
            g_noise: (unit * gmax).max(norm(&gdiff)),
            dg: g2,
        }));
    }
    Ok(None)
}

fn norm(v: &[C64]) -> f64 {
    v.iter().map(|x| x.norm_sqr()).sum::<f64>().sqrt()
}

/// ‖a − b‖ / max(‖a‖, ‖b‖, floor) for real vectors.
fn rel(a: &[f64], b: &[f64], floor: f64) -> f64 {
    let n = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let diff: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    n(&diff) / n(a).max(n(b)).max(floor).max(f64::MIN_POSITIVE)
}

/// ‖a − b‖ / max(‖a‖, ‖b‖, floor) for complex vectors.
fn rel_c(a: &[C64], b: &[C64], floor: f64) -> f64 {
    let diff: Vec<C64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    norm(&diff) / norm(a).max(norm(b)).max(floor).max(f64::MIN_POSITIVE)
}
