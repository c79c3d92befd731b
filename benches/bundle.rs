//! Spectral bundle speed (issue 7, "Speed"): min λ_max(A₀ + Σᵢ₌₁⁵ xᵢAᵢ) with dense random
//! symmetric Aᵢ = (Gᵢ + Gᵢᵀ)/2, G seeded standard normal, solved end to end from the loaded
//! problem (recognition, affine extraction, iterations, final engine check).
//!
//! - `lambda_max_n60`: `spectral_bundle` against the dense SDP path (`baseline_sdp`, Clarabel on
//!   the full 60 × 60 PSD block) in the same run; both must be `optimal` and agree to 1e-6
//!   relative before anything is timed (target: ≥ 20× faster).
//! - `lambda_max_n100`, `_n200`, `_n500`: `spectral_bundle` alone (time against n; target at
//!   n = 500: under 10 s).
//!
//! Run: `cargo bench --bench bundle`. After criterion's output a summary prints the medians
//! and the ratio (medians of criterion's samples).

use criterion::Criterion;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use wirtinger::io::parse_problem;
use wirtinger::model::Problem;
use wirtinger::solve::{solve, Report, SolveOptions, Status};

const SAMPLES: usize = 10;

static MEDIANS: Mutex<BTreeMap<String, f64>> = Mutex::new(BTreeMap::new());

fn problem(n: usize) -> Problem {
    let mut s = String::from("[variables]\nx = { type = \"real\", shape = [5] }\n[data]\n");
    let mut sum = String::from("A0");
    for i in 0..=5 {
        s += &format!(
            "G{i} = {{ random = \"normal\", shape = [{n}, {n}], seed = {} }}\n\
             A{i} = {{ expr = \"(G{i} + G{i}') / 2\" }}\n",
            300 + i
        );
        if i > 0 {
            sum += &format!(" + x[{}] * A{i}", i - 1);
        }
    }
    s += &format!("[objective]\nminimize = \"lambda_max({sum})\"\n");
    parse_problem(&s, "bench.toml".as_ref()).expect("the bench problem loads")
}

fn run(p: &Problem, method: &str) -> Report {
    let o = SolveOptions {
        method: Some(method.into()),
        ..Default::default()
    };
    solve(p, &o).expect("the bench problem solves")
}

fn timed(c: &mut Criterion, group: &str, id: &str, p: &Problem, method: &str) {
    let mut g = c.benchmark_group(group);
    g.sample_size(SAMPLES);
    g.warm_up_time(Duration::from_millis(1));
    let mut times = Vec::new();
    g.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                let r = run(p, method);
                assert_eq!(r.status, Status::Optimal, "{}", r.message);
            }
            let d = t.elapsed();
            times.push(d.as_secs_f64() / iters as f64);
            d
        })
    });
    g.finish();
    times.sort_by(f64::total_cmp);
    let med = times[times.len() / 2];
    MEDIANS
        .lock()
        .expect("no poisoned lock")
        .insert(format!("{group}/{id}"), med);
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let p60 = problem(60);
    let b = run(&p60, "spectral_bundle");
    let s = run(&p60, "sdp");
    assert_eq!(b.status, Status::Optimal, "{}", b.message);
    assert_eq!(s.status, Status::Optimal, "{}", s.message);
    let d = (b.objective - s.objective).abs() / s.objective.abs().max(1.0);
    assert!(d < 1e-6, "bundle {} vs sdp {}", b.objective, s.objective);
    println!(
        "n = 60: spectral_bundle {} (certified [{}, {}]), sdp {}, relative difference {d:.1e}",
        b.objective,
        b.bundle.as_ref().map_or(f64::NAN, |i| i.lower_bound),
        b.bundle.as_ref().map_or(f64::NAN, |i| i.upper_bound),
        s.objective
    );
    timed(&mut c, "lambda_max_n60", "baseline_sdp", &p60, "sdp");
    timed(
        &mut c,
        "lambda_max_n60",
        "spectral_bundle",
        &p60,
        "spectral_bundle",
    );
    for n in [100, 200, 500] {
        let p = problem(n);
        timed(
            &mut c,
            &format!("lambda_max_n{n}"),
            "spectral_bundle",
            &p,
            "spectral_bundle",
        );
    }
    c.final_summary();
    let m = MEDIANS.lock().expect("no poisoned lock");
    println!("\nsummary (medians of criterion's samples):");
    for (k, v) in m.iter() {
        println!("  {k:40} {v:10.4} s");
    }
    if let (Some(base), Some(sb)) = (
        m.get("lambda_max_n60/baseline_sdp"),
        m.get("lambda_max_n60/spectral_bundle"),
    ) {
        println!(
            "  n = 60: spectral_bundle is {:.1}x faster than the dense SDP path",
            base / sb
        );
    }
}
