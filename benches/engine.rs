//! Engine speed: f(z) = ‖Az − b‖² with complex A of size 2000×500 (one thread) against a
//! hand-written faer matrix–vector product plus norm, and a 4-variable problem.
//!
//! Run: `cargo bench --bench engine`. Figures are ratios against the baseline in the same run.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use num_complex::Complex64 as C64;
use std::collections::BTreeMap;
use std::sync::Arc;
use wirtinger::expr::{compile_objective, DataValue};
use wirtinger::io::array::ReadLimits;
use wirtinger::io::random::{generate, RandomKind};
use wirtinger::model::{Shape, Tensor, Ty};

fn random(shape: &[usize], seed: u64) -> Tensor {
    let raw = generate(
        RandomKind::ComplexNormal,
        shape,
        seed,
        &ReadLimits::default(),
    )
    .unwrap();
    Tensor::new(Shape::from_dims(shape).unwrap(), raw.data).unwrap()
}

fn least_squares(c: &mut Criterion) {
    let (m, n) = (2000, 500);
    let a = random(&[m, n], 1);
    let b = random(&[m], 2);
    let z: Vec<C64> = random(&[n], 3).into_data();
    let mut data = BTreeMap::new();
    data.insert(
        "A".to_string(),
        DataValue::Dense {
            value: Arc::new(a.clone()),
            real: false,
        },
    );
    data.insert(
        "b".to_string(),
        DataValue::Dense {
            value: Arc::new(b.clone()),
            real: false,
        },
    );
    let f = compile_objective(
        "norm2sq(A * z - b)",
        &[("z".into(), Ty::complex(Shape::Vector(n)))],
        &data,
    )
    .unwrap();
    let am = a.as_mat();
    let zm = faer::MatRef::from_column_major_slice(&z, n, 1);
    let mut g = c.benchmark_group("least_squares_2000x500");
    g.bench_function("baseline_faer_matvec_norm", |bench| {
        bench.iter(|| {
            let mut r = Mat::<C64>::zeros(m, 1);
            matmul(
                r.as_mut(),
                Accum::Replace,
                am,
                zm,
                C64::new(1.0, 0.0),
                Par::Seq,
            );
            let s: f64 = (0..m).map(|i| (r[(i, 0)] - b.data()[i]).norm_sqr()).sum();
            black_box(s)
        })
    });
    g.bench_function("value", |bench| {
        bench.iter(|| black_box(f.value(black_box(&z)).unwrap()))
    });
    g.bench_function("value_gradient", |bench| {
        bench.iter(|| black_box(f.value_gradient(black_box(&z)).unwrap()))
    });
    // The same without the one-pass row fusion (two separate products with A).
    let unfused = f.clone().without_row_fusion();
    g.bench_function("value_gradient_unfused", |bench| {
        bench.iter(|| black_box(unfused.value_gradient(black_box(&z)).unwrap()))
    });
    let v: Vec<C64> = random(&[n], 4).into_data();
    g.bench_function("hvp", |bench| {
        bench.iter(|| black_box(f.hvp(black_box(&z), &v).unwrap()))
    });
    g.finish();
}

fn small(c: &mut Criterion) {
    // Rosenbrock-like problem in 4 variables (two complex, two real).
    let f = compile_objective(
        "abs2(z[0] - 1) + 100 * abs2(z[1] - z[0]^2) + (x[0] - 2)^2 + x[0]^2 * x[1]^2",
        &[
            ("z".into(), Ty::complex(Shape::Vector(2))),
            ("x".into(), Ty::real(Shape::Vector(2))),
        ],
        &BTreeMap::new(),
    )
    .unwrap();
    let z = vec![
        C64::new(0.5, 0.1),
        C64::new(-0.3, 0.2),
        C64::new(1.5, 0.0),
        C64::new(0.7, 0.0),
    ];
    c.bench_function("small_4var_value_gradient", |bench| {
        bench.iter(|| black_box(f.value_gradient(black_box(&z)).unwrap()))
    });
}

criterion_group!(benches, least_squares, small);
criterion_main!(benches);
