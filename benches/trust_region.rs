//! The Hessian operator of `trust_region` (issue 3): Steihaug's CG multiplies by H v + K conj(v)
//! many times at one point. `Objective::hvp` evaluates the forward values at the point for
//! every product; `Objective::hvp_at` (what `trust_region` uses) evaluates them once.
//!
//! Instance: problems/phase_retrieval.toml (complex Gaussian, n = 64, m = 6n, spectral start),
//! at the starting point, 50 products with fixed pseudo-random directions; and the whole
//! `trust_region` solve.
//!
//! Run: `cargo bench --bench trust_region`. Group `phase_retrieval_n64`: products, baseline
//! `baseline_hvp_reevaluated_x50` (50 × `hvp`) against `hvp_at_x50` (one `hvp_at`, 50
//! products); solves, baseline `baseline_trust_region_reevaluated` (the same `trust_region`
//! solve on an objective that keeps `Objective`'s default `hvp_at`, which re-evaluates the
//! forward values for every product, as before) against `trust_region`.

use criterion::{black_box, Criterion};
use faer::Mat;
use num_complex::Complex64 as C64;
use std::path::Path;
use std::time::Duration;
use wirtinger::cr::{EvalError, Function, Objective};
use wirtinger::io::load_problem;
use wirtinger::solve::{solve, solve_objective, Method, SolveOptions, Status};

/// The engine's objective without its `hvp_at`: every product re-evaluates the forward values.
struct Reevaluate<'a>(&'a Function);

impl Objective for Reevaluate<'_> {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn real_mask(&self) -> Vec<bool> {
        Objective::real_mask(self.0)
    }
    fn value(&self, z: &[C64]) -> Result<f64, EvalError> {
        self.0.value(z)
    }
    fn value_gradient(&self, z: &[C64]) -> Result<(f64, Vec<C64>), EvalError> {
        self.0.value_gradient(z)
    }
    fn hvp(&self, z: &[C64], v: &[C64]) -> Result<Vec<C64>, EvalError> {
        self.0.hvp(z, v)
    }
    fn hessian(&self, z: &[C64]) -> Result<(Mat<C64>, Mat<C64>), EvalError> {
        self.0.hessian(z)
    }
}

const PRODUCTS: usize = 50;

fn directions(n: usize) -> Vec<Vec<C64>> {
    // A fixed linear congruential sequence: the same directions in every run.
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    (0..PRODUCTS)
        .map(|_| (0..n).map(|_| C64::new(next(), next())).collect())
        .collect()
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("problems/phase_retrieval.toml");
    let p = load_problem(&path).expect("problems/phase_retrieval.toml loads");
    let f = p.function().expect("compiles");
    let z = p.initial_point();
    let dirs = directions(z.len());
    // The two paths give the same products (bit for bit: same operations in the same order).
    let mut op = f.hvp_at(&z);
    for d in &dirs {
        assert_eq!(op(d).unwrap(), f.hvp(&z, d).unwrap());
    }
    let mut g = c.benchmark_group("phase_retrieval_n64");
    g.bench_function("baseline_hvp_reevaluated_x50", |b| {
        b.iter(|| {
            for d in &dirs {
                black_box(f.hvp(&z, d).unwrap());
            }
        })
    });
    g.bench_function("hvp_at_x50", |b| {
        b.iter(|| {
            let mut op = f.hvp_at(&z);
            for d in &dirs {
                black_box(op(d).unwrap());
            }
        })
    });
    let old = Reevaluate(&f);
    g.bench_function("baseline_trust_region_reevaluated", |b| {
        b.iter(|| {
            let r = solve_objective(
                &old,
                None,
                p.initial_point(),
                Method::TrustRegion,
                &p.solver,
                &SolveOptions::default(),
            );
            assert_eq!(r.status, Status::Optimal, "{}", r.message);
            black_box(r)
        })
    });
    g.bench_function("trust_region", |b| {
        b.iter(|| {
            let r = solve(
                &p,
                &SolveOptions {
                    method: Some("trust_region".into()),
                    ..SolveOptions::default()
                },
            )
            .unwrap();
            assert_eq!(r.status, Status::Optimal, "{}", r.message);
            black_box(r)
        })
    });
    g.finish();
    let r = solve(
        &p,
        &SolveOptions {
            method: Some("trust_region".into()),
            ..SolveOptions::default()
        },
    )
    .unwrap();
    println!(
        "trust_region: {} iterations, {} Hessian–vector products, {} value+gradient evaluations",
        r.iterations, r.evaluations.hvp, r.evaluations.value
    );
    c.final_summary();
}
