//! The dual certificate of the `sdp` method (issue 4, item 4): every identity is recomputed
//! here from the returned dual matrix Z and multipliers and the problem's own data matrices
//! (⟨Aᵢ, Z⟩ + cᵢ + multiplier terms = 0, tr Z = k, eigenvalue bounds, complementarity), not
//! taken from the module's own residuals; ranks are compared with the multiplicity of the
//! active eigenvalue (known in closed form for θ(C5) and the path chain).
#![cfg(all(feature = "faer-blas", not(feature = "system-blas")))]

mod common;

use common::{edge_laplacian, mat, rand_mat, zeros};

use faer::{Mat, Side};
use num_complex::Complex64 as C64;
use std::f64::consts::PI;
use wirtinger::eig::certificate::{AtomDual, Certificate};
use wirtinger::io::parse_problem;
use wirtinger::solve::{solve, Report, SolveOptions, Status};

const TOL: f64 = 1e-7;

fn run(text: &str) -> (Report, Certificate) {
    let p = parse_problem(text, "t.toml".as_ref()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let opts = wirtinger::solve::SolveOptions {
        method: Some("sdp".into()),
        ..SolveOptions::default()
    };
    let r = solve(&p, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, Status::Optimal, "{}", r.message);
    let c = r
        .sdp
        .as_ref()
        .and_then(|s| s.certificate.clone())
        .expect("certificate");
    assert!(c.max_residual <= TOL, "{c:#?}");
    (r, c)
}

/// Re tr(G Z) = Σ Gᵢⱼ Re Zᵢⱼ for real symmetric G (Z column-major).
fn inner_real(g: &[Vec<f64>], z: &[C64]) -> f64 {
    let n = g.len();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            s += g[i][j] * z[i + j * n].re;
        }
    }
    s
}

fn eigs(z: &[C64], n: usize) -> Vec<f64> {
    let m = Mat::from_fn(n, n, |i, j| z[i + j * n]);
    m.self_adjoint_eigenvalues(Side::Lower).unwrap()
}

fn trace(z: &[C64], n: usize) -> f64 {
    (0..n).map(|i| z[i * (n + 1)].re).sum()
}

fn single_dual(c: &Certificate) -> &AtomDual {
    assert_eq!(c.duals.len(), 1, "{c:#?}");
    &c.duals[0]
}

fn multiplier(c: &Certificate, constraint: usize) -> Vec<f64> {
    c.multipliers
        .iter()
        .find(|m| m.0 == constraint)
        .map(|m| m.1.iter().map(|v| v.re).collect())
        .expect("multiplier")
}

/// θ(C5) = √5 as min λ_max(J + Σ x_e E_e): the certificate is Z ⪰ 0, tr Z = 1, ⟨E_e, Z⟩ = 0
/// (so ⟨J, Z⟩ = θ); at the optimum the top eigenvalue √5 has multiplicity 3 (5 + 2x once,
/// 2x cos(4π/5) twice, with x = −5/(2 + 2cos(π/5))).
#[test]
fn lovasz_theta_c5_certificate() {
    let n = 5;
    let mut data = format!("J = {}\n", mat(&vec![vec![1.0; n]; n]));
    let mut terms = Vec::new();
    let mut edges = Vec::new();
    for k in 0..n {
        let mut e = zeros(n);
        e[k][(k + 1) % n] = 1.0;
        e[(k + 1) % n][k] = 1.0;
        data += &format!("E{k} = {}\n", mat(&e));
        terms.push(format!("x[{k}] * E{k}"));
        edges.push(e);
    }
    let text = format!(
        "[data]\n{data}\n[variables]\nx = {{ type = \"real\", shape = [{n}] }}\n[objective]\nminimize = \"lambda_max(J + {})\"\n",
        terms.join(" + ")
    );
    let (r, c) = run(&text);
    let d = single_dual(&c);
    let z = d.z.as_ref().unwrap();
    assert!((trace(z, n) - 1.0).abs() <= TOL);
    assert!(eigs(z, n)[0] >= -TOL);
    for e in &edges {
        assert!(
            inner_real(e, z).abs() <= TOL,
            "⟨E, Z⟩ = {}",
            inner_real(e, z)
        );
    }
    assert!((inner_real(&vec![vec![1.0; n]; n], z) - 5f64.sqrt()).abs() <= TOL);
    assert!((r.objective - 5f64.sqrt()).abs() <= TOL);
    assert_eq!(d.active_multiplicity, 3);
    assert!(d.rank >= 1 && d.rank <= 3, "rank {}", d.rank);
    assert_eq!(d.rank_bound, Some(3));
}

/// Fastest-mixing chain on P4 (SLEM cos(π/4) at w = ½): min σ_max(B − Σ w_k L_k), w ≥ 0,
/// degrees ≤ 1. With E(M) = [[0, M], [M, 0]] and the 8×8 dual Z: tr Z = 1, Z ⪰ 0 and, per edge k
/// = (i, j), ⟨−E(L_k), Z⟩ − λ(w ≥ 0)_k + λ(deg i) + λ(deg j) = 0. σ_max is attained twice
/// (eigenvalues cos(π/4) and −cos(3π/4) of P − 11ᵀ/4), so λ_max(E) has multiplicity 2.
#[test]
fn fastest_mixing_path_certificate() {
    let n = 4;
    let mut base = zeros(n);
    for (i, row) in base.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = f64::from(u8::from(i == j)) - 1.0 / n as f64;
        }
    }
    let edges: Vec<(usize, usize)> = (0..n - 1).map(|i| (i, i + 1)).collect();
    let mut data = format!("B = {}\n", mat(&base));
    let mut terms = Vec::new();
    for (k, &(i, j)) in edges.iter().enumerate() {
        data += &format!("L{k} = {}\n", mat(&edge_laplacian(n, i, j)));
        terms.push(format!("w[{k}] * L{k}"));
    }
    let mut cons = String::from("[[constraints]]\nexpr = \"w >= 0\"\n");
    for v in 0..n {
        let inc: Vec<String> = edges
            .iter()
            .enumerate()
            .filter(|(_, &(i, j))| i == v || j == v)
            .map(|(k, _)| format!("w[{k}]"))
            .collect();
        cons += &format!("[[constraints]]\nexpr = \"{} <= 1\"\n", inc.join(" + "));
    }
    let text = format!(
        "[data]\n{data}\n[variables]\nw = {{ type = \"real\", shape = [{}] }}\n[objective]\nminimize = \"sigma_max(B - ({}))\"\n\n{cons}",
        edges.len(),
        terms.join(" + ")
    );
    let (r, c) = run(&text);
    assert!((r.objective - (PI / 4.0).cos()).abs() <= TOL);
    let d = single_dual(&c);
    let z = d.z.as_ref().unwrap();
    let m = 2 * n;
    assert_eq!(d.n, m);
    assert!((trace(z, m) - 1.0).abs() <= TOL);
    assert!(eigs(z, m)[0] >= -TOL);
    let nonneg = multiplier(&c, 0);
    let deg: Vec<f64> = (0..n).map(|v| multiplier(&c, v + 1)[0]).collect();
    assert!(nonneg.iter().chain(&deg).all(|&l| l >= -TOL));
    for (k, &(i, j)) in edges.iter().enumerate() {
        let l = edge_laplacian(n, i, j);
        let mut e = zeros(m);
        for r in 0..n {
            for s in 0..n {
                e[r][n + s] = -l[r][s];
                e[n + r][s] = -l[s][r];
            }
        }
        let stat = inner_real(&e, z) - nonneg[k] + deg[i] + deg[j];
        assert!(stat.abs() <= TOL, "edge {k}: {stat}");
    }
    assert_eq!(d.active_multiplicity, 2);
    assert!(d.rank >= 1 && d.rank <= 2);
}

fn sym(n: usize, seed: u64) -> Vec<Vec<f64>> {
    let a = rand_mat(n, seed);
    (0..n)
        .map(|i| (0..n).map(|j| a[i][j] + a[j][i]).collect())
        .collect()
}

/// min over complex z of λ_max(H₀ + z B + conj(z) Bᴴ): Z Hermitian, tr Z = 1, Z ⪰ 0, and the
/// two real directions u, v of z = u + iv give ⟨B + Bᴴ, Z⟩ = 0 and ⟨i(B − Bᴴ), Z⟩ = 0, with
/// ⟨G, Z⟩ = Re tr(G Z) computed here with faer.
#[test]
fn complex_hermitian_lambda_max_certificate() {
    let n = 4;
    let (a, b) = (rand_mat(n, 3), rand_mat(n, 103));
    let h0 = Mat::from_fn(n, n, |i, j| C64::new(a[i][j] + a[j][i], b[i][j] - b[j][i]));
    let (br, bi) = (rand_mat(n, 5), rand_mat(n, 6));
    let bm = Mat::from_fn(n, n, |i, j| C64::new(br[i][j], bi[i][j]));
    let part = |m: &Mat<C64>, im: bool| -> Vec<Vec<f64>> {
        (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| if im { m[(i, j)].im } else { m[(i, j)].re })
                    .collect()
            })
            .collect()
    };
    let text = format!(
        "[data]\nH0 = {{ re = {}, im = {} }}\nB = {{ re = {}, im = {} }}\n[variables]\nz = {{ type = \"complex\", shape = [] }}\n[objective]\nminimize = \"lambda_max(H0 + z * B + conj(z) * B')\"\n",
        mat(&part(&h0, false)),
        mat(&part(&h0, true)),
        mat(&part(&bm, false)),
        mat(&part(&bm, true)),
    );
    let (r, c) = run(&text);
    let d = single_dual(&c);
    assert!(d.embedded);
    let zv = d.z.as_ref().unwrap();
    let z = Mat::from_fn(n, n, |i, j| zv[i + j * n]);
    // Hermitian, trace 1, PSD
    for i in 0..n {
        for j in 0..n {
            assert!((z[(i, j)] - z[(j, i)].conj()).norm() <= 1e-12);
        }
    }
    assert!((trace(zv, n) - 1.0).abs() <= TOL);
    assert!(eigs(zv, n)[0] >= -TOL);
    let gu = &bm + bm.adjoint();
    let gv = (&bm - bm.adjoint()) * faer::Scale(C64::new(0.0, 1.0));
    for g in [&gu, &gv] {
        let t = (g * &z).diagonal().column_vector().sum().re;
        assert!(t.abs() <= TOL, "⟨G, Z⟩ = {t}");
    }
    // complementarity: ⟨H(z*), Z⟩ = λ_max(H(z*))
    let zs = r.point[0];
    let h = &h0 + &bm * faer::Scale(zs) + bm.adjoint() * faer::Scale(zs.conj());
    let lmax = h.self_adjoint_eigenvalues(Side::Lower).unwrap()[n - 1];
    let hz = (&h * &z).diagonal().column_vector().sum().re;
    assert!((hz - lmax).abs() <= TOL * lmax.abs().max(1.0));
    assert!(d.rank <= d.rank_bound.unwrap());
}

/// min sum_largest(A₀ + Σᵢ xᵢAᵢ, 2) (Ky Fan, real 5×5, three directions): 0 ⪯ Z ⪯ I,
/// tr Z = 2, ⟨Aᵢ, Z⟩ = 0, ⟨A(x*), Z⟩ = λ₁ + λ₂ of A(x*); rank Z ≤ #{λ ≥ λ₂}.
#[test]
fn ky_fan_certificate() {
    let n = 5;
    let mats: Vec<Vec<Vec<f64>>> = (0..4).map(|k| sym(n, 40 + k)).collect();
    let mut data = String::new();
    for (k, m) in mats.iter().enumerate() {
        data += &format!("A{k} = {}\n", mat(m));
    }
    let text = format!(
        "[data]\n{data}[variables]\nx = {{ type = \"real\", shape = [3] }}\n[objective]\nminimize = \"sum_largest(A0 + x[0] * A1 + x[1] * A2 + x[2] * A3, 2)\"\n"
    );
    let (r, c) = run(&text);
    let d = single_dual(&c);
    let z = d.z.as_ref().unwrap();
    assert!((trace(z, n) - 2.0).abs() <= TOL);
    let e = eigs(z, n);
    assert!(e[0] >= -TOL && e[n - 1] <= 1.0 + TOL, "{e:?}");
    for m in &mats[1..] {
        assert!(inner_real(m, z).abs() <= TOL);
    }
    let x: Vec<f64> = r.point.iter().map(|v| v.re).collect();
    let ax: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| mats[0][i][j] + (0..3).map(|k| x[k] * mats[k + 1][i][j]).sum::<f64>())
                .collect()
        })
        .collect();
    let am = Mat::from_fn(n, n, |i, j| ax[i][j]);
    let l = am.self_adjoint_eigenvalues(Side::Lower).unwrap();
    assert!((inner_real(&ax, z) - (l[n - 1] + l[n - 2])).abs() <= TOL);
    assert!((r.objective - (l[n - 1] + l[n - 2])).abs() <= TOL);
    assert!(d.rank <= d.rank_bound.unwrap(), "{d:#?}");
    assert!(d.rank >= 2);
}

/// Maximum algebraic connectivity of P4 with constraints (maximize λ_min(J + Σ w_k L_k),
/// w ≥ 0, Σw = 1), solved as min λ_max(−J − Σ w_k L_k): per edge k,
/// ⟨−L_k, Z⟩ − λ(w ≥ 0)_k + λ(Σw = 1) = 0, tr Z = 1, Z ⪰ 0, complementarity of the
/// inequality multipliers (λ_k w_k = 0) and the value 12/(n(n² − 1)) = 0.2.
#[test]
fn constrained_algebraic_connectivity_certificate() {
    let n = 4;
    let mut data = format!("J = {}\n", mat(&vec![vec![1.0; n]; n]));
    let mut terms = Vec::new();
    let mut ls = Vec::new();
    for k in 0..n - 1 {
        let l = edge_laplacian(n, k, k + 1);
        data += &format!("L{k} = {}\n", mat(&l));
        terms.push(format!("w[{k}] * L{k}"));
        ls.push(l);
    }
    let text = format!(
        "[data]\n{data}\n[variables]\nw = {{ type = \"real\", shape = [{}] }}\n[objective]\nmaximize = \"lambda_min(J + {})\"\n[[constraints]]\nexpr = \"w >= 0\"\n[[constraints]]\nexpr = \"sum(w) == 1\"\n",
        n - 1,
        terms.join(" + ")
    );
    let (r, c) = run(&text);
    assert!((r.objective - 0.2).abs() <= TOL);
    let d = single_dual(&c);
    let z = d.z.as_ref().unwrap();
    assert!((trace(z, n) - 1.0).abs() <= TOL);
    assert!(eigs(z, n)[0] >= -TOL);
    let nonneg = multiplier(&c, 0);
    let eq = multiplier(&c, 1)[0];
    for (k, l) in ls.iter().enumerate() {
        let neg: Vec<Vec<f64>> = l.iter().map(|r| r.iter().map(|v| -v).collect()).collect();
        let stat = inner_real(&neg, z) - nonneg[k] + eq;
        assert!(stat.abs() <= TOL, "edge {k}: {stat}");
        assert!(nonneg[k] >= -TOL);
        assert!((nonneg[k] * r.point[k].re).abs() <= TOL);
    }
    assert!(d.rank <= d.rank_bound.unwrap());
}

/// The result file carries the certificate as extra fields and keeps the contract's fields.
#[test]
fn result_file_has_certificate() {
    let text = "[data]\nA0 = [[2.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.5], [0.0, 0.0, 0.5, -1.0]]\nA1 = [[1.0, 0.0, 0.0, 0.0], [0.0, -1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0]]\n[variables]\nx = { type = \"real\", shape = [1] }\n[objective]\nminimize = \"lambda_max(A0 + x[0] * A1)\"\n";
    let p = parse_problem(text, "t.toml".as_ref()).unwrap();
    let opts = SolveOptions {
        method: Some("sdp".into()),
        ..SolveOptions::default()
    };
    let r = solve(&p, &opts).unwrap();
    let doc = wirtinger::io::result::result_json(&p, &r);
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(
        &keys[..7],
        &[
            "status",
            "objective",
            "iterations",
            "method",
            "variables",
            "gradient_norm",
            "time_seconds"
        ]
    );
    let cert = &doc["certificate"];
    assert!(cert["max_residual"].as_f64().unwrap() <= TOL);
    let d = &cert["duals"][0];
    assert_eq!(d["atom"], "lambda_max in the objective");
    assert_eq!(d["size"], 4);
    let z = d["z"].as_array().unwrap();
    let tr: f64 = (0..4).map(|i| z[i][i].as_f64().unwrap()).sum();
    assert!((tr - 1.0).abs() <= TOL);
    assert!(d["rank"].as_u64().unwrap() <= d["rank_bound"].as_u64().unwrap());
    assert!(d["identities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["identity"] == "tr Z = 1"));
}

/// Complex Ky Fan through the real embedding (k → 2k, ½): min sum_largest(H₀ + zB + conj(z)Bᴴ, 2)
/// gives a Hermitian Z with tr Z = 2, 0 ⪯ Z ⪯ I and ⟨B + Bᴴ, Z⟩ = ⟨i(B − Bᴴ), Z⟩ = 0.
#[test]
fn complex_ky_fan_certificate() {
    let n = 4;
    let (a, b) = (rand_mat(n, 7), rand_mat(n, 107));
    let h0 = Mat::from_fn(n, n, |i, j| C64::new(a[i][j] + a[j][i], b[i][j] - b[j][i]));
    let (br, bi) = (rand_mat(n, 8), rand_mat(n, 9));
    let bm = Mat::from_fn(n, n, |i, j| C64::new(br[i][j], bi[i][j]));
    let part = |m: &Mat<C64>, im: bool| -> Vec<Vec<f64>> {
        (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| if im { m[(i, j)].im } else { m[(i, j)].re })
                    .collect()
            })
            .collect()
    };
    let text = format!(
        "[data]\nH0 = {{ re = {}, im = {} }}\nB = {{ re = {}, im = {} }}\n[variables]\nz = {{ type = \"complex\", shape = [] }}\n[objective]\nminimize = \"sum_largest(H0 + z * B + conj(z) * B', 2)\"\n",
        mat(&part(&h0, false)),
        mat(&part(&h0, true)),
        mat(&part(&bm, false)),
        mat(&part(&bm, true)),
    );
    let (r, c) = run(&text);
    let d = single_dual(&c);
    assert!(d.embedded);
    let zv = d.z.as_ref().unwrap();
    let z = Mat::from_fn(n, n, |i, j| zv[i + j * n]);
    assert!((trace(zv, n) - 2.0).abs() <= TOL);
    let e = eigs(zv, n);
    assert!(e[0] >= -TOL && e[n - 1] <= 1.0 + TOL, "{e:?}");
    let gu = &bm + bm.adjoint();
    let gv = (&bm - bm.adjoint()) * faer::Scale(C64::new(0.0, 1.0));
    for g in [&gu, &gv] {
        let t = (g * &z).diagonal().column_vector().sum().re;
        assert!(t.abs() <= TOL, "⟨G, Z⟩ = {t}");
    }
    let zs = r.point[0];
    let h = &h0 + &bm * faer::Scale(zs) + bm.adjoint() * faer::Scale(zs.conj());
    let l = h.self_adjoint_eigenvalues(Side::Lower).unwrap();
    let hz = (&h * &z).diagonal().column_vector().sum().re;
    assert!((hz - (l[n - 1] + l[n - 2])).abs() <= TOL);
    assert!(d.rank <= d.rank_bound.unwrap());
}

/// min norm_nuc(A₀ + x A₁) (3×4 real): Ŷ = 2Z/w − I on E = [[0, A], [Aᵀ, 0]] satisfies
/// −I ⪯ Ŷ ⪯ I, ⟨Ŷ, E(x*)⟩ = 2‖A(x*)‖_* (singular values by faer here) and stationarity
/// ½⟨E(A₁), Ŷ⟩ = 0.
#[test]
fn nuclear_norm_certificate() {
    let (m, n) = (3, 4);
    let a0 = rand_mat(4, 61);
    let a1 = rand_mat(4, 62);
    let rect =
        |a: &[Vec<f64>]| -> Vec<Vec<f64>> { a[..m].iter().map(|r| r[..n].to_vec()).collect() };
    let (a0, a1) = (rect(&a0), rect(&a1));
    let text = format!(
        "[data]\nA0 = {}\nA1 = {}\n[variables]\nx = {{ type = \"real\", shape = [1] }}\n[objective]\nminimize = \"norm_nuc(A0 + x[0] * A1)\"\n",
        mat(&a0),
        mat(&a1)
    );
    let (r, c) = run(&text);
    let d = single_dual(&c);
    let p = m + n;
    assert_eq!(d.n, p);
    let y = d.z.as_ref().unwrap();
    let e = eigs(y, p);
    assert!(e[0] >= -1.0 - TOL && e[p - 1] <= 1.0 + TOL, "{e:?}");
    let embed = |a: &[Vec<f64>]| -> Vec<Vec<f64>> {
        let mut out = zeros(p);
        for i in 0..m {
            for j in 0..n {
                out[i][m + j] = a[i][j];
                out[m + j][i] = a[i][j];
            }
        }
        out
    };
    assert!((0.5 * inner_real(&embed(&a1), y)).abs() <= TOL);
    let x = r.point[0].re;
    let ax: Vec<Vec<f64>> = (0..m)
        .map(|i| (0..n).map(|j| a0[i][j] + x * a1[i][j]).collect())
        .collect();
    let nuc: f64 = Mat::from_fn(m, n, |i, j| ax[i][j])
        .singular_values()
        .unwrap()
        .iter()
        .sum();
    assert!((inner_real(&embed(&ax), y) - 2.0 * nuc).abs() <= TOL * nuc.max(1.0));
    assert!((r.objective - nuc).abs() <= TOL * nuc.max(1.0));
}
