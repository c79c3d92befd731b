//! `wirtinger analyze FILE [--at RESULT.json]`: nonsmooth analysis of every eigenvalue atom at a
//! point (see `wirtinger::eig::nonsmooth` and docs/cli.md). Exit 0, or 2 on bad input.

use super::{reject, to_stdout};
use faer::Mat;
use num_complex::Complex64 as C64;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wirtinger::eig::nonsmooth::{
    analyze, analyze_matrix, Analysis, AtomAnalysis, GeneralAnalysis, HermitianAnalysis,
    MatrixAnalysis, Options,
};
use wirtinger::io::load_problem;
use wirtinger::model::{Problem, Shape};
use wirtinger::Diagnostic;

/// The options of `analyze`.
pub struct Args {
    /// The problem file.
    pub file: PathBuf,
    /// A result file (contract §4) whose point is analyzed; the initial point otherwise.
    pub at: Option<PathBuf>,
    /// Relative tolerance under which eigenvalues form one cluster.
    pub cluster_tol: f64,
    /// Tolerance under which a non-Hermitian eigenvalue counts as nearly defective.
    pub defect_tol: f64,
    /// Extra matrix expressions to analyze (`--matrix`).
    pub matrix: Vec<String>,
    /// Comma-separated real direction for φ′(x; d) (`--direction`).
    pub direction: Option<String>,
    /// Where to write the analysis as JSON (`--json`).
    pub json: Option<PathBuf>,
}

fn reject_msg(file: &Path, m: impl Into<String>) -> ExitCode {
    reject(&Diagnostic::new(m).for_file(file))
}

/// Reads a real number, or fails with a message naming the variable.
fn number(v: &Value, what: &str) -> Result<f64, String> {
    match v.as_f64() {
        Some(x) if x.is_finite() => Ok(x),
        Some(_) | None if v.is_null() => Err(format!("{what} is null (not a finite number)")),
        _ => Err(format!("{what} is not a number")),
    }
}

/// One part laid out by shape (number, list, or rows) into column-major data.
fn part(v: &Value, shape: Shape, what: &str) -> Result<Vec<f64>, String> {
    match shape {
        Shape::Scalar => Ok(vec![number(v, what)?]),
        Shape::Vector(n) => {
            let a = v
                .as_array()
                .ok_or_else(|| format!("{what} must be a list of {n} numbers"))?;
            if a.len() != n {
                return Err(format!("{what} has {} entries, expected {n}", a.len()));
            }
            a.iter()
                .enumerate()
                .map(|(i, x)| number(x, &format!("{what}[{i}]")))
                .collect()
        }
        Shape::Matrix(m, n) => {
            let rows = v
                .as_array()
                .filter(|r| r.len() == m)
                .ok_or_else(|| format!("{what} must be {m} rows of {n} numbers"))?;
            let mut out = vec![0.0; m * n];
            for (i, r) in rows.iter().enumerate() {
                let r = r
                    .as_array()
                    .filter(|r| r.len() == n)
                    .ok_or_else(|| format!("{what} row {i} must have {n} numbers"))?;
                for (j, x) in r.iter().enumerate() {
                    out[i + j * m] = number(x, &format!("{what}[{i}, {j}]"))?;
                }
            }
            Ok(out)
        }
    }
}

/// The point of a result file (contract §4), stacked as `Problem::initial_point`.
pub fn read_point(problem: &Problem, doc: &Value) -> Result<Vec<C64>, String> {
    let vars = doc
        .get("variables")
        .and_then(|v| v.as_object())
        .ok_or("it has no `variables` object")?;
    let mut point = Vec::with_capacity(problem.dim());
    for v in &problem.variables {
        let val = vars
            .get(&v.name)
            .ok_or_else(|| format!("it has no value for the variable `{}`", v.name))?;
        let what = format!("`{}`", v.name);
        let (re, im) = match val.as_object() {
            Some(o) => {
                let re = part(
                    o.get("re").ok_or(format!("{what} has no `re`"))?,
                    v.ty.shape,
                    &format!("{what}.re"),
                )?;
                let im = match o.get("im") {
                    Some(i) => part(i, v.ty.shape, &format!("{what}.im"))?,
                    None => vec![0.0; re.len()],
                };
                (re, im)
            }
            None => {
                let re = part(val, v.ty.shape, &what)?;
                let n = re.len();
                (re, vec![0.0; n])
            }
        };
        if v.ty.real && im.iter().any(|&x| x != 0.0) {
            return Err(format!(
                "{what} is a real variable but has a nonzero imaginary part"
            ));
        }
        point.extend(re.iter().zip(&im).map(|(&a, &b)| C64::new(a, b)));
    }
    Ok(point)
}

fn fmt_c(v: C64) -> String {
    if v.im == 0.0 {
        format!("{:.6}", v.re)
    } else {
        format!("{:.6}{:+.6}i", v.re, v.im)
    }
}

fn mat_line(m: &Mat<C64>) -> String {
    let rows: Vec<String> = (0..m.nrows())
        .map(|i| {
            let r: Vec<String> = (0..m.ncols()).map(|j| fmt_c(m[(i, j)])).collect();
            format!("[{}]", r.join(", "))
        })
        .collect();
    format!("[{}]", rows.join(", "))
}

fn num(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn mat_json(m: &Mat<C64>) -> Value {
    let part = |im: bool| {
        Value::Array(
            (0..m.nrows())
                .map(|i| {
                    Value::Array(
                        (0..m.ncols())
                            .map(|j| num(if im { m[(i, j)].im } else { m[(i, j)].re }))
                            .collect(),
                    )
                })
                .collect(),
        )
    };
    json!({ "re": part(false), "im": part(true) })
}

/// Eigenvalues grouped by cluster: `2.236068 (×3), -0.854102 (×2)`.
fn clusters_line(h: &HermitianAnalysis) -> String {
    let v: Vec<String> = h
        .clusters
        .iter()
        .map(|c| {
            if c.multiplicity() == 1 {
                format!("{:.10}", c.values[0])
            } else {
                format!("{:.10} (×{})", c.mean(), c.multiplicity())
            }
        })
        .collect();
    v.join(", ")
}

const MAX_PRINTED_COORDS: usize = 12;

fn unit(n: usize, j: usize, s: f64) -> Vec<f64> {
    let mut d = vec![0.0; n];
    d[j] = s;
    d
}

fn print_atom(out: &mut String, a: &AtomAnalysis, an: &Analysis, dir: Option<&[f64]>) {
    let at = &a.atom;
    let _ = writeln!(out, "\n{}", at.label);
    let kind = if at.function.singular() {
        "sing. values"
    } else {
        "eigenvalues"
    };
    let vals: Vec<String> = at.values.iter().map(|v| format!("{v:.10}")).collect();
    let _ = writeln!(out, "  value        {:.12}", at.value);
    let _ = writeln!(out, "  {kind:<12} {}", vals.join(", "));
    let Some(h) = &a.hermitian else {
        let _ = writeln!(out, "  note         {}", a.role);
        return;
    };
    let _ = writeln!(
        out,
        "  analyzed on  {} ({}×{}): {}",
        a.on,
        h.values.len(),
        h.values.len(),
        clusters_line(h)
    );
    let Some(c) = a.active else {
        let _ = writeln!(out, "  no eigenvalue at 0: differentiable");
        return;
    };
    let cl = &h.clusters[c];
    let spread = cl.values[0] - cl.values[cl.multiplicity() - 1];
    let _ = writeln!(
        out,
        "  active       λ{}..λ{} = {:.12} (multiplicity {}, spread {spread:.1e}): {}",
        cl.first + 1,
        cl.end(),
        cl.mean(),
        cl.multiplicity(),
        if a.smooth {
            "differentiable"
        } else {
            "NOT differentiable (an eigenvalue crossing)"
        }
    );
    let _ = writeln!(out, "  the atom takes {}", a.role);
    let ncoord = an.coordinates.len();
    let shown = ncoord.min(MAX_PRINTED_COORDS);
    if cl.multiplicity() > 1 {
        let gm = h.gradient_matrices(c);
        let _ = writeln!(
            out,
            "  generalized-gradient matrices Gⱼ = Vᴴ Mⱼ V ({k}×{k}):",
            k = cl.multiplicity()
        );
        for (name, g) in an.coordinates.iter().zip(&gm).take(shown) {
            let _ = writeln!(out, "    {name:<12} {}", mat_line(g));
        }
        if shown < ncoord {
            let _ = writeln!(out, "    … {} more in --json", ncoord - shown);
        }
    }
    let _ = writeln!(out, "  one-sided derivatives φ′(x; +eⱼ), φ′(x; −eⱼ):");
    for j in 0..shown {
        let p = a.directional_derivative(&unit(ncoord, j, 1.0));
        let m = a.directional_derivative(&unit(ncoord, j, -1.0));
        if let (Some(p), Some(m)) = (p, m) {
            let kink = if p + m > 1e-9 * (1.0 + p.abs() + m.abs()) {
                "  (kink: φ′(+) + φ′(−) > 0)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "    {:<12} {p:+.10}  {m:+.10}{kink}",
                an.coordinates[j]
            );
        }
    }
    if shown < ncoord {
        let _ = writeln!(out, "    … {} more in --json", ncoord - shown);
    }
    if let Some(d) = dir {
        if let Some(v) = a.directional_derivative(d) {
            let _ = writeln!(out, "  along --direction: φ′(x; d) = {v:+.12}");
        }
    }
}

fn print_general(out: &mut String, expr: &str, g: &GeneralAnalysis) {
    let _ = writeln!(out, "\n--matrix {expr} (not Hermitian)");
    let ev: Vec<String> = g.eigenvalues.iter().map(|&v| fmt_c(v)).collect();
    let _ = writeln!(out, "  eigenvalues  {}", ev.join(", "));
    let _ = writeln!(
        out,
        "  κ(V) of the unit eigenvectors {:.3e}; eigenvalue condition numbers {}",
        g.eigenvector_condition,
        g.eigenvalue_conditions
            .iter()
            .map(|c| format!("{c:.2e}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for w in &g.warnings {
        let _ = writeln!(out, "  warning: {w}");
    }
    if g.warnings.is_empty() {
        let _ = writeln!(out, "  no nearly defective eigenvalues");
    }
}

fn atom_json(a: &AtomAnalysis, an: &Analysis, dir: Option<&[f64]>) -> Value {
    let at = &a.atom;
    let mut o = json!({
        "atom": at.label,
        "function": at.function.name(),
        "value": num(at.value),
        if at.function.singular() { "singular_values" } else { "eigenvalues" }:
            at.values.iter().map(|&v| num(v)).collect::<Vec<_>>(),
        "analyzed_on": a.on,
        "role": a.role,
        "smooth": a.smooth,
    });
    if let Some(h) = &a.hermitian {
        let n = an.coordinates.len();
        o["clusters"] = Value::Array(
            h.clusters
                .iter()
                .map(|c| {
                    json!({
                        "first": c.first,
                        "multiplicity": c.multiplicity(),
                        "values": c.values.iter().map(|&v| num(v)).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        );
        o["active_cluster"] = json!(a.active);
        if let Some(c) = a.active {
            let gm = h.gradient_matrices(c);
            o["gradient_matrices"] = Value::Array(
                gm.iter()
                    .zip(&an.coordinates)
                    .map(|(m, name)| json!({ "coordinate": name, "matrix": mat_json(m) }))
                    .collect(),
            );
        }
        o["one_sided_derivatives"] = Value::Array(
            (0..n)
                .map(|j| {
                    json!({
                        "coordinate": an.coordinates[j],
                        "plus": num(a.directional_derivative(&unit(n, j, 1.0)).unwrap_or(f64::NAN)),
                        "minus": num(a.directional_derivative(&unit(n, j, -1.0)).unwrap_or(f64::NAN)),
                    })
                })
                .collect(),
        );
        if let Some(d) = dir {
            o["direction_derivative"] = num(a.directional_derivative(d).unwrap_or(f64::NAN));
        }
    }
    o
}

/// Runs `wirtinger analyze`: exit 0, 2 for bad input (problem, result file, options), 1 when
/// standard output cannot be written.
pub fn run(args: Args) -> ExitCode {
    let file = &args.file;
    let problem = match load_problem(file) {
        Ok(p) => p,
        Err(d) => return reject(&d),
    };
    for (name, v) in [
        ("--cluster-tol", args.cluster_tol),
        ("--defect-tol", args.defect_tol),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return reject_msg(file, format!("{name} must be a finite number ≥ 0, got {v}"));
        }
    }
    let (point, from) = match &args.at {
        None => (problem.initial_point(), "the initial point".to_string()),
        Some(r) => {
            let text = match std::fs::read_to_string(r) {
                Ok(t) => t,
                Err(e) => return reject_msg(r, format!("cannot read the result file: {e}")),
            };
            let doc: Value = match serde_json::from_str(&text) {
                Ok(d) => d,
                Err(e) => {
                    let d = Diagnostic::new(format!("the result file is not valid JSON: {e}"))
                        .in_file(r, text.as_str());
                    // serde_json counts lines by '\n' and columns in bytes; line lengths
                    // include their '\n' (and any '\r' before it).
                    let offset = text
                        .split_inclusive('\n')
                        .take(e.line().saturating_sub(1))
                        .map(str::len)
                        .sum::<usize>()
                        + e.column().saturating_sub(1);
                    return reject(&d.at(offset.min(text.len())..offset.min(text.len())));
                }
            };
            match read_point(&problem, &doc) {
                Ok(p) => (p, r.display().to_string()),
                Err(m) => {
                    return reject_msg(
                        r,
                        format!("the result file does not fit {}: {m}", file.display()),
                    )
                }
            }
        }
    };
    let opts = Options {
        cluster_tol: args.cluster_tol,
        defect_tol: args.defect_tol,
        ..Options::default()
    };
    let mut an = match analyze(&problem, &point, &opts) {
        Ok(a) => a,
        Err(e) => return reject_msg(file, format!("cannot analyze at {from}: {e}")),
    };
    if let Ok(src) = std::fs::read_to_string(file) {
        let mut spec = wirtinger::eig::spectrum::Spectrum {
            atoms: an.atoms.iter().map(|a| a.atom.clone()).collect(),
            variables: problem.variables.iter().map(|v| v.name.clone()).collect(),
        };
        spec.locate(&src);
        for (a, s) in an.atoms.iter_mut().zip(spec.atoms) {
            a.atom = s;
        }
    }
    let n = an.coordinates.len();
    let dir: Option<Vec<f64>> = match &args.direction {
        None => None,
        Some(s) => {
            let d: Result<Vec<f64>, _> = s.split(',').map(|t| t.trim().parse::<f64>()).collect();
            match d {
                Ok(d) if d.len() == n && d.iter().all(|v| v.is_finite()) => Some(d),
                Ok(d) if d.len() != n => {
                    return reject_msg(
                        file,
                        format!(
                        "--direction has {} numbers but the problem has {n} real coordinates ({})",
                        d.len(),
                        an.coordinates.join(", ")
                    ),
                    )
                }
                _ => {
                    return reject_msg(
                        file,
                        format!("--direction must be {n} comma-separated finite numbers"),
                    )
                }
            }
        }
    };
    let mut matrices = Vec::new();
    for e in &args.matrix {
        match analyze_matrix(&problem, &point, e, &opts) {
            Ok(m) => matrices.push((e.clone(), m)),
            Err(wirtinger::Error::Input(d)) => return reject(&d.for_file(file)),
            Err(err) => return reject_msg(file, err.to_string()),
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "analysis of {} at {from}", file.display());
    let _ = writeln!(
        out,
        "real coordinates: {n}; cluster tolerance {:.0e}·max(1, max|λ|)",
        opts.cluster_tol
    );
    if an.atoms.is_empty() && matrices.is_empty() {
        let _ = writeln!(
            out,
            "no eigenvalue or singular-value function in the problem (use --matrix EXPR to analyze a matrix)"
        );
    }
    for a in &an.atoms {
        print_atom(&mut out, a, &an, dir.as_deref());
    }
    for (e, m) in &matrices {
        match m {
            MatrixAnalysis::Hermitian(h) => {
                let _ = writeln!(out, "\n--matrix {e} (Hermitian)");
                let _ = writeln!(out, "  eigenvalues  {}", clusters_line(h));
                for cl in &h.clusters {
                    if cl.multiplicity() > 1 {
                        let _ = writeln!(
                            out,
                            "  cluster λ{}..λ{} (multiplicity {}): Gⱼ = Vᴴ Mⱼ V in --json",
                            cl.first + 1,
                            cl.end(),
                            cl.multiplicity()
                        );
                    }
                }
            }
            MatrixAnalysis::General(g) => print_general(&mut out, e, g),
        }
    }
    if !to_stdout(&out) {
        return ExitCode::FAILURE;
    }
    if let Some(path) = &args.json {
        let mats: Vec<Value> = matrices
            .iter()
            .map(|(e, m)| match m {
                MatrixAnalysis::Hermitian(h) => json!({
                    "matrix": e,
                    "hermitian": true,
                    "eigenvalues": h.values.iter().map(|&v| num(v)).collect::<Vec<_>>(),
                    "clusters": h.clusters.iter().enumerate().map(|(c, cl)| json!({
                        "first": cl.first,
                        "multiplicity": cl.multiplicity(),
                        "values": cl.values.iter().map(|&v| num(v)).collect::<Vec<_>>(),
                        "gradient_matrices": if cl.multiplicity() > 1 {
                            Value::Array(h.gradient_matrices(c).iter().zip(&an.coordinates)
                                .map(|(m, name)| json!({"coordinate": name, "matrix": mat_json(m)}))
                                .collect())
                        } else { Value::Null },
                    })).collect::<Vec<_>>(),
                }),
                MatrixAnalysis::General(g) => json!({
                    "matrix": e,
                    "hermitian": false,
                    "eigenvalues": g.eigenvalues.iter().map(|v| json!({"re": num(v.re), "im": num(v.im)})).collect::<Vec<_>>(),
                    "eigenvector_condition": num(g.eigenvector_condition),
                    "eigenvalue_conditions": g.eigenvalue_conditions.iter().map(|&v| num(v)).collect::<Vec<_>>(),
                    "clusters": g.clusters.iter().map(|(idx, s)| json!({"indices": idx, "smallest_singular_value": num(*s)})).collect::<Vec<_>>(),
                    "warnings": g.warnings,
                }),
            })
            .collect();
        let doc = json!({
            "problem": file.display().to_string(),
            "point": from,
            "cluster_tol": opts.cluster_tol,
            "defect_tol": opts.defect_tol,
            "nonhermitian_cluster_tol": opts.nonhermitian_cluster_tol,
            "coordinates": an.coordinates,
            "x": an.x.iter().map(|&v| num(v)).collect::<Vec<_>>(),
            "atoms": an.atoms.iter().map(|a| atom_json(a, &an, dir.as_deref())).collect::<Vec<_>>(),
            "matrices": mats,
        });
        if let Err(e) = wirtinger::io::result::write_json_atomic(path, &doc) {
            return reject_msg(path, format!("cannot write the analysis: {e}"));
        }
    }
    ExitCode::SUCCESS
}
