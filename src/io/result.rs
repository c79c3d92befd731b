//! The result file (contract §4), written atomically: the JSON goes to a temporary file in the
//! same directory, is flushed to disk, and is renamed over the target, so the file appears whole
//! or not at all.

use crate::model::{Problem, Shape};
use crate::solve::Report;
use num_complex::Complex64 as C64;
use serde_json::{json, Map, Value};
use std::io::Write;
use std::path::Path;

fn num(x: f64) -> Value {
    // serde_json has no NaN or infinity: they become null.
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// One part (re or im, or a real value) laid out by shape: a number, a list, or rows.
fn layout(shape: Shape, data: &[C64], part: impl Fn(&C64) -> f64) -> Value {
    match shape {
        Shape::Scalar => num(data.first().map_or(f64::NAN, &part)),
        Shape::Vector(_) => Value::Array(data.iter().map(|x| num(part(x))).collect()),
        Shape::Matrix(m, n) => Value::Array(
            (0..m)
                .map(|i| {
                    Value::Array(
                        (0..n)
                            .map(|j| num(data.get(i + j * m).map_or(f64::NAN, &part)))
                            .collect(),
                    )
                })
                .collect(),
        ),
    }
}

/// The variables of `point` (stacked as in [`Problem::initial_point`]) as the `variables`
/// object: complex as `{ "re": ..., "im": ... }`, real as plain values.
pub fn variables_json(problem: &Problem, point: &[C64]) -> Value {
    let mut vars = Map::new();
    let mut off = 0;
    for v in &problem.variables {
        let n = v.ty.shape.numel();
        let data = point.get(off..off + n).unwrap_or(&[]);
        off += n;
        let val = if v.ty.real {
            layout(v.ty.shape, data, |x| x.re)
        } else {
            json!({
                "re": layout(v.ty.shape, data, |x| x.re),
                "im": layout(v.ty.shape, data, |x| x.im),
            })
        };
        vars.insert(v.name.clone(), val);
    }
    Value::Object(vars)
}

/// The result document: the contract's fields, then `method_reason`, `message`, `tol`,
/// `max_iter`, `evaluations` and `history` ([iter, f, ‖g‖, step] rows, f in the problem's own
/// sense).
pub fn result_json(problem: &Problem, report: &Report) -> Value {
    let e = &report.evaluations;
    let mut doc = Map::new();
    doc.insert("status".into(), json!(report.status.as_str()));
    doc.insert("objective".into(), num(report.objective));
    doc.insert("iterations".into(), json!(report.iterations));
    doc.insert("method".into(), json!(report.method));
    doc.insert("variables".into(), variables_json(problem, &report.point));
    doc.insert("gradient_norm".into(), num(report.gradient_norm));
    doc.insert("time_seconds".into(), num(report.time_seconds));
    if let Some(r) = &report.method_reason {
        doc.insert("method_reason".into(), json!(r));
    }
    doc.insert("message".into(), json!(report.message));
    doc.insert("tol".into(), num(report.tol));
    doc.insert("max_iter".into(), json!(report.max_iter));
    if let Some(sdp) = &report.sdp {
        doc.insert("duality_gap".into(), num(sdp.duality_gap));
        doc.insert("verification".into(), num(sdp.verification));
        doc.insert(
            "sdp".into(),
            json!({
                "relative_gap": num(sdp.relative_gap),
                "verification_worst": sdp.verification_worst,
                "clarabel_status": sdp.clarabel_status,
                "largest_psd_block": sdp.largest_psd_block,
                "variables": sdp.conic_size.0,
                "rows": sdp.conic_size.1,
                "timings": sdp
                    .timings
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), num(*v)))
                    .collect::<Map<String, Value>>(),
            }),
        );
        if let Some(c) = &sdp.certificate {
            doc.insert("certificate".into(), c.to_json());
        }
    }
    if let Some(b) = &report.bundle {
        doc.insert("lower_bound".into(), num(b.lower_bound));
        doc.insert("upper_bound".into(), num(b.upper_bound));
        doc.insert("gap".into(), num(b.gap));
        doc.insert("relative_gap".into(), num(b.relative_gap));
        doc.insert(
            "spectral_bundle".into(),
            json!({
                "serious_steps": b.serious_steps,
                "null_steps": b.null_steps,
                "subspace_size": b.subspace_size,
                "matrix_size": b.matrix_size,
                "eigensolver": b.eigensolver,
                "timings": b
                    .timings
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), num(*v)))
                    .collect::<Map<String, Value>>(),
            }),
        );
    }
    doc.insert(
        "evaluations".into(),
        json!({
            "value": e.value, "gradient": e.gradient, "hvp": e.hvp, "hessian": e.hessian,
            "residual": e.residual, "jvp": e.jvp, "jacobian": e.jacobian,
        }),
    );
    doc.insert(
        "history".into(),
        Value::Array(
            report
                .history
                .iter()
                .map(|h| json!([h.iter, num(h.value), num(h.gradient_norm), num(h.step)]))
                .collect(),
        ),
    );
    Value::Object(doc)
}

/// Writes `value` as pretty JSON (with a final newline) to `path` atomically, see
/// [`write_atomic`].
pub fn write_json_atomic(path: &Path, value: &Value) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, flushed to disk
/// (`fsync`) and renamed over the target, so that readers see the old file or the whole new one,
/// never a part. On failure the temporary file is removed; a second Ctrl-C while it exists
/// waits for the write to end (see [`crate::solve::interrupt::while_writing`]).
///
/// ```
/// let path = std::env::temp_dir().join("wirtinger-doc-atomic.txt");
/// wirtinger::io::result::write_atomic(&path, b"whole or nothing").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"whole or nothing");
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("the output path {} names no file", path.display()),
            )
        })?;
    let tmp = dir.join(format!(".{base}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    crate::solve::interrupt::while_writing(|| {
        let r = write();
        if r.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        r
    })
}

/// Writes the result file of `report` to `path` atomically.
pub fn write_result(path: &Path, problem: &Problem, report: &Report) -> std::io::Result<()> {
    write_json_atomic(path, &result_json(problem, report))
}
