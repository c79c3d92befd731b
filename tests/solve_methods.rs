//! Methods on problems with known answers, and the statuses of contract §4.

use faer::linalg::solvers::{Solve, SolveLstsq};
use faer::Mat;
use num_complex::Complex64 as C64;
use std::cell::RefCell;
use std::path::Path;
use std::time::Duration;
use wirtinger::expr::DataValue;
use wirtinger::io::{load_problem, parse_problem};
use wirtinger::model::Problem;
use wirtinger::solve::{solve, Observer, SolveOptions, Status};
use wirtinger::Error;

fn parse(text: &str) -> Problem {
    parse_problem(text, Path::new("test.toml")).unwrap()
}

fn opts(method: &str) -> SolveOptions<'static> {
    SolveOptions {
        method: Some(method.into()),
        ..SolveOptions::default()
    }
}

fn data(p: &Problem, name: &str) -> Mat<C64> {
    match p.data.get(name) {
        Some(DataValue::Dense { value, .. }) => {
            let s = value.shape();
            Mat::from_fn(s.rows(), s.cols(), |i, j| value.data()[i + j * s.rows()])
        }
        _ => panic!("{name} missing"),
    }
}

fn dist(a: &[C64], b: &[C64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).norm_sqr())
        .sum::<f64>()
        .sqrt()
}

#[test]
fn widely_linear_quadratic_newton_one_step_pseudo_newton_not() {
    let p = load_problem(Path::new("problems/widely_linear_quadratic.toml")).unwrap();
    let n = solve(&p, &opts("newton")).unwrap();
    assert_eq!(n.status, Status::Optimal, "{}", n.message);
    assert_eq!(n.iterations, 1);
    let pn = solve(&p, &opts("pseudo_newton")).unwrap();
    assert_eq!(pn.status, Status::Optimal, "{}", pn.message);
    assert!(
        pn.iterations > 3,
        "pseudo-Newton took {} iterations",
        pn.iterations
    );
    assert!(dist(&n.point, &pn.point) < 1e-8);
    // One pseudo-Newton iteration leaves a visible gradient.
    let one = solve(
        &p,
        &SolveOptions {
            max_iter: Some(1),
            ..opts("pseudo_newton")
        },
    )
    .unwrap();
    assert_eq!(one.status, Status::MaxIterations);
    assert!(one.gradient_norm > 1e-3, "{}", one.gradient_norm);
}

const CONVEX: &str = r#"
[data]
B = { random = "complex_normal", shape = [6, 6], seed = 31 }
P = { expr = "B' * B + eye(6)" }
D = { random = "complex_normal", shape = [6, 6], seed = 32 }
C = { expr = "(D + transpose(D)) / 16" }
b = { random = "complex_normal", shape = [6], seed = 33 }
[variables]
z = { type = "complex", shape = [6], init = { re = [1.0, -1.0, 0.5, 0.0, 2.0, -0.5] } }
[objective]
minimize = "sum(abs2(z).^2) / 4 + z' * P * z + real(transpose(z) * C * z) - 2 * real(b' * z)"
"#;

#[test]
fn newton_converges_quadratically_on_a_strongly_convex_problem() {
    let p = parse(CONVEX);
    let best = solve(
        &p,
        &SolveOptions {
            tol: Some(1e-14),
            ..opts("newton")
        },
    )
    .unwrap();
    assert_eq!(best.status, Status::Optimal, "{}", best.message);
    let points = RefCell::new(Vec::new());
    let o = SolveOptions {
        observer: Some(Observer::new(|i| {
            points.borrow_mut().push(i.point.to_vec())
        })),
        tol: Some(1e-14),
        ..opts("newton")
    };
    let r = solve(&p, &o).unwrap();
    drop(o);
    assert_eq!(r.status, Status::Optimal);
    let errs: Vec<f64> = points
        .borrow()
        .iter()
        .map(|z| dist(z, &best.point))
        .collect();
    eprintln!("errors: {errs:?}");
    let ratios: Vec<f64> = errs
        .windows(2)
        .filter(|w| w[0] < 1e-1 && w[1] > 1e-13)
        .map(|w| w[1] / (w[0] * w[0]))
        .collect();
    eprintln!("e_(k+1)/e_k^2: {ratios:?}");
    assert!(
        ratios.len() >= 2,
        "too few iterations in the quadratic regime: {errs:?}"
    );
    assert!(ratios.iter().all(|&q| q < 10.0), "ratios {ratios:?}");
}

#[test]
fn complex_least_squares_matches_faer_qr() {
    let p = load_problem(Path::new("problems/least_squares.toml")).unwrap();
    let a = data(&p, "A");
    let b = data(&p, "b");
    let x = a.qr().solve_lstsq(&b);
    let want: Vec<C64> = (0..x.nrows()).map(|i| x[(i, 0)]).collect();
    for m in [
        "lm",
        "gauss_newton",
        "newton",
        "pseudo_newton",
        "lbfgs",
        "trust_region",
        "argmin_lbfgs",
        "argmin_bfgs",
        "argmin_newton_cg",
        "argmin_trust_region",
        "auto",
    ] {
        let r = solve(&p, &opts(m)).unwrap();
        assert_eq!(r.status, Status::Optimal, "{m}: {}", r.message);
        let e = dist(&r.point, &want) / dist(&want, &vec![C64::new(0.0, 0.0); want.len()]);
        assert!(e < 1e-7, "{m}: relative error {e:.3e}");
    }
    let r = solve(&p, &opts("newton")).unwrap();
    assert_eq!(r.iterations, 1, "K = 0: one Hermitian Newton step");
}

/// The trust region rejects steps (the point stays, the radius shrinks) without that counting as
/// a stall: on the widely-linear quadratic it still reaches the minimizer.
#[test]
fn trust_regions_survive_rejected_steps() {
    let p = load_problem(Path::new("problems/phase_retrieval.toml")).unwrap();
    for m in ["trust_region", "argmin_trust_region"] {
        let r = solve(&p, &opts(m)).unwrap();
        assert_eq!(r.status, Status::Optimal, "{m}: {}", r.message);
        assert!(r.objective < 1e-20, "{m}: {}", r.objective);
    }
}

#[test]
fn rank_one_fit_reaches_the_eigenvalue_bound_with_newton() {
    let p = load_problem(Path::new("problems/rank_one_fit.toml")).unwrap();
    let m = data(&p, "M");
    let e = wirtinger::cr::herm_eig(m.as_ref()).unwrap();
    let lmax = e.values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let sum2: f64 = e.values.iter().map(|l| l * l).sum();
    let want = if lmax > 0.0 { sum2 - lmax * lmax } else { sum2 };
    // pseudo_newton ends in a two-point cycle at the minimum whose f and ‖g‖ alternate in their
    // last digits: the stall test must see that as no progress and end `optimal` (regression).
    for method in [
        "newton",
        "pseudo_newton",
        "lm",
        "lbfgs",
        "trust_region",
        "argmin_trust_region",
        "argmin_bfgs",
        "argmin_newton_cg",
    ] {
        let r = solve(&p, &opts(method)).unwrap();
        assert_eq!(r.status, Status::Optimal, "{method}: {}", r.message);
        assert!(
            (r.objective - want).abs() < 1e-9 * want,
            "{method}: {} vs {want}",
            r.objective
        );
    }
}

#[test]
fn real_and_complex_variables_together() {
    let p = parse(
        r#"
[variables]
x = { type = "real", shape = [2], init = [0.3, -0.4] }
z = { type = "complex", shape = [2] }
[objective]
minimize = "sum((x - 1).^2) + sum(x.^4) + sum(abs2(z - 2i * x)) + real(sum(z .* z)) / 4"
"#,
    );
    let reference = solve(
        &p,
        &SolveOptions {
            tol: Some(1e-12),
            ..opts("lbfgs")
        },
    )
    .unwrap();
    for m in [
        "newton",
        "pseudo_newton",
        "steepest_descent",
        "argmin_lbfgs",
    ] {
        let r = solve(&p, &opts(m)).unwrap();
        assert_eq!(r.status, Status::Optimal, "{m}: {}", r.message);
        assert!(
            r.point[..2].iter().all(|x| x.im == 0.0),
            "{m}: real variable left the reals"
        );
        assert!(dist(&r.point, &reference.point) < 1e-6, "{m}");
    }
}

#[test]
fn maximize_reports_the_maximum() {
    let p = parse(
        r#"
[variables]
z = { type = "complex", shape = [] }
[objective]
maximize = "3 - abs2(z - (1 - 1i))"
"#,
    );
    let r = solve(&p, &SolveOptions::default()).unwrap();
    assert_eq!(r.status, Status::Optimal);
    assert_eq!(r.method, "newton");
    assert!((r.objective - 3.0).abs() < 1e-12);
    assert!((r.point[0] - C64::new(1.0, -1.0)).norm() < 1e-10);
}

#[test]
fn steepest_descent_with_each_line_search() {
    use wirtinger::solve::LineSearch;
    let p = load_problem(Path::new("problems/least_squares.toml")).unwrap();
    for ls in [
        LineSearch::MoreThuente,
        LineSearch::HagerZhang,
        LineSearch::Backtracking,
    ] {
        for m in ["steepest_descent", "lbfgs"] {
            let r = solve(
                &p,
                &SolveOptions {
                    line_search: ls,
                    ..opts(m)
                },
            )
            .unwrap();
            assert_eq!(r.status, Status::Optimal, "{m} {ls:?}: {}", r.message);
        }
    }
}

#[test]
fn status_max_iterations() {
    let p = load_problem(Path::new("problems/phase_retrieval.toml")).unwrap();
    let r = solve(
        &p,
        &SolveOptions {
            max_iter: Some(3),
            ..opts("steepest_descent")
        },
    )
    .unwrap();
    assert_eq!(r.status, Status::MaxIterations);
    assert_eq!(r.iterations, 3);
    assert!(r.objective.is_finite());
    assert_eq!(r.history.len(), 4);
}

#[test]
fn status_time_limit() {
    // Steepest descent on an ill-conditioned least-squares problem (a 1000 × 900 Gaussian A:
    // κ(AᴴA) ≈ ((√1000 + √900)/(√1000 − √900))² ≈ 1500, tens of thousands of iterations to
    // rounding level) cannot finish within 50 ms, so the limit is what stops it.
    let p = parse(
        r#"
[variables]
x = { type = "complex", shape = [900] }
[data]
A = { random = "complex_normal", shape = [1000, 900], seed = 3 }
b = { random = "complex_normal", shape = [1000], seed = 4 }
[objective]
minimize = "norm2sq(A * x - b)"
"#,
    );
    let r = solve(
        &p,
        &SolveOptions {
            time_limit: Some(Duration::from_millis(50)),
            tol: Some(0.0),
            max_iter: Some(u64::MAX),
            ..opts("steepest_descent")
        },
    )
    .unwrap();
    assert_eq!(r.status, Status::TimeLimit, "{}", r.message);
    assert!(r.time_seconds < 5.0);
}

#[test]
fn status_stalled_at_a_kink() {
    // |x| + x/2 has no stationary point (at the kink the engine's subgradient is 0 + 1/2): the
    // methods give up near the kink, far from ‖g‖ = 0.
    let p = parse(
        r#"
[variables]
x = { type = "real", shape = [], init = 0.3 }
[objective]
minimize = "abs(x) + x / 2"
"#,
    );
    for m in ["lbfgs", "newton"] {
        let r = solve(&p, &opts(m)).unwrap();
        assert_eq!(r.status, Status::Stalled, "{m}: {}", r.message);
        assert!(r.point[0].re.abs() < 1e-6, "{m}: {}", r.point[0]);
        assert!(r.gradient_norm > 0.1);
    }
}

#[test]
fn tol_zero_never_stops_on_tolerance() {
    let p = load_problem(Path::new("problems/least_squares.toml")).unwrap();
    let r = solve(
        &p,
        &SolveOptions {
            tol: Some(0.0),
            max_iter: Some(30),
            ..opts("newton")
        },
    )
    .unwrap();
    assert_ne!(r.status, Status::Optimal, "{}", r.message);
    assert!(r.iterations >= 1);
}

fn rejected(p: &Problem, o: &SolveOptions) -> String {
    match solve(p, o) {
        Err(Error::Input(d)) => d.render(),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn rejections() {
    let lam = load_problem(Path::new("problems/lambda_max_affine.toml")).unwrap();
    // `auto` hands an eigenvalue objective to `sdp` (issue 4).
    let r = solve(&lam, &SolveOptions::default()).unwrap();
    assert_eq!(
        (r.method.as_str(), r.status),
        ("sdp", Status::Optimal),
        "{}",
        r.message
    );
    let ls = load_problem(Path::new("problems/least_squares.toml")).unwrap();
    let msg = rejected(&ls, &opts("spectral_bundle"));
    assert!(
        msg.contains("does not fit the spectral_bundle method")
            && msg.contains("no eigenvalue term"),
        "{msg}"
    );
    let msg = rejected(&ls, &opts("newtn"));
    assert!(
        msg.contains("unknown method `newtn`") && msg.contains("levenberg_marquardt"),
        "{msg}"
    );
    let wlq = load_problem(Path::new("problems/widely_linear_quadratic.toml")).unwrap();
    assert!(rejected(&wlq, &opts("lm")).contains("sum-of-squares"));
    assert!(rejected(&wlq, &opts("gauss_newton")).contains("sum-of-squares"));
    let con = parse(
        r#"
[variables]
x = { type = "real", shape = [2] }
[objective]
minimize = "sum(x.^2)"
[[constraints]]
expr = "sum(x) == 1"
"#,
    );
    assert!(rejected(&con, &opts("newton")).contains("constraints"));
    // `auto` hands the constrained problem to the SDP path: min ‖x‖² s.t. Σx = 1 is 1/2 at
    // x = (1/2, 1/2).
    let r = solve(&con, &SolveOptions::default()).unwrap();
    assert_eq!((r.method.as_str(), r.status), ("sdp", Status::Optimal));
    assert!((r.objective - 0.5).abs() < 1e-8, "{}", r.objective);
}

/// MVDR in sidelobe-canceller form reaches the closed-form output power 1/(a₀ᴴR⁻¹a₀),
/// recomputed here with faer from the loaded data (independently of the problem's own
/// `expected_objective`), with Newton in one step (K = 0) and with L-BFGS and `auto`.
#[test]
fn mvdr_beamformer_reaches_the_closed_form_output_power() {
    let p = load_problem(Path::new("problems/mvdr_beamformer.toml")).unwrap();
    let r = data(&p, "R");
    let a0 = data(&p, "a0");
    let x = r.partial_piv_lu().solve(&a0);
    let q: C64 = (0..a0.nrows()).map(|i| a0[(i, 0)].conj() * x[(i, 0)]).sum();
    let want = 1.0 / q.re;
    assert!((want - p.expected_objective.unwrap()).abs() < 1e-12 * want);
    for m in ["newton", "lbfgs", "auto"] {
        let rep = solve(&p, &opts(m)).unwrap();
        assert_eq!(rep.status, Status::Optimal, "{m}: {}", rep.message);
        assert!(
            (rep.objective - want).abs() < 1e-9 * want,
            "{m}: {} vs {want}",
            rep.objective
        );
        if m == "newton" {
            assert_eq!(rep.iterations, 1, "a Hermitian quadratic: one Newton step");
        }
    }
}

/// An objective that overflows along the descent direction ends `numerical_error` with the last
/// finite point, never `optimal` and never a NaN objective.
#[test]
fn status_numerical_error_keeps_the_last_finite_point() {
    let p = parse(
        r#"
[variables]
x = { type = "real", shape = [], init = 1.5 }
[objective]
minimize = "-exp(exp(x^2))"
"#,
    );
    let r = solve(&p, &opts("steepest_descent")).unwrap();
    assert_eq!(r.status, Status::NumericalError, "{}", r.message);
    assert!(r.objective.is_finite(), "{}", r.objective);
    assert!(r.point.iter().all(|z| z.re.is_finite() && z.im == 0.0));
}
