//! The dense Hessian pair through sparse unit tangents (src/cr/sparse.rs) against the same
//! directions carried densely (`hvp_batch` with the columns of [I, iI], which uses only the dense
//! rules), and against central finite differences of the gradient, on objectives that exercise
//! every sparse rule (products under each transposition flag, transposes, Hermitian parts,
//! diagonals, elementwise functions and powers, sums, differences, quotients) and the fallback
//! to dense rules (eigenvalues, norms, broadcasts), with complex, real and matrix variables.

use num_complex::Complex64 as C64;
use std::path::Path;
use wirtinger::cr::{Batch, Function};
use wirtinger::io::parse_problem;

/// Large enough that the tangents of n×n nodes along unit directions (2n − 1 entries) stay
/// below the dense fill threshold, so that the sparse rules run.
const N: usize = 12;

fn function(vars: &str, objective: &str) -> (Function, Vec<C64>) {
    let text = format!(
        r#"[problem]
name = "sparse-tangents"

[data]
G = {{ random = "complex_normal", shape = [{N}, {N}], seed = 1 }}
M = {{ expr = "(G + G') / 2" }}
A = {{ random = "complex_normal", shape = [9, {N}], seed = 2 }}
y = {{ random = "uniform", shape = [9], seed = 3 }}
c = {{ random = "complex_normal", shape = [{N}], seed = 4 }}

[variables]
{vars}

[objective]
minimize = "{objective}"
"#
    );
    let p = parse_problem(&text, Path::new("sparse_tangents.toml")).expect("parses");
    let f = p.function().expect("compiles");
    // A generic point (not the initial one, which may be special).
    let z: Vec<C64> = (0..f.dim())
        .map(|i| {
            let t = i as f64 + 1.0;
            C64::new((0.7 * t).sin() + 0.3, (1.3 * t).cos() - 0.2)
        })
        .collect();
    (f, z)
}

fn z_vec() -> String {
    format!(
        r#"z = {{ type = "complex", shape = [{N}], init = {{ random = "complex_normal", shape = [{N}], seed = 5 }} }}"#
    )
}

/// (H, K) from sparse unit tangents, and the same columns from dense directions.
fn both(f: &Function, z: &[C64]) -> (Batch, Batch) {
    let n = f.dim();
    let (h, k) = f.hessian(z).expect("hessian");
    let i = C64::new(0.0, 1.0);
    // Back to T₁ = H + K (directions eⱼ) and T₂ = i(H − K) (directions i·eⱼ).
    let mut sparse = Batch::zeros(n, 2 * n);
    let mut dirs = Batch::zeros(n, 2 * n);
    for c in 0..n {
        for r in 0..n {
            sparse.data[r + c * n] = h[(r, c)] + k[(r, c)];
            sparse.data[r + (n + c) * n] = i * (h[(r, c)] - k[(r, c)]);
        }
        dirs.data[c + c * n] = C64::new(1.0, 0.0);
        dirs.data[c + (n + c) * n] = i;
    }
    let dense = f.hvp_batch(z, &dirs).expect("hvp");
    (sparse, dense)
}

fn check(vars: &str, objective: &str) {
    let (f, z) = function(vars, objective);
    let (sparse, dense) = both(&f, &z);
    let scale = dense.data.iter().map(|x| x.norm()).fold(1.0, f64::max);
    for (idx, (a, b)) in sparse.data.iter().zip(&dense.data).enumerate() {
        assert!(
            (a - b).norm() <= 1e-12 * scale,
            "{objective}: entry {idx}: sparse {a} vs dense {b}"
        );
    }
    // Central differences of the gradient along each direction (step 1e-6, error O(h²)).
    let n = f.dim();
    let h = 1e-6;
    let i = C64::new(0.0, 1.0);
    for d in 0..2 * n {
        let e = if d < n { C64::new(1.0, 0.0) } else { i };
        let mut zp = z.clone();
        let mut zm = z.clone();
        zp[d % n] += e * h;
        zm[d % n] -= e * h;
        let (_, gp) = f.value_gradient(&zp).expect("gradient");
        let (_, gm) = f.value_gradient(&zm).expect("gradient");
        let real_var = f
            .vars()
            .iter()
            .any(|v| v.real && (v.offset..v.offset + v.shape.numel()).contains(&(d % n)));
        if real_var && d >= n {
            continue; // the imaginary direction of a real variable is frozen
        }
        for r in 0..n {
            let fd = (gp[r] - gm[r]) / (2.0 * h);
            let got = sparse.data[r + d * n];
            assert!(
                (fd - got).norm() <= 1e-5 * scale,
                "{objective}: direction {d}, row {r}: sparse {got} vs finite difference {fd}"
            );
        }
    }
}

#[test]
fn rank_one_fit() {
    check(&z_vec(), "norm2sq(M - z * z')");
}

#[test]
fn phase_retrieval() {
    check(&z_vec(), "sum((abs2(A * z) - y).^2) / 9");
}

#[test]
fn transposes_and_quadratic_forms() {
    check(
        &z_vec(),
        "real(z' * M * z) + abs2(transpose(z) * M * z) + norm2sq(transpose(z * transpose(z)) - M) + sum(abs2(M' * conj(z))) + norm2sq((z * transpose(z))' - M) + abs2(z[1] * z[2] - z[4]) + sum(abs2(((z * transpose(z))' - M) * c).^2)",
    );
}

#[test]
fn elementwise_functions_powers_quotients() {
    check(
        &z_vec(),
        "sum(abs2(exp(0.3 * z) .* sin(z) ./ (c .* c + 3))) + sum(real(log(abs2(z) + 1))) + norm2sq(sqrt(abs2(z) + 2) .* cos(conj(z)) - c) + sum(abs2(z).^3) / 7 + abs2(sum(z .* c))",
    );
}

#[test]
fn diagonals_traces_and_eigenvalues() {
    check(
        &z_vec(),
        "norm2sq(diag(z) * M - M * diag(conj(z))) + real(trace(diag(z) * M)) + lambda_max(M + z * z') + norm2(z - c)^2 + abs2(dot(c, z))",
    );
}

#[test]
fn real_and_matrix_variables() {
    let vars = format!(
        r#"x = {{ type = "real", shape = [3], init = [0.5, -1.0, 2.0] }}
W = {{ type = "complex", shape = [2, 2], init = {{ random = "complex_normal", shape = [2, 2], seed = 6 }} }}
z = {{ type = "complex", shape = [{N}], init = {{ random = "complex_normal", shape = [{N}], seed = 5 }} }}"#
    );
    check(
        &vars,
        "sum(x.^4) + x[0] * x[2] * real(z[1]) + norm2sq(W * W' - W[0, 1] * eye(2)) + abs2(W[1, 0] * z[2] - x[1]) + norm2sq(M - z * z')",
    );
}

/// The dense Jacobians (J, J̃) through sparse unit tangents against dense directions through
/// `LeastSquares::jvp` (dense rules only): J eⱼ + J̃ eⱼ and i(J − J̃) eⱼ.
fn check_jacobians(vars: &str, objective: &str) {
    let (f, z) = function(vars, objective);
    let ls = wirtinger::cr::LeastSquares::detect(f.graph(), f.output(), f.vars())
        .expect("a sum of squares");
    let (j, jt) = ls.jacobians(&z).expect("jacobians");
    let n = f.dim();
    let i = C64::new(0.0, 1.0);
    let mut dirs = Batch::zeros(n, 2 * n);
    for c in 0..n {
        dirs.data[c + c * n] = C64::new(1.0, 0.0);
        dirs.data[c + (n + c) * n] = i;
    }
    let dense = ls.jvp(&z, &dirs).expect("jvp");
    let m = j.nrows();
    assert!(m > 0 && dense.rows == m);
    let scale = dense.data.iter().map(|x| x.norm()).fold(1.0, f64::max);
    for c in 0..n {
        for r in 0..m {
            let t1 = j[(r, c)] + jt[(r, c)];
            let t2 = i * (j[(r, c)] - jt[(r, c)]);
            for (got, want) in [
                (t1, dense.data[r + c * m]),
                (t2, dense.data[r + (n + c) * m]),
            ] {
                assert!(
                    (got - want).norm() <= 1e-12 * scale,
                    "{objective}: ({r}, {c}): sparse {got} vs dense {want}"
                );
            }
        }
    }
}

#[test]
fn jacobians_of_residuals() {
    check_jacobians(&z_vec(), "sum((abs2(A * z) - y).^2) / 9");
    check_jacobians(&z_vec(), "norm2sq(M - z * z')");
    check_jacobians(
        &z_vec(),
        "norm2sq((z * transpose(z))' - M) + norm2sq(diag(z) * c - conj(z)) + abs2(z[1] * z[2] - 1)",
    );
}

/// A product's tangents accumulated densely (the path taken when they fill up) equal the
/// sparse accumulation, under every transposition flag of either factor, with both factors
/// moving.
#[test]
fn product_tangents_dense_equal_sparse() {
    use wirtinger::cr::sparse::{Product, SparseBatch};
    use wirtinger::cr::Trans;
    use wirtinger::model::{Shape, Tensor};
    let entry = |s: usize| {
        C64::new(
            ((s * 7919) % 23) as f64 - 11.0,
            ((s * 104_729) % 19) as f64 - 9.0,
        )
    };
    let tensor = |r: usize, c: usize, seed: usize| {
        let data = (0..r * c).map(|i| entry(i + 31 * seed)).collect();
        Tensor::new(Shape::Matrix(r, c), data).unwrap()
    };
    // Three directions per factor, with 0, 1 and 3 stored entries.
    let moving = |rows: usize, seed: usize| {
        let cols = (0..3)
            .map(|j| {
                (0..j + j / 2)
                    .map(|t| ((t * 5 + seed + j) % rows, entry(seed + 3 * t + j)))
                    .collect()
            })
            .collect();
        SparseBatch::from_columns(rows, cols)
    };
    let all = [Trans::N, Trans::T, Trans::H, Trans::C];
    // c = 1 with op(B) = B takes the matrix–vector path of `Product::dense`.
    for (ta, tb, c) in all
        .iter()
        .flat_map(|&ta| all.iter().flat_map(move |&tb| [(ta, tb, 2), (ta, tb, 1)]))
    {
        // op(A) is 4×3 and op(B) is 3×c whatever the flags.
        let a = if ta == Trans::N || ta == Trans::C {
            tensor(4, 3, 1)
        } else {
            tensor(3, 4, 1)
        };
        let b = if tb == Trans::N || tb == Trans::C {
            tensor(3, c, 2)
        } else {
            tensor(c, 3, 2)
        };
        let (da, db) = (moving(12, 3), moving(3 * c, 4));
        let p = Product {
            a: &a,
            ta,
            da: Some(&da),
            b: &b,
            tb,
            db: Some(&db),
            r: 4,
            c,
        };
        let (dense, sparse) = (p.dense(3), p.sparse(3).to_dense());
        for (x, y) in dense.data.iter().zip(&sparse.data) {
            assert!(
                (x - y).norm() <= 1e-12 * (1.0 + x.norm()),
                "{ta:?} {tb:?} c = {c}: {x} vs {y}"
            );
        }
        assert!(
            dense.data.iter().any(|x| x.norm() > 0.0),
            "{ta:?} {tb:?}: something moves"
        );
    }
}
