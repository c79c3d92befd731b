//! The `sdp` method against a bare Clarabel call on the same conic data (issue 4, speed).
//!
//! Problem: min λ_max(A₀ + Σᵢ₌₁⁵ xᵢAᵢ) with dense random symmetric Aᵢ = Gᵢ + Gᵢᵀ
//! (Gᵢ standard normal, seeded), n = 10, 30, 60; Hermitian: Aᵢ = Gᵢ + Gᵢᴴ with complex normal
//! Gᵢ, n = 10, 30 (the real embedding doubles the PSD block, and Clarabel's dense PSD scaling
//! block in its KKT system grows like (n²/2)³: a Hermitian n = 60 solve (block 120) would take
//! about 60× the real n = 60 one, minutes per sample).
//!
//! Groups are named after the instance (`sdp_lambda_max_real_n30`); in each:
//! - `baseline_clarabel`: `DefaultSolver::new` + `solve` on the prebuilt conic data with the
//!   settings the `sdp` method uses ([`wirtinger::eig::sdp::clarabel_settings`]);
//! - `end_to_end`: parse the problem text (seeded random data, data expressions), recognize,
//!   build, solve with Clarabel, verify, certificate: `parse_problem` + `solve`;
//! - `outside_clarabel`: everything of `end_to_end` except Clarabel's solve, on a solution
//!   computed once before timing (parse, recognize, build, verify, certificate) — our overhead,
//!   measured directly rather than as a difference of two noisy medians.
//!
//! Run: `cargo bench --bench sdp` (about four minutes on two cores).

use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSolver, IPSolver};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use std::time::Duration;
use wirtinger::eig::certificate::certificate;
use wirtinger::eig::conic::build;
use wirtinger::eig::recognize::recognize;
use wirtinger::eig::sdp::{clarabel_settings, SdpLimits, DEFAULT_MAX_ITER, DEFAULT_TOL};
use wirtinger::eig::verify::verify;
use wirtinger::io::parse_problem;
use wirtinger::solve::{solve, SolveOptions, Status};

fn problem_text(n: usize, complex: bool) -> String {
    let kind = if complex { "complex_normal" } else { "normal" };
    let mut s = String::from("[variables]\nx = { type = \"real\", shape = [5] }\n[data]\n");
    for k in 0..6 {
        s += &format!(
            "G{k} = {{ random = \"{kind}\", shape = [{n}, {n}], seed = {} }}\nA{k} = {{ expr = \"G{k} + G{k}'\" }}\n",
            k + 1
        );
    }
    s += "[objective]\nminimize = \"lambda_max(A0 + x[0] * A1 + x[1] * A2 + x[2] * A3 + x[3] * A4 + x[4] * A5)\"\n";
    s
}

fn limits() -> SdpLimits {
    SdpLimits {
        tol: DEFAULT_TOL,
        max_iter: DEFAULT_MAX_ITER,
        time_limit: None,
    }
}

fn bench_instance(c: &mut Criterion, n: usize, complex: bool) {
    let text = problem_text(n, complex);
    let p = parse_problem(&text, "bench.toml".as_ref()).expect("problem");
    let rec = recognize(&p).expect("SDP-representable");
    let conic = build(&rec);
    let nv = conic.q.len();
    let opts = SolveOptions {
        method: Some("sdp".into()),
        ..SolveOptions::default()
    };
    let check = solve(&p, &opts).expect("solve");
    assert_eq!(check.status, Status::Optimal, "{}", check.message);
    // one Clarabel solution for `outside_clarabel`
    let mut solver = DefaultSolver::new(
        &CscMatrix::zeros((nv, nv)),
        &conic.q,
        &conic.a,
        &conic.b,
        &conic.cones,
        clarabel_settings(&limits()).expect("settings"),
    )
    .expect("conic data");
    solver.solve();
    let (y, z) = (solver.solution.x.clone(), solver.solution.z.clone());

    let name = format!(
        "sdp_lambda_max_{}_n{n}",
        if complex { "hermitian" } else { "real" }
    );
    let mut g = c.benchmark_group(&name);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(if n >= 30 { 20 } else { 3 }));
    g.bench_function(BenchmarkId::from_parameter("baseline_clarabel"), |b| {
        b.iter(|| {
            let mut s = DefaultSolver::new(
                &CscMatrix::zeros((nv, nv)),
                &conic.q,
                &conic.a,
                &conic.b,
                &conic.cones,
                clarabel_settings(&limits()).expect("settings"),
            )
            .expect("conic data");
            s.solve();
            black_box(s.solution.obj_val)
        })
    });
    g.bench_function(BenchmarkId::from_parameter("end_to_end"), |b| {
        b.iter(|| {
            let p = parse_problem(black_box(&text), "bench.toml".as_ref()).expect("problem");
            let r = solve(&p, &opts).expect("solve");
            black_box(r.objective)
        })
    });
    g.bench_function(BenchmarkId::from_parameter("outside_clarabel"), |b| {
        b.iter(|| {
            let p = parse_problem(black_box(&text), "bench.toml".as_ref()).expect("problem");
            let rec = recognize(&p).expect("SDP-representable");
            let conic = build(&rec);
            let v = verify(&p, &rec, &conic, &y);
            let cert = certificate(&rec, &conic, &y, &z);
            black_box((v.max_error(), cert.max_residual))
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    for (n, complex) in [
        (10, false),
        (30, false),
        (60, false),
        (10, true),
        (30, true),
    ] {
        bench_instance(c, n, complex);
    }
}

criterion_group!(sdp, benches);
criterion_main!(sdp);
