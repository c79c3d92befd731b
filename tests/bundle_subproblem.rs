//! The structured interior-point method for the bundle's proximal subproblem
//! (`eig::bundle::ipm`) against Clarabel on the same data: primal point, model value and every
//! dual (the aggregate weight β, the block's dual matrix, equality and inequality multipliers).

use faer::Mat;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use wirtinger::eig::bundle::ipm;
use wirtinger::eig::bundle::subproblem::{solve_clarabel, Row, Sub, SubSol};

fn unif(r: &mut ChaCha8Rng) -> f64 {
    (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

fn sym(p: usize, r: &mut ChaCha8Rng) -> Mat<f64> {
    let g = Mat::from_fn(p, p, |_, _| unif(r));
    Mat::from_fn(p, p, |i, j| g[(i, j)] + g[(j, i)])
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Primal values to `tol`, duals to 10·tol (interior-point duals are less accurate, and
/// Clarabel's are what they are compared with).
fn compare(a: &SubSol, b: &SubSol, tol: f64) {
    assert!(max_diff(&a.x, &b.x) < tol, "x: {:?} vs {:?}", a.x, b.x);
    assert!(
        (a.model - b.model).abs() < tol,
        "{} vs {}",
        a.model,
        b.model
    );
    let tol = 10.0 * tol;
    assert!((a.beta - b.beta).abs() < tol, "β {} vs {}", a.beta, b.beta);
    let p = a.u_r.nrows();
    for i in 0..p {
        for j in 0..p {
            assert!((a.u_r[(i, j)] - b.u_r[(i, j)]).abs() < tol, "U[{i},{j}]");
        }
    }
    assert!(max_diff(&a.mu, &b.mu) < tol, "μ {:?} vs {:?}", a.mu, b.mu);
    assert!(max_diff(&a.nu, &b.nu) < tol, "ν {:?} vs {:?}", a.nu, b.nu);
}

/// The proximal objective c·max(w̄₀ + w̄ᵀx, λ_max(M(x))) + ℓᵀx + (u/2)‖x − x̂‖², computed
/// independently (faer eigenvalues), +∞ where a constraint is violated beyond 1e-9.
fn objective(sub: &Sub, x: &[f64]) -> f64 {
    let mut m = sub.m0.clone();
    for (j, mj) in sub.mj {
        m += mj * faer::Scale(x[*j]);
    }
    let lmax = m
        .self_adjoint_eigenvalues(faer::Side::Lower)
        .unwrap()
        .into_iter()
        .fold(f64::NEG_INFINITY, f64::max);
    let mut phi = lmax;
    if let Some((w0, w)) = sub.cut {
        phi = phi.max(w0 + w.iter().zip(x).map(|(a, b)| a * b).sum::<f64>());
    }
    let (u, xh) = sub.prox.unwrap_or((0.0, x));
    let prox: f64 = x.iter().zip(xh).map(|(a, b)| (a - b) * (a - b)).sum();
    let lin: f64 = sub.lin.iter().zip(x).map(|(a, b)| a * b).sum();
    let viol = sub
        .le
        .iter()
        .map(|r| r.eval(x).max(0.0))
        .chain(sub.eq.iter().map(|r| r.eval(x).abs()))
        .fold(0.0, f64::max);
    if viol > 1e-9 {
        return f64::INFINITY;
    }
    sub.coef * phi + lin + 0.5 * u * prox
}

/// Both solvers; the structured method's point must be feasible and optimal to the accuracy
/// of both (F is u-strongly convex, so with u > 0 the points agree to about √(2ΔF/u) ~ 1e-6).
fn solve_both(sub: &Sub) -> (SubSol, SubSol) {
    let a = ipm::solve(sub).expect("the structured method converges");
    let b = solve_clarabel(sub).unwrap();
    let (fa, fb) = (objective(sub, &a.x), objective(sub, &b.x));
    assert!(
        fa <= fb + 1e-9 * fb.abs().max(1.0),
        "F {fa} vs Clarabel's {fb}"
    );
    (a, b)
}

/// Random data: p × p block, n coordinates, a cut, lower bounds on every other coordinate (the
/// diagonal rows), a general inequality and an equality.
fn case(seed: u64, p: usize, n: usize, with_rows: bool) {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let m0 = sym(p, &mut r);
    let mj: Vec<(usize, Mat<f64>)> = (0..n).map(|j| (j, sym(p, &mut r))).collect();
    let lin: Vec<f64> = (0..n).map(|_| 0.3 * unif(&mut r)).collect();
    let w: Vec<f64> = (0..n).map(|_| unif(&mut r)).collect();
    let xh: Vec<f64> = (0..n).map(|_| 0.5 * unif(&mut r)).collect();
    let mut le = Vec::new();
    let mut eq = Vec::new();
    if with_rows {
        for j in (0..n).step_by(2) {
            // x_j ≥ −0.05  ⇔  −x_j − 0.05 ≤ 0
            le.push(Row {
                c0: -0.05,
                terms: vec![(j, -1.0)],
            });
        }
        le.push(Row {
            c0: -0.5,
            terms: (0..n).map(|j| (j, 1.0)).collect(),
        });
        eq.push(Row {
            c0: -0.1,
            terms: vec![(0, 1.0), (1, -2.0), (n - 1, 1.0)],
        });
    }
    let sub = Sub {
        n_x: n,
        k: 1,
        mult: 1,
        coef: 1.5,
        lin: &lin,
        m0: &m0,
        mj: &mj,
        cut: Some((0.7, &w)),
        eq: &eq,
        le: &le,
        prox: Some((2.0, &xh)),
        tol: 1e-10,
    };
    let (a, b) = solve_both(&sub);
    compare(&a, &b, 1e-5);
    // Some bounds are active, so the diagonal rows matter.
    if with_rows {
        assert!(a.nu.iter().any(|v| *v > 1e-6), "{:?}", a.nu);
    }
}

#[test]
fn agrees_with_clarabel_without_rows() {
    case(1, 5, 12, false);
}

#[test]
fn agrees_with_clarabel_with_bounds_and_rows() {
    case(2, 6, 30, true);
    case(3, 4, 200, true);
}

/// The subspace step (no proximal term) with every coordinate bounded: 0 ≤ x ≤ 1 by diagonal
/// rows, plus an equality.
#[test]
fn agrees_with_clarabel_without_prox_when_bounded() {
    let mut r = ChaCha8Rng::seed_from_u64(9);
    let (p, n) = (5, 25);
    let m0 = sym(p, &mut r);
    let mj: Vec<(usize, Mat<f64>)> = (0..n).map(|j| (j, sym(p, &mut r))).collect();
    let lin: Vec<f64> = (0..n).map(|_| 0.3 * unif(&mut r)).collect();
    let mut le = Vec::new();
    for j in 0..n {
        le.push(Row {
            c0: 0.0,
            terms: vec![(j, -1.0)],
        });
        le.push(Row {
            c0: -1.0,
            terms: vec![(j, 1.0)],
        });
    }
    let eq = vec![Row {
        c0: -2.0,
        terms: (0..n).map(|j| (j, 1.0)).collect(),
    }];
    let sub = Sub {
        n_x: n,
        k: 1,
        mult: 1,
        coef: 1.0,
        lin: &lin,
        m0: &m0,
        mj: &mj,
        cut: None,
        eq: &eq,
        le: &le,
        prox: None,
        tol: 1e-10,
    };
    let (a, b) = solve_both(&sub);
    assert!(
        (a.model - b.model).abs() < 1e-8,
        "{} vs {}",
        a.model,
        b.model
    );
}

/// Ky Fan and unbounded coordinates without a proximal term are not taken (the caller uses
/// Clarabel).
#[test]
fn declines_what_it_does_not_solve() {
    let m0 = Mat::<f64>::identity(3, 3);
    let mj = vec![(0, Mat::<f64>::identity(3, 3))];
    let sub = Sub {
        n_x: 1,
        k: 1,
        mult: 1,
        coef: 1.0,
        lin: &[0.5],
        m0: &m0,
        mj: &mj,
        cut: None,
        eq: &[],
        le: &[],
        prox: None,
        tol: 1e-10,
    };
    assert!(ipm::solve(&sub).is_none());
    assert!(ipm::solve(&Sub {
        k: 2,
        prox: Some((1.0, &[0.0])),
        ..sub
    })
    .is_none());
}

/// The closed-form LP over a weighted simplex (`simplex_min`, which `lp_min` takes for edge
/// weights summing to one) against Clarabel on the same LP, made unrecognizable by one
/// redundant bound: random weights of either sign convention, shifted lower bounds, and
/// objectives of mixed sign.
#[test]
fn weighted_simplex_lp_in_closed_form_matches_clarabel() {
    use wirtinger::eig::bundle::subproblem::{lp_min, simplex_min, SubFailure};
    let mut r = ChaCha8Rng::seed_from_u64(77);
    for case in 0..40 {
        let n = 1 + case % 17 + case;
        let sign = if case % 2 == 0 { 1.0 } else { -1.0 };
        let a: Vec<f64> = (0..n).map(|_| 1.25 + 0.75 * unif(&mut r)).collect();
        let lo: Vec<f64> = (0..n).map(|_| unif(&mut r)).collect();
        let q: Vec<f64> = (0..n).map(|_| 3.0 * unif(&mut r)).collect();
        // Σ aⱼxⱼ = b with room above the bounds: b = Σ aⱼlⱼ + slack.
        let slack = 0.5 + unif(&mut r).abs();
        let b = a.iter().zip(&lo).map(|(a, l)| a * l).sum::<f64>() + slack;
        let eq = [Row {
            c0: -b * sign,
            terms: (0..n).map(|j| (j, a[j] * sign)).collect(),
        }];
        let le: Vec<Row> = (0..n)
            .map(|j| Row {
                c0: lo[j],
                terms: vec![(j, -1.0)],
            })
            .collect();
        let closed = simplex_min(n, &eq, &le, &q).expect("a weighted simplex");
        assert_eq!(lp_min(n, &eq, &le, &q, 1e-10), Ok(closed));
        // x₀ ≥ l₀ − 1 is implied, but the constraints no longer have the simplex form.
        let mut general = le.clone();
        general.push(Row {
            c0: lo[0] - 1.0,
            terms: vec![(0, -1.0)],
        });
        assert_eq!(simplex_min(n, &eq, &general, &q), None);
        let lp = lp_min(n, &eq, &general, &q, 1e-10).expect("a bounded LP");
        assert!(
            (lp - closed).abs() <= 1e-7 * (1.0 + closed.abs()),
            "n = {n}: Clarabel {lp} vs closed form {closed}"
        );
    }
    // An empty set (the bounds exceed b) is left to Clarabel, which reports it.
    let eq = [Row {
        c0: 1.0,
        terms: vec![(0, 1.0), (1, 1.0)],
    }];
    let le = [
        Row {
            c0: 0.0,
            terms: vec![(0, -1.0)],
        },
        Row {
            c0: 0.0,
            terms: vec![(1, -1.0)],
        },
    ];
    assert_eq!(simplex_min(2, &eq, &le, &[1.0, 2.0]), None);
    assert_eq!(
        lp_min(2, &eq, &le, &[1.0, 2.0], 1e-10),
        Err(SubFailure::Infeasible)
    );
}

/// The relaxed method (bound rows of coordinates far from their bounds left out, then put back
/// where violated) against the barrier formulation on a proximal subproblem over the simplex Σx = 1, x ≥ 0 with a cut, as the graph problems
/// have: the same point and model value, and its own solution checked against the whole
/// problem's KKT conditions (feasibility, ν ≥ 0, νⱼxⱼ = 0, stationarity
/// ⟨Mⱼ, Ũ⟩ + β w̄ⱼ + ℓⱼ + aⱼμ − νⱼ + u(xⱼ − x̂ⱼ) = 0 for every coordinate).
#[test]
fn relaxed_bounds_method_meets_the_whole_problems_kkt_conditions() {
    let mut r = ChaCha8Rng::seed_from_u64(21);
    let (p, n) = (6, 300);
    let m0 = sym(p, &mut r);
    let mj: Vec<(usize, Mat<f64>)> = (0..n).map(|j| (j, sym(p, &mut r))).collect();
    let lin: Vec<f64> = (0..n).map(|_| 0.2 * unif(&mut r)).collect();
    let w: Vec<f64> = (0..n).map(|_| unif(&mut r)).collect();
    // A center with some coordinates on the bound (they keep it) and some not (relaxed); a
    // proximal weight that keeps the step short, as in the bundle's later iterations, so that
    // the relaxation settles.
    let xh: Vec<f64> = (0..n)
        .map(|j| if j % 3 == 0 { 0.0 } else { 2.0 / n as f64 })
        .collect();
    let eq = vec![Row {
        c0: -1.0,
        terms: (0..n).map(|j| (j, 1.0)).collect(),
    }];
    let le: Vec<Row> = (0..n)
        .map(|j| Row {
            c0: 0.0,
            terms: vec![(j, -1.0)],
        })
        .collect();
    let sub = Sub {
        n_x: n,
        k: 1,
        mult: 1,
        coef: 1.0,
        lin: &lin,
        m0: &m0,
        mj: &mj,
        cut: Some((0.5, &w)),
        eq: &eq,
        le: &le,
        prox: Some((500.0, &xh)),
        tol: 1e-10,
    };
    let a = ipm::solve_relaxed(&sub).expect("the relaxed method settles");
    let b = ipm::solve_barrier(&sub).expect("the barrier formulation converges");
    let (fa, fb) = (objective(&sub, &a.x), objective(&sub, &b.x));
    assert!(
        fa.is_finite() && (fa - fb).abs() <= 1e-9 * fb.abs().max(1.0),
        "{fa} vs {fb}"
    );
    assert!(
        max_diff(&a.x, &b.x) < 1e-6,
        "x differs by {}",
        max_diff(&a.x, &b.x)
    );
    // KKT of the whole subproblem at the relaxed method's solution.
    // Feasible to the interior-point tolerance (the barred coordinates are interior-point
    // values, within its primal residual of the bound).
    assert!(a.x.iter().all(|v| *v >= -1e-10));
    assert!((a.x.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    let at_bound = a.nu.iter().filter(|v| **v > 1e-8).count();
    assert!(
        at_bound > 10 && at_bound < n - 10,
        "{at_bound} bounds active"
    );
    let (u, _) = sub.prox.unwrap();
    let scale = a.nu.iter().fold(1.0f64, |m, v| m.max(*v));
    for j in 0..n {
        assert!(a.nu[j] >= 0.0);
        assert!(
            (a.nu[j] * a.x[j]).abs() < 1e-10 * scale,
            "ν{j} = {} at x = {}",
            a.nu[j],
            a.x[j]
        );
        let mut ip = 0.0;
        for c in 0..p {
            for i in 0..p {
                ip += mj[j].1[(i, c)] * a.u_r[(i, c)];
            }
        }
        let g = ip + a.beta * w[j] + lin[j] + a.mu[0] - a.nu[j] + u * (a.x[j] - xh[j]);
        assert!(g.abs() < 1e-7 * scale, "stationarity of x{j}: {g}");
    }
    // The duals are those of the model: β + tr Ũ = c.
    let tr: f64 = (0..p).map(|i| a.u_r[(i, i)]).sum();
    assert!(
        (a.beta + tr - 1.0).abs() < 1e-8,
        "β + tr Ũ = {}",
        a.beta + tr
    );
    // Without a proximal term the bounds cannot be relaxed: the method declines.
    assert!(ipm::solve_relaxed(&Sub { prox: None, ..sub }).is_none());
    // A long step (u = 0.5) to a sparse solution: the first round has to put back far more
    // than one in twenty of the relaxed bounds, so the method gives up, and `solve` answers
    // with the barrier formulation.
    let long = Sub {
        prox: Some((0.5, &xh)),
        ..sub
    };
    assert!(ipm::solve_relaxed(&long).is_none());
    let (s, b) = (
        ipm::solve(&long).unwrap(),
        ipm::solve_barrier(&long).unwrap(),
    );
    assert_eq!(s.x, b.x);
}
