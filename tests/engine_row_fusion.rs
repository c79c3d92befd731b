//! Value and gradient of objectives Σᵢ φᵢ((Az)ᵢ) evaluated in one pass over A (the engine's
//! row fusion) against the closed-form gradients written out by hand, on shapes with and
//! without partial SIMD registers and row groups; and the plan's limits: what must not be
//! fused (a chain that reads a sum before the last row is known) is not.

use num_complex::Complex64 as C64;
use std::collections::BTreeMap;
use std::sync::Arc;
use wirtinger::cr::{check_derivatives, Function, MATERIALIZE_ENTRIES};
use wirtinger::expr::{compile_objective, DataValue};
use wirtinger::model::{Shape, Tensor, Ty};

/// Whether the fused kernels run here (then every fusable product must be fused).
fn kernels_run() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Deterministic entries in [−1, 1] + i[−1, 1].
fn entries(len: usize, seed: u64) -> Vec<C64> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    };
    (0..len).map(|_| C64::new(next(), next())).collect()
}

struct Instance {
    m: usize,
    n: usize,
    /// A, column-major.
    a: Vec<C64>,
    b: Vec<C64>,
    y: Vec<f64>,
    z: Vec<C64>,
}

impl Instance {
    fn new(m: usize, n: usize) -> Instance {
        let seed = (m * 1000 + n) as u64;
        Instance {
            m,
            n,
            a: entries(m * n, seed),
            b: entries(m, seed + 1),
            y: entries(m, seed + 2).iter().map(|v| v.norm_sqr()).collect(),
            z: entries(n, seed + 3),
        }
    }
    fn az(&self) -> Vec<C64> {
        (0..self.m)
            .map(|i| {
                (0..self.n)
                    .map(|j| self.a[i + j * self.m] * self.z[j])
                    .sum()
            })
            .collect()
    }
    /// Aᴴ w, entry by entry.
    fn adjoint_times(&self, w: &[C64]) -> Vec<C64> {
        (0..self.n)
            .map(|j| {
                (0..self.m)
                    .map(|i| self.a[i + j * self.m].conj() * w[i])
                    .sum()
            })
            .collect()
    }
    fn compile(&self, text: &str) -> Function {
        let mut data = BTreeMap::new();
        let dense = |shape, values: Vec<C64>, real| DataValue::Dense {
            value: Arc::new(Tensor::new(shape, values).expect("sizes match")),
            real,
        };
        data.insert(
            "A".into(),
            dense(Shape::Matrix(self.m, self.n), self.a.clone(), false),
        );
        data.insert(
            "b".into(),
            dense(Shape::Vector(self.m), self.b.clone(), false),
        );
        let y = self.y.iter().map(|&v| C64::new(v, 0.0)).collect();
        data.insert("y".into(), dense(Shape::Vector(self.m), y, true));
        let vars = [("z".to_string(), Ty::complex(Shape::Vector(self.n)))];
        compile_objective(text, &vars, &data).unwrap_or_else(|e| panic!("{text}: {e}"))
    }
}

fn close(a: &[C64], b: &[C64], scale: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).norm() <= 1e-12 * scale)
}

/// Shapes: phase retrieval's bench size, and sizes with a partial register (odd n), a partial
/// group of 8 rows, several row blocks, a single row, and a single column.
const SHAPES: &[(usize, usize)] = &[(576, 128), (37, 5), (13, 9), (8, 1), (1, 3), (300, 70)];

/// Matrices above `MATERIALIZE_ENTRIES` have no stored Aᴴ: their rows are read as pieces of
/// A's own columns (one of them with odd sizes, so pieces and blocks end in partial registers).
const LARGE_SHAPES: &[(usize, usize)] = &[(1100, 480), (1031, 509)];

#[test]
fn phase_retrieval_gradient_is_the_closed_form() {
    for &(m, n) in SHAPES.iter().chain(LARGE_SHAPES) {
        assert!(SHAPES.contains(&(m, n)) == (m * n <= MATERIALIZE_ENTRIES));
        let inst = Instance::new(m, n);
        let f = inst.compile(&format!("sum((abs2(A * z) - y).^2) / {m}"));
        assert_eq!(f.fused_products(), usize::from(kernels_run()), "{m}×{n}");
        // f = (1/m) Σ (|pᵢ|² − yᵢ)², g = 2∂f/∂z̄ = (4/m) Aᴴ((|p|² − y) ⊙ p), p = Az.
        let p = inst.az();
        let d: Vec<f64> = p
            .iter()
            .zip(&inst.y)
            .map(|(v, y)| v.norm_sqr() - y)
            .collect();
        let value = d.iter().map(|v| v * v).sum::<f64>() / m as f64;
        let w: Vec<C64> = p
            .iter()
            .zip(&d)
            .map(|(v, d)| v * (4.0 * d / m as f64))
            .collect();
        let grad = inst.adjoint_times(&w);
        let scale = 1.0 + grad.iter().map(|v| v.norm()).fold(0.0, f64::max);
        for fun in [f.clone(), f.without_row_fusion()] {
            let (v, g) = fun.value_gradient(&inst.z).expect("evaluates");
            assert!(
                (v - value).abs() <= 1e-12 * (1.0 + value),
                "{m}×{n}: {v} vs {value}"
            );
            assert!(close(&g, &grad, scale), "{m}×{n}");
        }
    }
}

#[test]
fn least_squares_gradient_is_the_closed_form() {
    for &(m, n) in SHAPES.iter().chain(LARGE_SHAPES) {
        let inst = Instance::new(m, n);
        let f = inst.compile("norm2sq(A * z - b) + sum(abs2(z))");
        assert_eq!(f.fused_products(), usize::from(kernels_run()), "{m}×{n}");
        // g = 2Aᴴ(Az − b) + 2z.
        let r: Vec<C64> = inst.az().iter().zip(&inst.b).map(|(p, b)| p - b).collect();
        let value = r.iter().map(|v| v.norm_sqr()).sum::<f64>()
            + inst.z.iter().map(|v| v.norm_sqr()).sum::<f64>();
        let two_r: Vec<C64> = r.iter().map(|v| 2.0 * v).collect();
        let grad: Vec<C64> = inst
            .adjoint_times(&two_r)
            .iter()
            .zip(&inst.z)
            .map(|(g, z)| g + 2.0 * z)
            .collect();
        let (v, g) = f.value_gradient(&inst.z).expect("evaluates");
        assert!((v - value).abs() <= 1e-12 * (1.0 + value), "{m}×{n}");
        let scale = 1.0 + grad.iter().map(|v| v.norm()).fold(0.0, f64::max);
        assert!(close(&g, &grad, scale), "{m}×{n}");
    }
}

/// f = (Σ|pᵢ|²)² reads the sum in every row of its gradient, g = 4 s Aᴴp with s = Σ|pᵢ|²: the
/// sum is complete only after the last row, so nothing may be fused.
#[test]
fn chains_that_read_a_sum_are_not_fused() {
    let inst = Instance::new(37, 5);
    let f = inst.compile("sum(abs2(A * z))^2");
    assert_eq!(f.fused_products(), 0);
    let p = inst.az();
    let s: f64 = p.iter().map(|v| v.norm_sqr()).sum();
    let w: Vec<C64> = p.iter().map(|v| 4.0 * s * v).collect();
    let grad = inst.adjoint_times(&w);
    let (v, g) = f.value_gradient(&inst.z).expect("evaluates");
    assert!((v - s * s).abs() <= 1e-12 * s * s);
    let scale = grad.iter().map(|v| v.norm()).fold(0.0, f64::max);
    assert!(close(&g, &grad, scale));
}

/// Two matrices, two regions; a product inside the chain (AᴴAz) and a chain through a
/// non-entrywise function are evaluated correctly whatever the plan (finite differences).
#[test]
fn mixed_objectives_match_finite_differences() {
    let inst = Instance::new(23, 6);
    let two = inst.compile("norm2sq(A * z - b) + sum(abs2(conj(A) * z))");
    assert_eq!(two.fused_products(), 2 * usize::from(kernels_run()));
    for text in [
        "norm2sq(A * z - b) + sum(abs2(conj(A) * z))",
        "sum(abs2(A' * (A * z)))",
        "sum(abs(A * z - b)) + norm2(A * z)",
        "sum(exp(-abs2(A * z) / 4) .* y)",
    ] {
        let f = inst.compile(text);
        let rep = check_derivatives(&f, &inst.z, 5).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        assert!(rep.passed(), "{text}: {rep:?}");
        let (v, g) = f.value_gradient(&inst.z).expect("evaluates");
        let (w, h) = f
            .without_row_fusion()
            .value_gradient(&inst.z)
            .expect("evaluates");
        assert!((v - w).abs() <= 1e-12 * (1.0 + v.abs()), "{text}");
        let scale = 1.0 + h.iter().map(|v| v.norm()).fold(0.0, f64::max);
        assert!(close(&g, &h, scale), "{text}");
    }
}
