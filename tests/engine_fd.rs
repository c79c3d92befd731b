//! Property tests: random compositions of the language's operations, differentiated by the engine
//! and compared with finite differences by `check_derivatives`; finite-difference checks of the
//! eigenvalue and singular-value functions at random points (where eigenvalues are simple); and
//! tests of the checker itself (it must catch wrong derivative rules).

use num_complex::Complex64 as C64;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use wirtinger::cr::{
    check_derivatives, random_point, CustomOp, Function, Graph, Op, Unary, GRADIENT_TOL,
    HESSIAN_TOL,
};
use wirtinger::expr::{compile_objective, DataValue};
use wirtinger::io::random::ChaCha8;
use wirtinger::model::{Shape, Tensor, Ty};

type Data = BTreeMap<String, DataValue>;

fn cvec(rng: &mut ChaCha8, n: usize, scale: f64) -> Vec<C64> {
    (0..n)
        .map(|_| {
            let (a, b) = rng.normal_pair();
            C64::new(a, b) * (scale * std::f64::consts::FRAC_1_SQRT_2)
        })
        .collect()
}

fn put(data: &mut Data, name: &str, shape: Shape, v: Vec<C64>, real: bool) {
    data.insert(
        name.into(),
        DataValue::Dense {
            value: Arc::new(Tensor::new(shape, v).unwrap()),
            real,
        },
    );
}

/// Data for the random compositions: complex A, B (3×3), complex a, real c (length 3).
fn composition_data() -> Data {
    let mut rng = ChaCha8::from_seed_u64(2024);
    let mut data = Data::new();
    put(
        &mut data,
        "A",
        Shape::Matrix(3, 3),
        cvec(&mut rng, 9, 0.7),
        false,
    );
    put(
        &mut data,
        "B",
        Shape::Matrix(3, 3),
        cvec(&mut rng, 9, 0.7),
        false,
    );
    put(
        &mut data,
        "a",
        Shape::Vector(3),
        cvec(&mut rng, 3, 1.0),
        false,
    );
    let c = cvec(&mut rng, 3, 1.0)
        .iter()
        .map(|x| C64::new(x.re, 0.0))
        .collect();
    put(&mut data, "c", Shape::Vector(3), c, true);
    data
}

fn composition_vars() -> Vec<(String, Ty)> {
    vec![
        ("z".into(), Ty::complex(Shape::Vector(3))),
        ("x".into(), Ty::real(Shape::Vector(3))),
        ("w".into(), Ty::complex(Shape::Scalar)),
    ]
}

/// Vector-valued (length 3) expressions over z (complex), x (real), w (complex scalar) and the
/// data. Every operation is smooth at generic points; log, √ and fractional powers only see
/// arguments 4 + u with |u| = |E|/(2 + |E|²) < 0.36, far from the branch cut and from 0, and
/// divisions are by 2 + |E|² or 1 + |w|².
fn vector_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("z"),
        Just("x"),
        Just("(w * a)"),
        Just("(A * z)"),
        Just("(A' * z)"),
        Just("(transpose(B) * x)"),
        Just("(c .* z)"),
        Just("fft(z)"),
        Just("ifft(z)"),
        Just("conj(z)"),
        Just("(x .* z)"),
        Just("(diag(z) * a)"),
        Just("(z + w)"),
        Just("(eye(3) * z - ones(3))"),
    ]
    .prop_map(String::from);
    leaf.prop_recursive(3, 10, 2, |e| {
        let bounded = |e: &str| format!("(4 + {e} ./ (2 + abs2({e})))");
        prop_oneof![
            e.clone().prop_map(|e| format!("exp(0.5 * {e})")),
            e.clone().prop_map(|e| format!("sin({e})")),
            e.clone().prop_map(|e| format!("cos({e})")),
            e.clone().prop_map(move |e| format!("log({})", bounded(&e))),
            e.clone()
                .prop_map(move |e| format!("sqrt({})", bounded(&e))),
            e.clone()
                .prop_map(move |e| format!("({}.^1.5)", bounded(&e))),
            e.clone()
                .prop_map(move |e| format!("({}.^(-2))", bounded(&e))),
            e.clone().prop_map(|e| format!("({e}.^2)")),
            e.clone().prop_map(|e| format!("conj({e})")),
            e.clone().prop_map(|e| format!("real({e})")),
            e.clone().prop_map(|e| format!("imag({e})")),
            e.clone().prop_map(|e| format!("abs2({e})")),
            e.clone().prop_map(|e| format!("(B * {e})")),
            e.clone().prop_map(|e| format!("(A' * {e})")),
            e.clone().prop_map(|e| format!("fft({e})")),
            e.clone().prop_map(|e| format!("ifft({e})")),
            e.clone().prop_map(|e| format!("(w * {e})")),
            e.clone().prop_map(|e| format!("({e} / (1 + abs2(w)))")),
            e.clone().prop_map(|e| format!("(-{e} / 2)")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("({a} + {b})")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("({a} - {b})")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("({a} .* {b})")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("({a} ./ (2 + abs2({b})))")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("(diag({a}) * {b})")),
        ]
    })
}

/// A real objective built from one or two vector expressions.
fn objective() -> impl Strategy<Value = String> {
    (vector_expr(), vector_expr(), 0..10usize).prop_map(|(a, b, k)| match k {
        0 => format!("sum(abs2({a}))"),
        1 => format!("real(sum({a}))"),
        2 => format!("imag(dot({a}, {b}))"),
        3 => format!("real({a}' * {b}) + norm2sq({a})"),
        4 => format!("abs2(transpose({a}) * {b})"),
        5 => format!("real(trace(diag({a}) * A)) + abs2({b}[1])"),
        6 => format!("norm2({a}) + sum(abs2({b})) / 4"),
        7 => format!("0.5 * sum(abs2({a} - {b}))"),
        8 => format!("real(sum({a} .* {b})) + abs2(w)^2"),
        _ => format!("sum(real({a}).^2)"),
    })
}

/// 64 cases by default (about a second); `PROPTEST_CASES=N` runs more.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// Engine gradients and Hessian–vector products of random compositions agree with finite
    /// differences at seeded random points.
    #[test]
    fn random_compositions_match_finite_differences(src in objective(), seed in 0u64..1_000_000) {
        let f = compile_objective(&src, &composition_vars(), &composition_data())
            .map_err(|e| TestCaseError::fail(format!("`{src}`: {e}")))?;
        let z = random_point(&f, seed);
        // Nested exp/sin/cos of complex arguments can overflow: such points are not tested.
        let v = f.value(&z).map_err(|e| TestCaseError::fail(format!("`{src}`: {e}")))?;
        prop_assume!(v.is_finite() && v.abs() < 1e100);
        let r = check_derivatives(&f, &z, seed ^ 0x5eed)
            .map_err(|e| TestCaseError::fail(format!("`{src}`: {e}")))?;
        prop_assert!(r.hessian_checked, "`{}`: {:?}", src, r);
        prop_assert!(r.gradient_error < GRADIENT_TOL, "`{}`: {:?}", src, r);
        prop_assert!(r.hessian_error < HESSIAN_TOL, "`{}`: {:?}", src, r);
    }
}

// ---------------------------------------------------------------------------------------------
// Eigenvalue and singular-value functions at random points (simple eigenvalues, generically)

/// Hermitian random stack S₀…S₂ (4×4) for `lincomb`, plus B (Hermitian positive definite) and
/// a non-Hermitian complex M.
fn spectral_data() -> Data {
    let mut rng = ChaCha8::from_seed_u64(77);
    let mut data = Data::new();
    let herm = |v: Vec<C64>| -> Tensor {
        let m = Tensor::new(Shape::Matrix(4, 4), v).unwrap();
        let d = (0..16)
            .map(|k| {
                let (i, j) = (k % 4, k / 4);
                (m.get(i, j) + m.get(j, i).conj()) * 0.5
            })
            .collect();
        Tensor::new(Shape::Matrix(4, 4), d).unwrap()
    };
    let items = (0..3).map(|_| herm(cvec(&mut rng, 16, 1.0))).collect();
    data.insert(
        "S".into(),
        DataValue::Stack {
            items: Arc::new(items),
            real: false,
        },
    );
    let a0 = herm(cvec(&mut rng, 16, 1.0));
    data.insert(
        "A0".into(),
        DataValue::Dense {
            value: Arc::new(a0),
            real: false,
        },
    );
    // B = 3I + small Hermitian: positive definite.
    let mut b = herm(cvec(&mut rng, 16, 0.3)).data().to_vec();
    for i in 0..4 {
        b[i + 4 * i] += 3.0;
    }
    put(&mut data, "B", Shape::Matrix(4, 4), b, false);
    put(
        &mut data,
        "M",
        Shape::Matrix(4, 3),
        cvec(&mut rng, 12, 1.0),
        false,
    );
    data
}

#[test]
fn spectral_functions_match_finite_differences() {
    let vars = vec![
        ("X".to_string(), Ty::complex(Shape::Matrix(4, 4))),
        ("x".to_string(), Ty::real(Shape::Vector(3))),
        ("Y".to_string(), Ty::complex(Shape::Matrix(4, 3))),
    ];
    let data = spectral_data();
    let cases = [
        "lambda_max(X + X')",
        "lambda_min(X + X')",
        "sum_largest(X + X', 2)",
        "sum_smallest(X + X', 3)",
        "lambda_max(A0 + lincomb(x, S))",
        "lambda_min(A0 + lincomb(x, S)) + sum(x.^2)",
        "sum_largest(A0 + lincomb(x, S) + X + X', 2)",
        "sigma_max(Y)",
        "sigma_max(M + Y)",
        "norm_nuc(Y)",
        "norm_nuc(M - 0.5 * Y)",
        "lambda_max(X + X', B)",
        "lambda_min(X + X', B)",
        "lambda_max(A0, B + 0.1 * (X + X'))",
        "lambda_max(X + X', B + 0.1 * lincomb(x, S))",
        "abs2(lambda_max(X + X')) + exp(0.1 * sigma_max(Y))",
        "sum_largest(X * X', 2) + norm_nuc(X * Y)",
    ];
    for src in cases {
        let f = compile_objective(src, &vars, &data).unwrap_or_else(|e| panic!("`{src}`: {e}"));
        for seed in 0..6 {
            let z = random_point(&f, seed);
            let r =
                check_derivatives(&f, &z, seed + 100).unwrap_or_else(|e| panic!("`{src}`: {e}"));
            assert!(r.hessian_checked, "`{src}` seed {seed}: {r:?}");
            assert!(r.passed(), "`{src}` seed {seed}: {r:?}");
        }
    }
}

/// Powers with a variable exponent (lowered as exp(b .* log(a))), bases away from the branch cut.
#[test]
fn variable_exponents_match_finite_differences() {
    let vars = composition_vars();
    let data = composition_data();
    for src in [
        "real(sum((2 + abs2(z)).^w))",
        "abs2((1.5 + 0.2 * w)^w)",
        "sum((1 + x.^2).^x)",
        "real(sum((3 + 0.1 * z).^(x + w)))",
    ] {
        let f = compile_objective(src, &vars, &data).unwrap_or_else(|e| panic!("`{src}`: {e}"));
        for seed in 0..4 {
            let z = random_point(&f, seed);
            let r = check_derivatives(&f, &z, seed).unwrap_or_else(|e| panic!("`{src}`: {e}"));
            assert!(
                r.hessian_checked && r.passed(),
                "`{src}` seed {seed}: {r:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The checker itself

/// w = u³ elementwise, with optionally wrong reverse or second-order rules.
struct Cube {
    /// Factor applied to the correct VJP (1 = correct).
    vjp_factor: f64,
    /// None: no second-order rule; Some(factor): the tangent of the VJP times factor.
    second: Option<f64>,
}

impl CustomOp for Cube {
    fn name(&self) -> &str {
        "cube"
    }
    fn output_type(&self, inputs: &[Ty]) -> Result<Ty, String> {
        Ok(inputs[0])
    }
    fn eval(&self, x: &[&Tensor]) -> Result<Tensor, String> {
        let d = x[0].data().iter().map(|u| u * u * u).collect();
        Ok(Tensor::new(x[0].shape(), d).unwrap())
    }
    fn jvp(&self, x: &[&Tensor], dx: &[Option<&Tensor>]) -> Result<Tensor, String> {
        let du = dx[0].ok_or("no tangent")?;
        let d = x[0]
            .data()
            .iter()
            .zip(du.data())
            .map(|(u, d)| u * u * d * 3.0)
            .collect();
        Ok(Tensor::new(x[0].shape(), d).unwrap())
    }
    fn vjp(&self, x: &[&Tensor], g: &Tensor, _which: usize) -> Result<Tensor, String> {
        // ḡ_u = conj(3u²) ḡ_w
        let d = x[0]
            .data()
            .iter()
            .zip(g.data())
            .map(|(u, g)| (u * u * 3.0).conj() * g * self.vjp_factor)
            .collect();
        Ok(Tensor::new(x[0].shape(), d).unwrap())
    }
    fn vjp_jvp(
        &self,
        x: &[&Tensor],
        g: &Tensor,
        dx: &[Option<&Tensor>],
        dg: Option<&Tensor>,
        _which: usize,
    ) -> Result<Tensor, String> {
        // d(conj(3u²) ḡ) = conj(6u du) ḡ + conj(3u²) dḡ
        let factor = self.second.ok_or("no second-order rule")?;
        let n = x[0].data().len();
        let zero = C64::new(0.0, 0.0);
        let d = (0..n)
            .map(|i| {
                let u = x[0].data()[i];
                let du = dx[0].map_or(zero, |t| t.data()[i]);
                let dgi = dg.map_or(zero, |t| t.data()[i]);
                ((u * du * 6.0).conj() * g.data()[i] + (u * u * 3.0).conj() * dgi) * factor
            })
            .collect();
        Ok(Tensor::new(x[0].shape(), d).unwrap())
    }
}

/// f = Σ|cube(z)|² over a complex vector of length 3, built with the graph API.
fn cube_objective(op: Cube) -> Function {
    let ty = Ty::complex(Shape::Vector(3));
    let mut g = Graph::default();
    let z = g.push(Op::Var(0), vec![], ty);
    let c = g.push(Op::Custom(Arc::new(op)), vec![z], ty);
    let a = g.unary(Unary::Abs2, c);
    let f = g.push(Op::Sum, vec![a], Ty::real(Shape::Scalar));
    Function::new(g, f, vec![("z".into(), ty)]).unwrap()
}

#[test]
fn checker_passes_correct_rules() {
    let f = cube_objective(Cube {
        vjp_factor: 1.0,
        second: Some(1.0),
    });
    let r = check_derivatives(&f, &random_point(&f, 1), 2).unwrap();
    assert!(r.passed() && r.hessian_checked, "{r:?}");
    assert_eq!(r.directions, 6 + 4);
    assert!(r.gradient_error < 1e-9 && r.hessian_error < 1e-8, "{r:?}");
}

#[test]
fn checker_catches_a_wrong_gradient_rule() {
    let f = cube_objective(Cube {
        vjp_factor: 1.0 + 1e-4,
        second: Some(1.0),
    });
    let r = check_derivatives(&f, &random_point(&f, 1), 2).unwrap();
    assert!(r.gradient_error > 1e-5 && !r.passed(), "{r:?}");
}

#[test]
fn checker_catches_a_wrong_hessian_rule() {
    let f = cube_objective(Cube {
        vjp_factor: 1.0,
        second: Some(1.001),
    });
    let r = check_derivatives(&f, &random_point(&f, 1), 2).unwrap();
    assert!(r.gradient_error < GRADIENT_TOL, "{r:?}");
    assert!(r.hessian_error > HESSIAN_TOL && !r.passed(), "{r:?}");
}

#[test]
fn checker_reports_a_missing_second_order_rule() {
    let f = cube_objective(Cube {
        vjp_factor: 1.0,
        second: None,
    });
    let r = check_derivatives(&f, &random_point(&f, 1), 2).unwrap();
    assert!(!r.hessian_checked && r.hessian_error.is_nan(), "{r:?}");
    assert!(r.passed(), "{r:?}");
}

#[test]
fn checker_rejects_non_finite_points() {
    let vars = [("z".to_string(), Ty::complex(Shape::Vector(2)))];
    let f = compile_objective("real(sum(log(z)))", &vars, &Data::new()).unwrap();
    let e = check_derivatives(&f, &[C64::new(0.0, 0.0), C64::new(1.0, 0.0)], 0).unwrap_err();
    assert!(e.message.contains("not finite at the point"), "{e}");
    let e = check_derivatives(&f, &[C64::new(1.0, 0.0)], 0).unwrap_err();
    assert!(e.message.contains("expected 2"), "{e}");
}

/// Near the edge of the domain (real √ at x = 1e-5, where the step 2⁻¹⁰ leaves it), the step is
/// reduced instead of failing.
#[test]
fn checker_shrinks_the_step_at_the_edge_of_the_domain() {
    let vars = [("x".to_string(), Ty::real(Shape::Scalar))];
    let f = compile_objective("sqrt(x) + x^2", &vars, &Data::new()).unwrap();
    let r = check_derivatives(&f, &[C64::new(0.05, 0.0)], 0).unwrap();
    assert!(r.passed(), "{r:?}");
}

/// At a stationary point with f ≠ 0 the gradient is 0 and finite differences are pure rounding
/// noise: the noise floor keeps that from being reported as an error.
#[test]
fn checker_at_a_stationary_point() {
    let mut data = Data::new();
    let mut rng = ChaCha8::from_seed_u64(5);
    put(
        &mut data,
        "A",
        Shape::Matrix(5, 3),
        cvec(&mut rng, 15, 1.0),
        false,
    );
    let b = cvec(&mut rng, 5, 10.0);
    put(&mut data, "b", Shape::Vector(5), b, false);
    let vars = [("z".to_string(), Ty::complex(Shape::Vector(3)))];
    let f = compile_objective("sum(abs2(A * z - b))", &vars, &data).unwrap();
    // Gauss–Newton from 0 lands on the least-squares solution in one (pseudo-)Newton step.
    let z0 = vec![C64::new(0.0, 0.0); 3];
    let (_, g) = f.value_gradient(&z0).unwrap();
    let (h, _) = f.hessian(&z0).unwrap();
    let rhs = faer::Mat::from_fn(3, 1, |i, _| -g[i]);
    use faer::linalg::solvers::Solve;
    let step = h.full_piv_lu().solve(&rhs);
    let z: Vec<C64> = (0..3).map(|i| step[(i, 0)]).collect();
    let (v, g) = f.value_gradient(&z).unwrap();
    assert!(v > 1.0 && g.iter().map(|x| x.norm()).sum::<f64>() < 1e-10 * v);
    let r = check_derivatives(&f, &z, 3).unwrap();
    assert!(r.passed(), "{r:?}");
}

#[test]
fn random_point_layout_and_determinism() {
    let vars = [
        ("z".to_string(), Ty::complex(Shape::Vector(2))),
        ("x".to_string(), Ty::real(Shape::Matrix(2, 2))),
    ];
    let f = compile_objective("norm2sq(z) + sum(x)", &vars, &Data::new()).unwrap();
    let p = random_point(&f, 11);
    assert_eq!(p.len(), 6);
    assert!(p[..2].iter().all(|v| v.im != 0.0));
    assert!(p[2..].iter().all(|v| v.im == 0.0 && v.re != 0.0));
    assert_eq!(p, random_point(&f, 11));
    assert_ne!(p, random_point(&f, 12));
}
