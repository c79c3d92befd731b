//! The problem-file loader against contract §1 (`/work/shared/problem-format.md`): every value
//! form, in data entries and in `init`, loaded through `wirtinger::io::load_problem` /
//! `parse_problem` and checked number by number; every rejection checked for its message and for
//! the line and column it points at. Fixture files (.npy, .mtx) are written into a fresh temporary
//! directory by each test.

use npyz::WriterBuilder;
use num_complex::Complex64 as C64;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use wirtinger::expr::DataValue;
use wirtinger::io::array::ReadLimits;
use wirtinger::io::random::{generate, RandomKind};
use wirtinger::io::{load_problem, parse_problem};
use wirtinger::model::{Problem, Sense, Shape, SolverSettings, Tensor};
use wirtinger::Diagnostic;

fn c(re: f64, im: f64) -> C64 {
    C64::new(re, im)
}

fn r(x: f64) -> C64 {
    C64::new(x, 0.0)
}

// ---------- temporary directories and fixture writers ----------

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!(
            "wirtinger-problem-files-{}-{tag}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// The path of `name` inside the directory, creating its parent directories.
    fn file(&self, name: &str) -> PathBuf {
        let p = self.0.join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        p
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.file(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Writes `problem.toml` into the directory and loads it from there.
    fn load(&self, toml: &str) -> Result<Problem, Diagnostic> {
        let p = self.write("problem.toml", toml);
        load_problem(&p)
    }

    fn npy<T: npyz::AutoSerialize>(
        &self,
        name: &str,
        shape: &[usize],
        fortran: bool,
        value: impl Fn(&[usize]) -> T,
    ) {
        write_npy(&self.file(name), shape, fortran, value);
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes `value(index)` for every multi-index of `shape` into a .npy file with npyz, the data in
/// C order (last index fastest) or Fortran order (first index fastest), the header saying which.
fn write_npy<T: npyz::AutoSerialize>(
    path: &Path,
    shape: &[usize],
    fortran: bool,
    value: impl Fn(&[usize]) -> T,
) {
    let total: usize = shape.iter().product();
    let mut items = Vec::with_capacity(total);
    let mut idx = vec![0usize; shape.len()];
    for lin in 0..total {
        let mut rest = lin;
        if fortran {
            for a in 0..shape.len() {
                idx[a] = rest % shape[a];
                rest /= shape[a];
            }
        } else {
            for a in (0..shape.len()).rev() {
                idx[a] = rest % shape[a];
                rest /= shape[a];
            }
        }
        items.push(value(&idx));
    }
    let dims: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
    let order = if fortran {
        npyz::Order::Fortran
    } else {
        npyz::Order::C
    };
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut w = npyz::WriteOptions::<T>::new()
        .default_dtype()
        .shape(&dims)
        .order(order)
        .writer(file)
        .begin_nd()
        .unwrap();
    w.extend(items).unwrap();
    w.finish().unwrap();
}

// ---------- loading and inspecting ----------

fn parse(text: &str) -> Result<Problem, Diagnostic> {
    parse_problem(text, Path::new("test.toml"))
}

fn ok(r: Result<Problem, Diagnostic>) -> Problem {
    r.unwrap_or_else(|d| panic!("rejected, but must load:\n{}", d.render()))
}

fn err(r: Result<Problem, Diagnostic>) -> Diagnostic {
    match r {
        Ok(_) => panic!("accepted, but must be rejected"),
        Err(d) => d,
    }
}

fn dense<'a>(p: &'a Problem, name: &str) -> (&'a Tensor, bool) {
    match p.data.get(name) {
        Some(DataValue::Dense { value, real }) => (value, *real),
        Some(DataValue::Stack { .. } | DataValue::SparseStack(_)) => {
            panic!("data entry `{name}` is a stack")
        }
        None => panic!("no data entry `{name}`"),
    }
}

/// The matrices of a stack (a sparse stack densified).
fn stack(p: &Problem, name: &str) -> (Vec<Tensor>, bool) {
    match p.data.get(name) {
        Some(DataValue::Stack { items, real }) => (items.to_vec(), *real),
        Some(DataValue::SparseStack(s)) => (s.to_dense(), s.is_real()),
        Some(DataValue::Dense { .. }) => panic!("data entry `{name}` is not a stack"),
        None => panic!("no data entry `{name}`"),
    }
}

fn init<'a>(p: &'a Problem, name: &str) -> Option<&'a Tensor> {
    p.variables
        .iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no variable `{name}`"))
        .init
        .as_ref()
}

/// 1-based (line, column in characters) of byte `k` of `needle` in `text`; `needle` must occur
/// exactly once, so that the expected position is unambiguous.
fn at_off(text: &str, needle: &str, k: usize) -> (usize, usize) {
    assert_eq!(
        text.matches(needle).count(),
        1,
        "`{needle}` must occur exactly once in the fixture"
    );
    let off = text.find(needle).unwrap() + k;
    let before = &text[..off];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (line, col)
}

fn at(text: &str, needle: &str) -> (usize, usize) {
    at_off(text, needle, 0)
}

/// Checks a rejection's message and where it points.
fn check(d: &Diagnostic, message: &str, pos: (usize, usize)) {
    assert_eq!(d.message, message, "wrong message:\n{}", d.render());
    assert_eq!(d.line_col(), Some(pos), "wrong position:\n{}", d.render());
    let rendered = d.render();
    let head = format!(":{}:{}: {message}", pos.0, pos.1);
    assert!(
        rendered.lines().next().unwrap().ends_with(&head),
        "{rendered}"
    );
}

fn check_note(d: &Diagnostic, note: &str) {
    assert_eq!(d.note.as_deref(), Some(note), "wrong note:\n{}", d.render());
}

/// Checks a matrix given by rows: shape, `get(i, j)` and column-major storage.
fn assert_matrix(t: &Tensor, rows: &[Vec<C64>], what: &str) {
    let (m, n) = (rows.len(), rows[0].len());
    assert_eq!(t.shape(), Shape::Matrix(m, n), "{what}: shape");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), n);
        for (j, &x) in row.iter().enumerate() {
            assert_eq!(t.get(i, j), x, "{what}: entry ({i}, {j})");
        }
    }
    let col_major: Vec<C64> = (0..n)
        .flat_map(|j| rows.iter().map(move |row| row[j]))
        .collect();
    assert_eq!(t.data(), &col_major[..], "{what}: column-major storage");
}

fn real_rows(rows: &[&[f64]]) -> Vec<Vec<C64>> {
    rows.iter()
        .map(|row| row.iter().map(|&x| r(x)).collect())
        .collect()
}

fn assert_close(a: &[C64], b: &[C64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).norm() <= tol, "{what}: entry {k}: {x} vs {y}");
    }
}

// ---------- inline values ----------

#[test]
fn inline_real_scalar_vector_matrix() {
    let p = ok(parse(
        r#"
[variables]
z = { shape = [2] }
[data]
c = 2.5
k = -3
v = [1.0, 2, -3.5]
R = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
col = [[1.5], [-2.5]]
[objective]
minimize = "norm2sq(z)"
"#,
    ));
    let (t, real) = dense(&p, "c");
    assert!(real);
    assert_eq!(t.shape(), Shape::Scalar);
    assert_eq!(t.data(), &[r(2.5)]);
    let (t, real) = dense(&p, "k");
    assert!(real);
    assert_eq!(t.shape(), Shape::Scalar);
    assert_eq!(t.data(), &[r(-3.0)]);
    let (t, real) = dense(&p, "v");
    assert!(real);
    assert_eq!(t.shape(), Shape::Vector(3));
    assert_eq!(t.data(), &[r(1.0), r(2.0), r(-3.5)]);
    let (t, real) = dense(&p, "R");
    assert!(real);
    assert_matrix(t, &real_rows(&[&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]]), "R");
    assert_eq!(t.get(0, 2), r(3.0));
    assert_eq!(t.get(1, 0), r(4.0));
    assert_eq!(t.data()[1], r(4.0), "rows become column-major storage");
    let (t, _) = dense(&p, "col");
    assert_matrix(t, &real_rows(&[&[1.5], &[-2.5]]), "col");
}

#[test]
fn inline_complex_values_of_each_shape() {
    let p = ok(parse(
        r#"
[variables]
z = { shape = [2] }
[data]
s = { re = 1.5, im = -2.0 }
v = { re = [1.0, 2.0], im = [0.5, 0.0] }
M = { re = [[1, 2], [3, 4], [5, 6]], im = [[-1, 0], [0, 1], [2, 3]] }
s0 = { re = 4 }
v0 = { re = [1.0, 2.0] }
M0 = { re = [[1, 2], [3, 4]] }
[objective]
minimize = "norm2sq(z)"
"#,
    ));
    let (t, real) = dense(&p, "s");
    assert!(!real);
    assert_eq!(t.shape(), Shape::Scalar);
    assert_eq!(t.data(), &[c(1.5, -2.0)]);
    let (t, real) = dense(&p, "v");
    assert!(!real);
    assert_eq!(t.shape(), Shape::Vector(2));
    assert_eq!(t.data(), &[c(1.0, 0.5), c(2.0, 0.0)]);
    let (t, real) = dense(&p, "M");
    assert!(!real);
    assert_matrix(
        t,
        &[
            vec![c(1.0, -1.0), c(2.0, 0.0)],
            vec![c(3.0, 0.0), c(4.0, 1.0)],
            vec![c(5.0, 2.0), c(6.0, 3.0)],
        ],
        "M",
    );
    // `im` omitted: zero imaginary parts (the value is still a `{ re, im }` complex value).
    let (t, _) = dense(&p, "s0");
    assert_eq!(t.shape(), Shape::Scalar);
    assert_eq!(t.data(), &[r(4.0)]);
    let (t, _) = dense(&p, "v0");
    assert_eq!(t.shape(), Shape::Vector(2));
    assert_eq!(t.data(), &[r(1.0), r(2.0)]);
    let (t, _) = dense(&p, "M0");
    assert_matrix(t, &real_rows(&[&[1.0, 2.0], &[3.0, 4.0]]), "M0");
}

#[test]
fn inline_value_rejections() {
    let head = "[variables]\nz = { shape = [2] }\n[objective]\nminimize = \"norm2sq(z)\"\n[data]\n";

    let text = format!("{head}b = {{ re = [1.0, 2.0], im = [0.5] }}\n");
    let d = err(parse(&text));
    check(
        &d,
        "`im` has shape [1] but `re` has shape [2]",
        at(&text, "[0.5]"),
    );

    let text = format!("{head}b = {{ re = [[1, 2], [3, 4]], im = [[1, 2]] }}\n");
    let d = err(parse(&text));
    check(
        &d,
        "`im` has shape [1, 2] but `re` has shape [2, 2]",
        at(&text, "[[1, 2]] }"),
    );

    let text = format!("{head}b = {{ im = [0.5] }}\n");
    let d = err(parse(&text));
    check(
        &d,
        "data entry `b`: a complex value needs `re` (and optionally `im`)",
        at(&text, "{ im"),
    );

    let text = format!("{head}R = [[1.0, 2.0], [3.0]]\n");
    let d = err(parse(&text));
    check(
        &d,
        "row 1 has 1 entries but row 0 has 2",
        at(&text, "[3.0]"),
    );

    let text = format!("{head}v = [1.0, \"two\"]\n");
    let d = err(parse(&text));
    check(&d, "expected a number", at(&text, "\"two\""));

    let text = format!("{head}v = \"1.0\"\n");
    let d = err(parse(&text));
    check(
        &d,
        "expected a number, an array of numbers or an array of rows",
        at(&text, "\"1.0\""),
    );

    let text = format!("{head}v = nan\n");
    let d = err(parse(&text));
    check(&d, "non-finite value NaN in data", at(&text, "nan"));

    let text = format!("{head}A = {{ fil = \"A.npy\" }}\n");
    let d = err(parse(&text));
    check(&d, "data entry `A`: unrecognized value", at(&text, "{ fil"));
}

// ---------- .npy files ----------

/// Value of entry `idx` of the .npy fixtures: distinct in every position and part.
fn npy_val(idx: &[usize]) -> C64 {
    let w = [100.0, 10.0, 1.0];
    let k = 3 - idx.len();
    let re: f64 = idx
        .iter()
        .enumerate()
        .map(|(a, &i)| w[k + a] * i as f64)
        .sum();
    let im: f64 = idx
        .iter()
        .enumerate()
        .map(|(a, &i)| (a as f64 + 2.0) * i as f64)
        .sum();
    c(re + 1.0, im - 0.5)
}

#[test]
fn npy_float64_and_complex128_in_both_orders_0d_1d_2d() {
    let dir = TempDir::new("npy");
    for fortran in [false, true] {
        let o = if fortran { "f" } else { "c" };
        for (nd, shape) in [(0, &[][..]), (1, &[4][..]), (2, &[2, 3][..])] {
            dir.npy(&format!("r{nd}{o}.npy"), shape, fortran, |i| npy_val(i).re);
            dir.npy(&format!("c{nd}{o}.npy"), shape, fortran, npy_val);
        }
    }
    let mut toml = String::from(
        "[variables]\nz = { shape = [2] }\n[objective]\nminimize = \"norm2sq(z)\"\n[data]\n",
    );
    for o in ["c", "f"] {
        for nd in 0..3 {
            for kind in ["r", "c"] {
                toml.push_str(&format!(
                    "{kind}{nd}{o} = {{ file = \"{kind}{nd}{o}.npy\" }}\n"
                ));
            }
        }
    }
    let p = ok(dir.load(&toml));
    for o in ["c", "f"] {
        for kind in ["r", "c"] {
            let real = kind == "r";
            let val = |idx: &[usize]| {
                let v = npy_val(idx);
                if real {
                    r(v.re)
                } else {
                    v
                }
            };
            let (t, is_real) = dense(&p, &format!("{kind}0{o}"));
            assert_eq!(is_real, real);
            assert_eq!(t.shape(), Shape::Scalar);
            assert_eq!(t.data(), &[val(&[])]);

            let (t, is_real) = dense(&p, &format!("{kind}1{o}"));
            assert_eq!(is_real, real);
            assert_eq!(t.shape(), Shape::Vector(4));
            let want: Vec<C64> = (0..4).map(|i| val(&[i])).collect();
            assert_eq!(t.data(), &want[..]);

            let (t, is_real) = dense(&p, &format!("{kind}2{o}"));
            assert_eq!(is_real, real);
            let rows: Vec<Vec<C64>> = (0..2)
                .map(|i| (0..3).map(|j| val(&[i, j])).collect())
                .collect();
            assert_matrix(t, &rows, &format!("{kind}2{o}"));
        }
    }
}

#[test]
fn npy_three_d_is_a_stack_for_lincomb_and_indexing() {
    let dir = TempDir::new("npy3");
    // k = 3 matrices of 2×3, all dimensions distinct so that any axis mix-up shows.
    dir.npy("Sc.npy", &[3, 2, 3], false, npy_val);
    dir.npy("Sf.npy", &[3, 2, 3], true, npy_val);
    dir.npy("Rc.npy", &[3, 2, 3], false, |i| npy_val(i).re);
    dir.npy("Rf.npy", &[3, 2, 3], true, |i| npy_val(i).re);
    let toml = r#"
[variables]
x = { type = "real", shape = [3], init = [1, 2, -1] }
[data]
Sc = { file = "Sc.npy" }
Sf = { file = "Sf.npy" }
Rc = { file = "Rc.npy" }
Rf = { file = "Rf.npy" }
w = [1, 0, 2]
T = { expr = "Sf[2]" }
L = { expr = "lincomb(w, Rc)" }
[objective]
minimize = "norm2sq(lincomb(x, Sc) - Sc[1]) + norm2sq(lincomb(x, Rf) - Rf[2])"
"#;
    let p = ok(dir.load(toml));
    for name in ["Sc", "Sf", "Rc", "Rf"] {
        let (items, real) = stack(&p, name);
        let want_real = name.starts_with('R');
        assert_eq!(real, want_real, "{name}");
        assert_eq!(items.len(), 3, "{name}");
        for (s, t) in items.iter().enumerate() {
            let rows: Vec<Vec<C64>> = (0..2)
                .map(|i| {
                    (0..3)
                        .map(|j| {
                            let v = npy_val(&[s, i, j]);
                            if want_real {
                                r(v.re)
                            } else {
                                v
                            }
                        })
                        .collect()
                })
                .collect();
            assert_matrix(t, &rows, &format!("{name}[{s}]"));
        }
    }
    let (t, real) = dense(&p, "T");
    assert!(!real);
    assert_eq!(t, &stack(&p, "Sf").0[2]);
    let (t, real) = dense(&p, "L");
    assert!(real);
    let rc = stack(&p, "Rc").0;
    let want: Vec<C64> = (0..6)
        .map(|e| rc[0].data()[e] + rc[2].data()[e] * 2.0)
        .collect();
    assert_eq!(t.shape(), Shape::Matrix(2, 3));
    assert_eq!(t.data(), &want[..]);

    // The objective at the initial point x = [1, 2, -1], computed here entry by entry.
    let x = [1.0, 2.0, -1.0];
    let mut want = 0.0;
    for i in 0..2 {
        for j in 0..3 {
            let s: C64 = (0..3).map(|k| npy_val(&[k, i, j]) * x[k]).sum();
            want += (s - npy_val(&[1, i, j])).norm_sqr();
            let s: f64 = (0..3).map(|k| npy_val(&[k, i, j]).re * x[k]).sum();
            want += (s - npy_val(&[2, i, j]).re).powi(2);
        }
    }
    let z = p.initial_point();
    assert_eq!(z, vec![r(1.0), r(2.0), r(-1.0)]);
    let f = p.function().unwrap();
    let got = f.value(&z).unwrap();
    assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
}

#[test]
fn npy_rejections() {
    let dir = TempDir::new("npybad");
    dir.npy("S.npy", &[2, 2, 2], false, |i| npy_val(i).re);
    let text = r#"[variables]
x = { shape = [2, 2], init = { file = "S.npy" } }
[objective]
minimize = "norm2sq(x)"
"#;
    let d = err(dir.load(text));
    check(
        &d,
        "`S.npy` holds a 3-D array (a stack of matrices), which is not a value here",
        at(text, "\"S.npy\""),
    );

    let text = r#"[variables]
x = { shape = [2] }
[data]
A = { file = "missing.npy" }
[objective]
minimize = "norm2sq(x)"
"#;
    let d = err(dir.load(text));
    assert!(
        d.message.starts_with("cannot read `missing.npy`"),
        "{}",
        d.render()
    );
    assert_eq!(d.line_col(), Some(at(text, "\"missing.npy\"")));

    let text = r#"[variables]
x = { shape = [2] }
[data]
A = { file = "A.csv" }
[objective]
minimize = "norm2sq(x)"
"#;
    let d = err(dir.load(text));
    check(&d, "`A.csv`: unsupported file type", at(text, "\"A.csv\""));
}

// ---------- Matrix Market files ----------

struct MtxCase {
    name: &'static str,
    text: &'static str,
    rows: Vec<Vec<C64>>,
    real: bool,
}

fn mtx_cases() -> Vec<MtxCase> {
    let z = r(0.0);
    vec![
        // ----- coordinate -----
        MtxCase {
            name: "co_real_general",
            text: "%%MatrixMarket matrix coordinate real general\n% a comment\n\n2 3 4\n1 1 1.5\n2 3 -2\n1 3 4e0\n2 3 0.5\n",
            // the duplicate (2, 3) entries are summed
            rows: real_rows(&[&[1.5, 0.0, 4.0], &[0.0, 0.0, -1.5]]),
            real: true,
        },
        MtxCase {
            name: "co_real_symmetric",
            text: "%%MatrixMarket matrix coordinate real symmetric\n3 3 5\n1 1 1\n2 1 2\n3 1 3\n3 2 -4\n3 3 5\n",
            rows: real_rows(&[&[1.0, 2.0, 3.0], &[2.0, 0.0, -4.0], &[3.0, -4.0, 5.0]]),
            real: true,
        },
        MtxCase {
            name: "co_real_skew",
            text: "%%MatrixMarket matrix coordinate real skew-symmetric\n3 3 3\n2 1 2\n3 2 -1\n3 1 0.5\n",
            rows: real_rows(&[&[0.0, -2.0, -0.5], &[2.0, 0.0, 1.0], &[0.5, -1.0, 0.0]]),
            real: true,
        },
        MtxCase {
            name: "co_complex_general",
            text: "%%MatrixMarket matrix coordinate complex general\n2 2 3\n1 2 1 2\n2 1 -3 0.5\n2 2 0 -1\n",
            rows: vec![vec![z, c(1.0, 2.0)], vec![c(-3.0, 0.5), c(0.0, -1.0)]],
            real: false,
        },
        MtxCase {
            name: "co_complex_symmetric",
            text: "%%MatrixMarket matrix coordinate complex symmetric\n2 2 2\n1 1 1 1\n2 1 2 -3\n",
            rows: vec![vec![c(1.0, 1.0), c(2.0, -3.0)], vec![c(2.0, -3.0), z]],
            real: false,
        },
        MtxCase {
            name: "co_complex_hermitian",
            text: "%%MatrixMarket matrix coordinate complex hermitian\n3 3 4\n1 1 2 0\n2 1 1 2\n3 2 0 -1\n3 3 -1 0\n",
            rows: vec![
                vec![r(2.0), c(1.0, -2.0), z],
                vec![c(1.0, 2.0), z, c(0.0, 1.0)],
                vec![z, c(0.0, -1.0), r(-1.0)],
            ],
            real: false,
        },
        MtxCase {
            name: "co_complex_skew",
            text: "%%MatrixMarket matrix coordinate complex skew-symmetric\n2 2 1\n2 1 1 2\n",
            rows: vec![vec![z, c(-1.0, -2.0)], vec![c(1.0, 2.0), z]],
            real: false,
        },
        MtxCase {
            name: "co_integer_general",
            text: "%%MatrixMarket matrix coordinate integer general\n2 2 3\n1 1 3\n2 2 -7\n1 2 2\n",
            rows: real_rows(&[&[3.0, 2.0], &[0.0, -7.0]]),
            real: true,
        },
        MtxCase {
            name: "co_integer_symmetric",
            text: "%%MatrixMarket matrix coordinate integer symmetric\n2 2 2\n2 1 4\n2 2 1\n",
            rows: real_rows(&[&[0.0, 4.0], &[4.0, 1.0]]),
            real: true,
        },
        MtxCase {
            name: "co_integer_skew",
            text: "%%MatrixMarket matrix coordinate integer skew-symmetric\n3 3 1\n3 1 5\n",
            rows: real_rows(&[&[0.0, 0.0, -5.0], &[0.0, 0.0, 0.0], &[5.0, 0.0, 0.0]]),
            real: true,
        },
        MtxCase {
            name: "co_pattern_general",
            text: "%%MatrixMarket matrix coordinate pattern general\n2 3 3\n1 2\n2 3\n2 1\n",
            rows: real_rows(&[&[0.0, 1.0, 0.0], &[1.0, 0.0, 1.0]]),
            real: true,
        },
        MtxCase {
            name: "co_pattern_symmetric",
            text: "%%MatrixMarket matrix coordinate pattern symmetric\n3 3 2\n1 1\n3 2\n",
            rows: real_rows(&[&[1.0, 0.0, 0.0], &[0.0, 0.0, 1.0], &[0.0, 1.0, 0.0]]),
            real: true,
        },
        // ----- array (column-major; symmetric kinds store the lower triangle column by column) -----
        MtxCase {
            name: "ar_real_general",
            text: "%%MatrixMarket matrix array real general\n% comment\n2 3\n1\n4\n2\n5\n3\n6\n",
            rows: real_rows(&[&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]]),
            real: true,
        },
        MtxCase {
            name: "ar_real_symmetric",
            text: "%%MatrixMarket matrix array real symmetric\n3 3\n1\n2\n3\n4\n5\n6\n",
            rows: real_rows(&[&[1.0, 2.0, 3.0], &[2.0, 4.0, 5.0], &[3.0, 5.0, 6.0]]),
            real: true,
        },
        MtxCase {
            name: "ar_real_skew",
            text: "%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n3\n",
            rows: real_rows(&[&[0.0, -1.0, -2.0], &[1.0, 0.0, -3.0], &[2.0, 3.0, 0.0]]),
            real: true,
        },
        MtxCase {
            name: "ar_complex_general",
            text: "%%MatrixMarket matrix array complex general\n2 2\n1 1\n2 -1\n0 3\n-4 0\n",
            rows: vec![vec![c(1.0, 1.0), c(0.0, 3.0)], vec![c(2.0, -1.0), r(-4.0)]],
            real: false,
        },
        MtxCase {
            name: "ar_complex_symmetric",
            text: "%%MatrixMarket matrix array complex symmetric\n2 2\n1 0\n2 3\n0 -1\n",
            rows: vec![vec![r(1.0), c(2.0, 3.0)], vec![c(2.0, 3.0), c(0.0, -1.0)]],
            real: false,
        },
        MtxCase {
            name: "ar_complex_hermitian",
            text: "%%MatrixMarket matrix array complex hermitian\n2 2\n1 0\n2 3\n5 0\n",
            rows: vec![vec![r(1.0), c(2.0, -3.0)], vec![c(2.0, 3.0), r(5.0)]],
            real: false,
        },
        MtxCase {
            name: "ar_complex_skew",
            text: "%%MatrixMarket matrix array complex skew-symmetric\n3 3\n1 1\n0 2\n-1 0\n",
            rows: vec![
                vec![z, c(-1.0, -1.0), c(0.0, -2.0)],
                vec![c(1.0, 1.0), z, r(1.0)],
                vec![c(0.0, 2.0), r(-1.0), z],
            ],
            real: false,
        },
        MtxCase {
            name: "ar_integer_general",
            text: "%%MatrixMarket matrix array integer general\n2 2\n1\n2\n3\n4\n",
            rows: real_rows(&[&[1.0, 3.0], &[2.0, 4.0]]),
            real: true,
        },
        MtxCase {
            name: "ar_integer_symmetric",
            text: "%%MatrixMarket matrix array integer symmetric\n2 2\n7\n8\n9\n",
            rows: real_rows(&[&[7.0, 8.0], &[8.0, 9.0]]),
            real: true,
        },
        MtxCase {
            name: "ar_integer_skew",
            text: "%%MatrixMarket matrix array integer skew-symmetric\n2 2\n6\n",
            rows: real_rows(&[&[0.0, -6.0], &[6.0, 0.0]]),
            real: true,
        },
    ]
}

#[test]
fn mtx_every_field_symmetry_and_format() {
    let dir = TempDir::new("mtx");
    let cases = mtx_cases();
    let mut toml = String::from(
        "[variables]\nz = { shape = [2] }\n[objective]\nminimize = \"norm2sq(z)\"\n[data]\n",
    );
    for case in &cases {
        dir.write(&format!("{}.mtx", case.name), case.text);
        toml.push_str(&format!("{0} = {{ file = \"{0}.mtx\" }}\n", case.name));
    }
    let p = ok(dir.load(&toml));
    for case in &cases {
        let (t, real) = dense(&p, case.name);
        assert_eq!(real, case.real, "{}: real flag", case.name);
        assert_matrix(t, &case.rows, case.name);
    }
}

#[test]
fn mtx_rejections() {
    let dir = TempDir::new("mtxbad");
    let banner_col = |banner: &str, tok: &str| banner.find(tok).unwrap() + 1;
    let cases: &[(&str, &str, String)] = &[
        (
            "%%MatrixMarket matrix array pattern general\n2 2\n1\n2\n3\n4\n",
            "pattern",
            "the 'pattern' field is only allowed with the 'coordinate' format".into(),
        ),
        (
            "%%MatrixMarket matrix coordinate pattern skew-symmetric\n2 2 1\n2 1\n",
            "skew-symmetric",
            "the 'pattern' field is only allowed with 'general' or 'symmetric', not 'skew-symmetric'"
                .into(),
        ),
        (
            "%%MatrixMarket matrix coordinate pattern hermitian\n2 2 1\n2 1\n",
            "hermitian",
            "the 'pattern' field is only allowed with 'general' or 'symmetric', not 'hermitian'"
                .into(),
        ),
        (
            "%%MatrixMarket matrix coordinate real hermitian\n2 2 1\n2 1 1\n",
            "hermitian",
            "'hermitian' symmetry requires the 'complex' field".into(),
        ),
        (
            "%%MatrixMarket matrix array integer hermitian\n2 2\n1\n2\n3\n",
            "hermitian",
            "'hermitian' symmetry requires the 'complex' field".into(),
        ),
    ];
    for (k, (content, tok, msg)) in cases.iter().enumerate() {
        let name = format!("bad{k}.mtx");
        dir.write(&name, content);
        let text = format!(
            "[variables]\nx = {{ shape = [2] }}\n[data]\nM = {{ file = \"{name}\" }}\n[objective]\nminimize = \"norm2sq(x)\"\n"
        );
        let d = err(dir.load(&text));
        let banner = content.lines().next().unwrap();
        let want = format!(
            "cannot read `{name}` (line 1, column {}): {msg}",
            banner_col(banner, tok)
        );
        check(&d, &want, at(&text, &format!("\"{name}\"")));
    }

    // An entry above the diagonal of a stored triangle is an error, in the file's line 3.
    dir.write(
        "upper.mtx",
        "%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 2 3\n",
    );
    let text = "[variables]\nx = { shape = [2] }\n[data]\nM = { file = \"upper.mtx\" }\n[objective]\nminimize = \"norm2sq(x)\"\n";
    let d = err(dir.load(text));
    assert!(
        d.message.starts_with("cannot read `upper.mtx` (line 3"),
        "{}",
        d.render()
    );
    assert_eq!(d.line_col(), Some(at(text, "\"upper.mtx\"")));
}

#[test]
fn mtx_as_init_and_files_stack() {
    let dir = TempDir::new("mtxstack");
    dir.write(
        "col.mtx",
        "%%MatrixMarket matrix array real general\n3 1\n1\n-2\n3.5\n",
    );
    dir.write(
        "L0.mtx",
        "%%MatrixMarket matrix coordinate real symmetric\n3 3 3\n1 1 2\n3 1 -1\n2 2 4\n",
    );
    dir.write(
        "L1.mtx",
        "%%MatrixMarket matrix coordinate complex hermitian\n3 3 2\n2 1 1 1\n3 3 3 0\n",
    );
    dir.write(
        "L2.mtx",
        "%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n3\n",
    );
    dir.write(
        "R0.mtx",
        "%%MatrixMarket matrix coordinate pattern general\n2 2 2\n1 1\n2 2\n",
    );
    dir.write(
        "R1.mtx",
        "%%MatrixMarket matrix array integer general\n2 2\n1\n2\n3\n4\n",
    );
    let toml = r#"
[variables]
y = { type = "real", shape = [3], init = { file = "col.mtx" } }
x = { type = "real", shape = [3], init = [1, -1, 2] }
[data]
S = { files = ["L0.mtx", "L1.mtx", "L2.mtx"] }
R = { files = ["R0.mtx", "R1.mtx"] }
S1 = { expr = "S[1]" }
[objective]
minimize = "norm2sq(lincomb(x, S) - S[0]) + sum(y)"
"#;
    let p = ok(dir.load(toml));
    let yi = init(&p, "y").unwrap();
    assert_eq!(yi.shape(), Shape::Vector(3));
    assert_eq!(yi.data(), &[r(1.0), r(-2.0), r(3.5)]);

    let (items, real) = stack(&p, "S");
    assert!(!real, "one complex matrix makes the stack complex");
    assert_eq!(items.len(), 3);
    let z = r(0.0);
    let l0 = real_rows(&[&[2.0, 0.0, -1.0], &[0.0, 4.0, 0.0], &[-1.0, 0.0, 0.0]]);
    let l1 = vec![
        vec![z, c(1.0, -1.0), z],
        vec![c(1.0, 1.0), z, z],
        vec![z, z, r(3.0)],
    ];
    let l2 = real_rows(&[&[0.0, -1.0, -2.0], &[1.0, 0.0, -3.0], &[2.0, 3.0, 0.0]]);
    assert_matrix(&items[0], &l0, "S[0]");
    assert_matrix(&items[1], &l1, "S[1]");
    assert_matrix(&items[2], &l2, "S[2]");
    assert_eq!(dense(&p, "S1").0, &items[1]);
    let (items, real) = stack(&p, "R");
    assert!(real);
    assert_matrix(&items[0], &real_rows(&[&[1.0, 0.0], &[0.0, 1.0]]), "R[0]");
    assert_matrix(&items[1], &real_rows(&[&[1.0, 3.0], &[2.0, 4.0]]), "R[1]");

    // Objective at the initial point: ‖1·L0 − 1·L1 + 2·L2 − L0‖² + sum(y).
    let x = [1.0, -1.0, 2.0];
    let mut want = 1.0 - 2.0 + 3.5;
    for i in 0..3 {
        for j in 0..3 {
            let s = l0[i][j] * x[0] + l1[i][j] * x[1] + l2[i][j] * x[2] - l0[i][j];
            want += s.norm_sqr();
        }
    }
    let f = p.function().unwrap();
    let got = f.value(&p.initial_point()).unwrap();
    assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
}

#[test]
fn files_stack_rejections() {
    let dir = TempDir::new("stackbad");
    dir.write(
        "A.mtx",
        "%%MatrixMarket matrix coordinate real general\n3 3 1\n1 1 1\n",
    );
    dir.write(
        "B.mtx",
        "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n",
    );
    let head = "[variables]\nx = { shape = [2] }\n[objective]\nminimize = \"norm2sq(x)\"\n";

    let text = format!("{head}[data]\nS = {{ files = [\"A.mtx\", \"B.mtx\"] }}\n");
    let d = err(dir.load(&text));
    check(
        &d,
        "`B.mtx` has shape [2, 2] but the first matrix of the stack has [3, 3]",
        at(&text, "\"B.mtx\""),
    );

    dir.npy("S3.npy", &[2, 3, 3], false, |i| npy_val(i).re);
    let text = format!("{head}[data]\nS = {{ files = [\"A.mtx\", \"S3.npy\"] }}\n");
    let d = err(dir.load(&text));
    check(
        &d,
        "`S3.npy` holds a 3-D array (a stack of matrices), which is not a value here",
        at(&text, "\"S3.npy\""),
    );

    let text = format!("{head}[data]\nS = {{ files = [] }}\n");
    let d = err(dir.load(&text));
    check(&d, "`files` is empty", at(&text, "[]"));

    let text = "[variables]\nx = { shape = [3, 3], init = { files = [\"A.mtx\"] } }\n[objective]\nminimize = \"norm2sq(x)\"\n";
    let d = err(dir.load(text));
    check(
        &d,
        "a stack of matrices cannot be an `init`",
        at(text, "[\"A.mtx\"]"),
    );

    // A stack is not a value: using it bare is an error that points at the name.
    let text = format!("{head}[data]\nS = {{ files = [\"A.mtx\"] }}\nT = {{ expr = \"2 * S\" }}\n");
    let d = err(dir.load(&text));
    check(
        &d,
        "`S` is a stack of 1 matrices, not a value",
        at_off(&text, "\"2 * S\"", 5),
    );
}

// ---------- random data ----------

#[test]
fn random_data_matches_the_documented_generator() {
    let kinds = [
        ("normal", RandomKind::Normal),
        ("complex_normal", RandomKind::ComplexNormal),
        ("uniform", RandomKind::Uniform),
    ];
    let shapes: [&[usize]; 4] = [&[], &[5], &[3, 4], &[12]];
    let mut toml = String::from(
        "[variables]\nz = { shape = [2] }\n[objective]\nminimize = \"norm2sq(z)\"\n[data]\n",
    );
    for (name, _) in &kinds {
        for (k, s) in shapes.iter().enumerate() {
            let dims: Vec<String> = s.iter().map(|d| d.to_string()).collect();
            toml.push_str(&format!(
                "{name}_{k} = {{ random = \"{name}\", shape = [{}], seed = 17 }}\n",
                dims.join(", ")
            ));
        }
        toml.push_str(&format!(
            "{name}_other = {{ random = \"{name}\", shape = [5], seed = 18 }}\n"
        ));
    }
    let p1 = ok(parse(&toml));
    let p2 = ok(parse(&toml));
    for (name, kind) in kinds {
        for (k, s) in shapes.iter().enumerate() {
            let entry = format!("{name}_{k}");
            let (t, real) = dense(&p1, &entry);
            let raw = generate(kind, s, 17, &ReadLimits::default()).unwrap();
            assert_eq!(t.shape(), Shape::from_dims(s).unwrap(), "{entry}");
            assert_eq!(
                t.data(),
                &raw.data[..],
                "{entry}: same numbers as `generate`"
            );
            assert_eq!(
                real,
                kind != RandomKind::ComplexNormal,
                "{entry}: real flag"
            );
            assert_eq!(dense(&p2, &entry).0, t, "{entry}: deterministic");
            for x in t.data() {
                match kind {
                    RandomKind::Uniform => assert!(x.im == 0.0 && (0.0..1.0).contains(&x.re)),
                    RandomKind::Normal => assert!(x.im == 0.0),
                    RandomKind::ComplexNormal => assert!(x.im != 0.0),
                }
            }
        }
        // [3, 4] and [12] with the same seed hold the same numbers in the same (column-major) order.
        assert_eq!(
            dense(&p1, &format!("{name}_2")).0.data(),
            dense(&p1, &format!("{name}_3")).0.data()
        );
        // Another seed gives other numbers.
        let other = dense(&p1, &format!("{name}_other")).0;
        assert_ne!(other.data(), dense(&p1, &format!("{name}_1")).0.data());
    }
    // The column-major draw order shows in `get`: (i, j) of [3, 4] is draw i + 3 j.
    let raw = generate(RandomKind::Normal, &[12], 17, &ReadLimits::default()).unwrap();
    let t = dense(&p1, "normal_2").0;
    assert_eq!(t.get(2, 1), raw.data[5]);
    assert_eq!(t.get(0, 3), raw.data[9]);
}

#[test]
fn random_rejections() {
    let head = "[variables]\nz = { shape = [2] }\n[objective]\nminimize = \"norm2sq(z)\"\n[data]\n";

    let text = format!("{head}G = {{ random = \"gaussian\", shape = [2], seed = 1 }}\n");
    let d = err(parse(&text));
    check(
        &d,
        "unknown random kind `gaussian`",
        at(&text, "\"gaussian\""),
    );
    check_note(&d, "the kinds are `normal`, `complex_normal` and `uniform`");

    let text = format!("{head}G = {{ random = \"normal\", shape = [2] }}\n");
    let d = err(parse(&text));
    check(
        &d,
        "data entry `G`: random data needs a `seed`",
        at(&text, "{ random"),
    );

    let text = format!("{head}G = {{ random = \"normal\", seed = 3 }}\n");
    let d = err(parse(&text));
    check(
        &d,
        "data entry `G`: random data needs a `shape`",
        at(&text, "{ random"),
    );

    let text = format!("{head}G = {{ random = \"normal\", shape = [2], seed = -3 }}\n");
    let d = err(parse(&text));
    check(&d, "`seed` must be a non-negative integer", at(&text, "-3"));

    let text = format!("{head}G = {{ random = \"normal\", shape = [2], seed = 1.5 }}\n");
    let d = err(parse(&text));
    check(
        &d,
        "`seed` must be a non-negative integer",
        at(&text, "1.5"),
    );

    let text = format!("{head}G = {{ random = \"normal\", shape = [2, 2, 2], seed = 3 }}\n");
    let d = err(parse(&text));
    check(
        &d,
        "`shape` must be [], [n] or [m, n] with non-negative integers",
        at(&text, "[2, 2, 2]"),
    );

    let text = format!("{head}G = {{ random = \"normal\", shape = [2], sed = 3 }}\n");
    let d = err(parse(&text));
    check(&d, "unknown key `sed` in data entry `G`", at(&text, "sed"));
    check_note(&d, "did you mean `seed`?");
}

// ---------- data expressions ----------

#[test]
fn data_expressions_in_any_order_chains_and_functions() {
    let p = ok(parse(
        r#"
[variables]
z = { shape = [2] }
[data]
y = { expr = "abs2(G * x0)" }
a = { expr = "b + 1" }
b = { expr = "2 * c" }
c = { expr = "v .* v" }
u = { expr = "eigvec_max(A' * A)" }
F = { expr = "fft(v4)" }
Fi = { expr = "ifft(F)" }
h = { expr = "A' * A" }
G = { re = [[1, 2], [0, 1], [3, -1]], im = [[0, 1], [1, 0], [-2, 2]] }
x0 = { re = [1, -1], im = [2, 0] }
v = [1, 2, 3]
v4 = [1, 2, 3, 4]
A = [[1, 1], [1, 0], [0, 1]]
[objective]
minimize = "norm2sq(z)"
"#,
    ));
    // y refers to G and x0, defined later; integer data make the result exact.
    let (t, real) = dense(&p, "y");
    assert!(real, "abs2 is real");
    assert_eq!(t.shape(), Shape::Vector(3));
    assert_eq!(t.data(), &[r(2.0), r(10.0), r(68.0)]);

    // The chain a ← b ← c ← v, each referring to one defined after it.
    assert_eq!(dense(&p, "c").0.data(), &[r(1.0), r(4.0), r(9.0)]);
    assert_eq!(dense(&p, "b").0.data(), &[r(2.0), r(8.0), r(18.0)]);
    let (t, real) = dense(&p, "a");
    assert!(real);
    assert_eq!(t.data(), &[r(3.0), r(9.0), r(19.0)]);

    let (t, _) = dense(&p, "h");
    assert_matrix(t, &real_rows(&[&[2.0, 1.0], &[1.0, 2.0]]), "A' * A");

    // The top eigenvector of [[2, 1], [1, 2]] is [1, 1]/√2; the phase makes the first entry of
    // largest modulus real and positive.
    let (t, real) = dense(&p, "u");
    assert!(!real);
    assert_eq!(t.shape(), Shape::Vector(2));
    let s = std::f64::consts::FRAC_1_SQRT_2;
    assert_close(t.data(), &[r(s), r(s)], 1e-12, "eigvec_max");

    // numpy's fft of [1, 2, 3, 4] and back.
    let (t, real) = dense(&p, "F");
    assert!(!real);
    assert_close(
        t.data(),
        &[r(10.0), c(-2.0, 2.0), r(-2.0), c(-2.0, -2.0)],
        1e-12,
        "fft",
    );
    assert_close(
        dense(&p, "Fi").0.data(),
        &[r(1.0), r(2.0), r(3.0), r(4.0)],
        1e-12,
        "ifft",
    );
}

#[test]
fn data_cycles_are_rejected_naming_the_cycle() {
    let text = r#"[variables]
z = { shape = [2] }
[objective]
minimize = "norm2sq(z)"
[data]
a = { expr = "b + 1" }
b = { expr = "c * 2" }
c = { expr = "a - 1" }
"#;
    let d = err(parse(text));
    check(
        &d,
        "data entries form a cycle: a → b → c → a",
        at(text, "a = {"),
    );

    let text = r#"[variables]
z = { shape = [2] }
[objective]
minimize = "norm2sq(z)"
[data]
s = { expr = "2 * s" }
"#;
    let d = err(parse(text));
    check(&d, "data entries form a cycle: s → s", at(text, "s = {"));

    // Only the entries on the cycle are listed, not the entry that leads into it.
    let text = r#"[variables]
z = { shape = [2] }
[objective]
minimize = "norm2sq(z)"
[data]
p = { expr = "q" }
k = 1
q = { expr = "r + k" }
r = { expr = "q" }
"#;
    let d = err(parse(text));
    check(
        &d,
        "data entries form a cycle: q → r → q",
        at(text, "q = {"),
    );
}

#[test]
fn data_expression_rejections() {
    // Data expressions see data entries, not variables.
    let text = r#"[variables]
z = { shape = [2] }
[data]
d = { expr = "2 * z" }
[objective]
minimize = "norm2sq(z)"
"#;
    let d = err(parse(text));
    check(&d, "unknown name `z`", at_off(text, "\"2 * z\"", 5));

    let text = r#"[variables]
z = { shape = [2] }
[data]
d = { expr = "2 * (1 +" }
[objective]
minimize = "norm2sq(z)"
"#;
    let d = err(parse(text));
    assert!(
        d.message.starts_with("expression syntax: "),
        "{}",
        d.render()
    );
    assert_eq!(d.line_col().map(|p| p.0), Some(4));

    // `eigvec_max` is for data and init only.
    let text = r#"[variables]
z = { shape = [2] }
[data]
A = [[2, 1], [1, 2]]
[objective]
minimize = "norm2sq(z - eigvec_max(A))"
"#;
    let d = err(parse(text));
    check(
        &d,
        "`eigvec_max` is available in data expressions and `init` only",
        at(text, "eigvec_max"),
    );
}

// ---------- init ----------

#[test]
fn every_init_form() {
    let dir = TempDir::new("init");
    dir.npy("v.npy", &[4], false, npy_val);
    dir.npy("m.npy", &[2, 3], true, |i| npy_val(i).re);
    dir.npy("s.npy", &[], false, npy_val);
    dir.write(
        "col.mtx",
        "%%MatrixMarket matrix coordinate real general\n3 1 2\n1 1 4\n3 1 -1\n",
    );
    dir.write(
        "H.mtx",
        "%%MatrixMarket matrix array complex hermitian\n2 2\n1 0\n2 3\n5 0\n",
    );
    let toml = r#"
[data]
A = [[1, 1], [1, 0], [0, 1]]
w = { re = [1, 2], im = [3, 4] }
[variables]
a = { type = "real", init = 2.5 }
b = { type = "real", shape = [], init = -3 }
v = { type = "real", shape = [3], init = [1, 2, 3] }
M = { type = "real", shape = [2, 3], init = [[1, 2, 3], [4, 5, 6]] }
s = { type = "complex", init = { re = 1.0, im = -1.0 } }
cv = { shape = [2], init = { re = [1, 2], im = [-1, 0.5] } }
cm = { shape = [2, 2], init = { re = [[1, 2], [3, 4]], im = [[0, 1], [0, 0]] } }
rv = { type = "real", shape = [2], init = { re = [7, 8] } }
cr = { shape = [2], init = [5, 6] }
fv = { shape = [4], init = { file = "v.npy" } }
fm = { type = "real", shape = [2, 3], init = { file = "m.npy" } }
fs = { init = { file = "s.npy" } }
mx = { type = "real", shape = [3], init = { file = "col.mtx" } }
mh = { shape = [2, 2], init = { file = "H.mtx" } }
g = { shape = [3, 2], init = { random = "complex_normal", shape = [3, 2], seed = 5 } }
ru = { type = "real", shape = [4], init = { random = "uniform", shape = [4], seed = 6 } }
rn = { type = "real", shape = [2, 2], init = { random = "normal", shape = [2, 2], seed = 7 } }
e = { shape = [2], init = { expr = "2 * w" } }
er = { type = "real", shape = [2], init = { expr = "real(w) .* imag(w)" } }
u = { shape = [2], init = { expr = "eigvec_max(A' * A)" } }
z0 = { shape = [2] }
[objective]
minimize = "norm2sq(v)"
"#;
    let p = ok(dir.load(toml));
    let get = |name: &str| init(&p, name).unwrap_or_else(|| panic!("`{name}` has no init"));
    let lim = ReadLimits::default();

    assert_eq!(get("a").shape(), Shape::Scalar);
    assert_eq!(get("a").data(), &[r(2.5)]);
    assert_eq!(get("b").data(), &[r(-3.0)]);
    assert_eq!(get("v").shape(), Shape::Vector(3));
    assert_eq!(get("v").data(), &[r(1.0), r(2.0), r(3.0)]);
    assert_matrix(
        get("M"),
        &real_rows(&[&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]]),
        "M",
    );
    assert_eq!(get("s").data(), &[c(1.0, -1.0)]);
    assert_eq!(get("cv").data(), &[c(1.0, -1.0), c(2.0, 0.5)]);
    assert_matrix(
        get("cm"),
        &[vec![r(1.0), c(2.0, 1.0)], vec![r(3.0), r(4.0)]],
        "cm",
    );
    assert_eq!(get("rv").data(), &[r(7.0), r(8.0)]);
    assert_eq!(get("cr").data(), &[r(5.0), r(6.0)]);
    let want: Vec<C64> = (0..4).map(|i| npy_val(&[i])).collect();
    assert_eq!(get("fv").shape(), Shape::Vector(4));
    assert_eq!(get("fv").data(), &want[..]);
    let rows: Vec<Vec<C64>> = (0..2)
        .map(|i| (0..3).map(|j| r(npy_val(&[i, j]).re)).collect())
        .collect();
    assert_matrix(get("fm"), &rows, "fm");
    assert_eq!(get("fs").shape(), Shape::Scalar);
    assert_eq!(get("fs").data(), &[npy_val(&[])]);
    assert_eq!(
        get("mx").shape(),
        Shape::Vector(3),
        "a 3×1 matrix fills a [3] vector"
    );
    assert_eq!(get("mx").data(), &[r(4.0), r(0.0), r(-1.0)]);
    assert_matrix(
        get("mh"),
        &[vec![r(1.0), c(2.0, -3.0)], vec![c(2.0, 3.0), r(5.0)]],
        "mh",
    );
    let raw = generate(RandomKind::ComplexNormal, &[3, 2], 5, &lim).unwrap();
    assert_eq!(get("g").shape(), Shape::Matrix(3, 2));
    assert_eq!(get("g").data(), &raw.data[..]);
    let raw = generate(RandomKind::Uniform, &[4], 6, &lim).unwrap();
    assert_eq!(get("ru").data(), &raw.data[..]);
    let raw = generate(RandomKind::Normal, &[2, 2], 7, &lim).unwrap();
    assert_eq!(get("rn").data(), &raw.data[..]);
    assert_eq!(get("e").data(), &[c(2.0, 6.0), c(4.0, 8.0)]);
    assert_eq!(get("er").data(), &[r(3.0), r(8.0)]);
    let s = std::f64::consts::FRAC_1_SQRT_2;
    assert_close(get("u").data(), &[r(s), r(s)], 1e-12, "eigvec_max init");
    assert!(init(&p, "z0").is_none(), "no init given");

    // initial_point: the variables in file order, each column-major, zeros where no init.
    let names: Vec<&str> = p.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "a", "b", "v", "M", "s", "cv", "cm", "rv", "cr", "fv", "fm", "fs", "mx", "mh", "g",
            "ru", "rn", "e", "er", "u", "z0"
        ]
    );
    let mut want = Vec::new();
    for v in &p.variables {
        match &v.init {
            Some(t) => want.extend_from_slice(t.data()),
            None => want.extend([r(0.0), r(0.0)]),
        }
    }
    let z = p.initial_point();
    assert_eq!(z, want);
    assert_eq!(z.len(), p.dim());
    // spot checks of the layout: a, b, then v, then M column by column
    assert_eq!(
        &z[..9],
        &[
            r(2.5),
            r(-3.0),
            r(1.0),
            r(2.0),
            r(3.0),
            r(1.0),
            r(4.0),
            r(2.0),
            r(5.0)
        ]
    );
    assert_eq!(&z[z.len() - 2..], &[r(0.0), r(0.0)]);
}

#[test]
fn default_init_is_zero_and_order_is_file_order() {
    let p = ok(parse(
        r#"
[variables]
b = { shape = [2], init = { re = [1, 2], im = [3, 4] } }
a = { type = "real", shape = [2, 2], init = [[1, 2], [3, 4]] }
s = {}
t = { type = "real", shape = [3] }
q = { type = "real", init = 9 }
[objective]
minimize = "norm2sq(b) + norm2sq(a) + abs2(s) + norm2sq(t) + q^2"
"#,
    ));
    let z = p.initial_point();
    let zero = r(0.0);
    assert_eq!(
        z,
        vec![
            c(1.0, 3.0),
            c(2.0, 4.0),
            r(1.0),
            r(3.0),
            r(2.0),
            r(4.0),
            zero,
            zero,
            zero,
            zero,
            r(9.0)
        ]
    );
    let f = p.function().unwrap();
    assert_eq!(f.value(&z).unwrap(), 1.0 + 9.0 + 4.0 + 16.0 + 30.0 + 81.0);
}

#[test]
fn init_rejections() {
    let text = r#"[variables]
x = { type = "real", shape = [3], init = [1.0, 2.0] }
[objective]
minimize = "norm2sq(x)"
"#;
    let d = err(parse(text));
    check(
        &d,
        "init of `x` has shape [2] but the variable has shape [3]",
        at(text, "[1.0, 2.0]"),
    );

    let text = r#"[variables]
M = { type = "real", shape = [2, 2], init = [[1, 2, 3], [4, 5, 6]] }
[objective]
minimize = "norm2sq(M)"
"#;
    let d = err(parse(text));
    check(
        &d,
        "init of `M` has shape [2, 3] but the variable has shape [2, 2]",
        at(text, "[[1, 2, 3]"),
    );

    let text = r#"[variables]
M = { shape = [3, 2], init = { re = [[1, 2, 3], [4, 5, 6]] } }
[objective]
minimize = "norm2sq(M)"
"#;
    let d = err(parse(text));
    check(
        &d,
        "init of `M` has shape [2, 3] but the variable has shape [3, 2]",
        at(text, "{ re"),
    );

    let text = r#"[variables]
s = { init = [1, 2] }
[objective]
minimize = "abs2(s)"
"#;
    let d = err(parse(text));
    check(
        &d,
        "init of `s` has shape [2] but the variable has shape []",
        at(text, "[1, 2]"),
    );

    let text = r#"[variables]
x = { shape = [3], init = { random = "complex_normal", shape = [4], seed = 1 } }
[objective]
minimize = "norm2sq(x)"
"#;
    let d = err(parse(text));
    check(
        &d,
        "init of `x` has shape [4] but the variable has shape [3]",
        at(text, "{ random"),
    );

    let text = r#"[data]
w = [1, 2, 3]
[variables]
x = { shape = [2], init = { expr = "2 * w" } }
[objective]
minimize = "norm2sq(x)"
"#;
    let d = err(parse(text));
    check(
        &d,
        "init of `x` has shape [3] but the variable has shape [2]",
        at(text, "{ expr"),
    );

    // A real variable's init must be real.
    let complex_inits = [
        "{ re = [1, 2, 3], im = [0, 1, 0] }",
        "{ random = \"complex_normal\", shape = [3], seed = 3 }",
        "{ expr = \"fft(w)\" }",
        "{ expr = \"2i * w\" }",
    ];
    for ci in complex_inits {
        let text = format!(
            "[data]\nw = [1, 2, 3]\n[variables]\nx = {{ type = \"real\", shape = [3], init = {ci} }}\n[objective]\nminimize = \"norm2sq(x)\"\n"
        );
        let d = err(parse(&text));
        check(&d, "init of real variable `x` is complex", at(&text, ci));
        check_note(&d, "a real variable's init must be real");
    }
    let dir = TempDir::new("initbad");
    dir.npy("c.npy", &[2], false, npy_val);
    let text = r#"[variables]
x = { type = "real", shape = [2], init = { file = "c.npy" } }
[objective]
minimize = "norm2sq(x)"
"#;
    let d = err(dir.load(text));
    check(
        &d,
        "init of real variable `x` is complex",
        at(text, "{ file"),
    );

    // init expressions see data, not variables.
    let text = r#"[variables]
y = { shape = [2] }
x = { shape = [2], init = { expr = "2 * y" } }
[objective]
minimize = "norm2sq(x)"
"#;
    let d = err(parse(text));
    check(&d, "unknown name `y`", at_off(text, "\"2 * y\"", 5));
}

// ---------- [problem], [solver], variables ----------

#[test]
fn problem_table_fields() {
    let p = ok(parse(
        r#"
[problem]
name = "least-squares"
description = "free text, with ünïcode"
expected_objective = 0.25
[variables]
z = { shape = [2] }
[objective]
maximize = "-norm2sq(z)"
"#,
    ));
    assert_eq!(p.name.as_deref(), Some("least-squares"));
    assert_eq!(p.description.as_deref(), Some("free text, with ünïcode"));
    assert_eq!(p.expected_objective, Some(0.25));
    assert_eq!(p.sense, Sense::Maximize);

    let p = ok(parse(
        "[problem]\nexpected_objective = 3\n[variables]\nz = {}\n[objective]\nminimize = \"abs2(z)\"\n",
    ));
    assert_eq!(p.name, None);
    assert_eq!(p.description, None);
    assert_eq!(p.expected_objective, Some(3.0));
    assert_eq!(p.sense, Sense::Minimize);

    let p = ok(parse(
        "[variables]\nz = {}\n[objective]\nminimize = \"abs2(z)\"\n",
    ));
    assert_eq!(
        (p.name, p.description, p.expected_objective),
        (None, None, None)
    );
    assert_eq!(p.solver, SolverSettings::default());

    let text =
        "[problem]\nnmae = \"x\"\n[variables]\nz = {}\n[objective]\nminimize = \"abs2(z)\"\n";
    let d = err(parse(text));
    check(&d, "unknown key `nmae` in [problem]", at(text, "nmae"));
    check_note(&d, "did you mean `name`?");

    let text = "[problem]\nname = 3\n[variables]\nz = {}\n[objective]\nminimize = \"abs2(z)\"\n";
    let d = err(parse(text));
    check(&d, "`name` must be a string", at(text, "3\n"));

    let text = "[problem]\nexpected_objective = \"0\"\n[variables]\nz = {}\n[objective]\nminimize = \"abs2(z)\"\n";
    let d = err(parse(text));
    check(
        &d,
        "`expected_objective` must be a number",
        at(text, "\"0\""),
    );
}

#[test]
fn solver_table() {
    let base = "[variables]\nz = {}\n[objective]\nminimize = \"abs2(z)\"\n[solver]\n";
    let solver = |body: &str| ok(parse(&format!("{base}{body}"))).solver;

    assert_eq!(
        solver("method = \"lbfgs\"\nmax_iter = 250\ntol = 1e-8\n"),
        SolverSettings {
            method: Some("lbfgs".into()),
            max_iter: Some(250),
            tol: Some(1e-8),
            memory_limit: None
        }
    );
    assert_eq!(solver("tol = 0\n").tol, Some(0.0));
    assert_eq!(solver("tol = 0.0\n").tol, Some(0.0));
    assert_eq!(solver("tol = 3\n").tol, Some(3.0));
    assert_eq!(solver("max_iter = 0\n").max_iter, Some(0));
    assert_eq!(solver("").tol, None);
    for m in wirtinger::io::METHODS {
        assert_eq!(
            solver(&format!("method = \"{m}\"\n")).method.as_deref(),
            Some(*m)
        );
    }
    assert_eq!(solver("method = \"lm\"\n").method.as_deref(), Some("lm"));

    let cases: &[(&str, &str, &str)] = &[
        (
            "method = \"newtn\"\n",
            "unknown method `newtn`",
            "\"newtn\"",
        ),
        (
            "tol = -1e-3\n",
            "`tol` must be non-negative (0 means never stop on tolerance)",
            "-1e-3",
        ),
        ("tol = \"small\"\n", "`tol` must be a number", "\"small\""),
        ("tol = inf\n", "`tol` must be finite", "inf"),
        (
            "max_iter = -5\n",
            "`max_iter` must be a non-negative integer",
            "-5",
        ),
        (
            "max_iter = 2.5\n",
            "`max_iter` must be a non-negative integer",
            "2.5",
        ),
        ("method = 3\n", "`method` must be a string", "3\n"),
        (
            "maxiter = 5\n",
            "unknown key `maxiter` in [solver]",
            "maxiter",
        ),
    ];
    for (body, msg, needle) in cases {
        let text = format!("{base}{body}");
        let d = err(parse(&text));
        check(&d, msg, at(&text, needle));
    }
    let d = err(parse(&format!("{base}method = \"newtn\"\n")));
    check_note(&d, "did you mean `newton`?");
    let d = err(parse(&format!("{base}maxiter = 5\n")));
    check_note(&d, "did you mean `max_iter`?");
}

#[test]
fn variable_type_default_and_shapes() {
    let p = ok(parse(
        r#"
[variables]
a = {}
b = { shape = [3] }
c = { type = "complex", shape = [2, 4] }
d = { type = "real", shape = [] }
e = { type = "real", shape = [0] }
[objective]
minimize = "abs2(a) + norm2sq(b) + norm2sq(c) + d^2"
"#,
    ));
    let ty = |n: &str| p.variables.iter().find(|v| v.name == n).unwrap().ty;
    assert!(!ty("a").real, "type defaults to complex");
    assert_eq!(ty("a").shape, Shape::Scalar, "shape defaults to []");
    assert!(!ty("b").real);
    assert_eq!(ty("b").shape, Shape::Vector(3));
    assert_eq!(ty("c").shape, Shape::Matrix(2, 4));
    assert!(ty("d").real);
    assert_eq!(ty("d").shape, Shape::Scalar);
    assert_eq!(ty("e").shape, Shape::Vector(0));
    assert_eq!(p.dim(), 1 + 3 + 8 + 1);

    let text = "[variables]\nz = { type = \"reel\" }\n[objective]\nminimize = \"abs2(z)\"\n";
    let d = err(parse(text));
    check(&d, "unknown variable type `reel`", at(text, "\"reel\""));
    check_note(&d, "the types are \"complex\" and \"real\"");

    let text = "[variables]\nz = { shape = [2, 2, 2] }\n[objective]\nminimize = \"norm2sq(z)\"\n";
    let d = err(parse(text));
    check(
        &d,
        "`shape` must be [], [n] or [m, n] with non-negative integers",
        at(text, "[2, 2, 2]"),
    );

    let text = "[variables]\nz = 3\n[objective]\nminimize = \"abs2(z)\"\n";
    let d = err(parse(text));
    check(
        &d,
        "variable `z` must be a table like { type = \"complex\", shape = [n] }",
        at(text, "3\n"),
    );

    let text = "[variables]\n[objective]\nminimize = \"1\"\n";
    let d = err(parse(text));
    assert_eq!(d.message, "[variables] is empty", "{}", d.render());
}

#[test]
fn duplicate_names_are_rejected() {
    let text = r#"[data]
x = [1, 2]
[variables]
x = { shape = [2] }
[objective]
minimize = "norm2sq(x)"
"#;
    let d = err(parse(text));
    check(
        &d,
        "`x` is both a variable and a data entry",
        at(text, "x = {"),
    );

    // A key twice in one table is a TOML error, pointing at the second one.
    let text = "[variables]\nz = {}\n[data]\nb = 1\nb = 2\n[objective]\nminimize = \"abs2(z)\"\n";
    let d = err(parse(text));
    assert!(d.message.starts_with("invalid TOML: "), "{}", d.render());
    assert!(d.message.contains("duplicate key"), "{}", d.render());
    assert_eq!(d.line_col().map(|p| p.0), Some(5), "{}", d.render());

    let text = "[variables]\nz = {}\nz = { shape = [2] }\n[objective]\nminimize = \"abs2(z)\"\n";
    let d = err(parse(text));
    assert!(d.message.contains("duplicate key"), "{}", d.render());
    assert_eq!(d.line_col().map(|p| p.0), Some(3), "{}", d.render());
}

#[test]
fn unknown_keys_get_did_you_mean_notes() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "[variables]\nz = {}\n[objective]\nminimize = \"abs2(z)\"\n[solvr]\nmethod = \"auto\"\n",
            "unknown table `solvr`",
            "did you mean `solver`?",
            "solvr",
        ),
        (
            "[variable]\nz = {}\n[objective]\nminimize = \"abs2(z)\"\n",
            "unknown table `variable`",
            "did you mean `variables`?",
            "variable]",
        ),
        (
            "[variables]\nz = { type = \"complex\", shap = [2] }\n[objective]\nminimize = \"abs2(z)\"\n",
            "unknown key `shap` in variable `z`",
            "did you mean `shape`?",
            "shap ",
        ),
        (
            "[variables]\nz = { int = 1 }\n[objective]\nminimize = \"abs2(z)\"\n",
            "unknown key `int` in variable `z`",
            "did you mean `init`?",
            "int ",
        ),
        (
            "[variables]\nz = {}\n[objective]\nminimise = \"abs2(z)\"\n",
            "unknown key `minimise` in [objective]",
            "did you mean `minimize`?",
            "minimise",
        ),
        (
            "[variables]\nz = {}\n[data]\nb = { re = 1, img = 2 }\n[objective]\nminimize = \"abs2(z)\"\n",
            "unknown key `img` in data entry `b`",
            "did you mean `im`?",
            "img",
        ),
        (
            "[variables]\nz = { init = { re = 1, imm = 2 } }\n[objective]\nminimize = \"abs2(z)\"\n",
            "unknown key `imm` in init of `z`",
            "did you mean `im`?",
            "imm",
        ),
        (
            "[variables]\nz = {}\n[data]\nb = { expr = \"1\", exp = 2 }\n[objective]\nminimize = \"abs2(z)\"\n",
            "unknown key `exp` in data entry `b`",
            "did you mean `expr`?",
            "exp =",
        ),
        (
            "[variables]\nz = {}\n[data]\nb = { file = \"b.npy\", files = [] }\n[objective]\nminimize = \"abs2(z)\"\n",
            "unknown key `files` in data entry `b`",
            "did you mean `file`?",
            "files",
        ),
    ];
    for (text, msg, note, needle) in cases {
        let d = err(parse(text));
        check(&d, msg, at(text, needle));
        check_note(&d, note);
    }
}

// ---------- paths ----------

#[test]
fn relative_paths_resolve_against_the_problem_file() {
    let dir = TempDir::new("paths");
    dir.npy("sub/A.npy", &[2], false, |i| npy_val(i).re);
    dir.write(
        "sub/data/B.mtx",
        "%%MatrixMarket matrix coordinate real general\n1 2 1\n1 2 7\n",
    );
    dir.npy("C.npy", &[], false, |_| 42.0f64);
    dir.npy("abs/D.npy", &[1], false, |_| -1.0f64);
    let abs = dir.path().join("abs/D.npy");
    let abs = abs.to_str().unwrap();
    assert!(!abs.contains(['"', '\\']));
    let toml = format!(
        r#"
[variables]
z = {{ type = "real", shape = [2], init = {{ file = "A.npy" }} }}
[data]
B = {{ file = "data/B.mtx" }}
C = {{ file = "../C.npy" }}
D = {{ file = "{abs}" }}
S = {{ files = ["data/B.mtx", "./data/B.mtx"] }}
[objective]
minimize = "norm2sq(z)"
"#
    );
    let toml = toml.as_str();
    let path = dir.write("sub/problem.toml", toml);
    let check_loaded = |p: &Problem| {
        assert_eq!(init(p, "z").unwrap().data(), &[r(1.0), r(2.0)]);
        assert_matrix(dense(p, "B").0, &real_rows(&[&[0.0, 7.0]]), "B");
        assert_eq!(dense(p, "C").0.data(), &[r(42.0)]);
        assert_eq!(dense(p, "D").0.data(), &[r(-1.0)]);
        let (items, _) = stack(p, "S");
        assert_eq!(items.len(), 2);
        assert_eq!(&items[0], dense(p, "B").0);
        assert_eq!(&items[1], dense(p, "B").0);
    };
    check_loaded(&ok(load_problem(&path)));
    // parse_problem anchors relative paths at the directory of the path it is given.
    check_loaded(&ok(parse_problem(toml, &path)));

    // Loaded from another directory, the same relative names are not found, and the message
    // names the missing file at its place in the TOML text.
    let elsewhere = dir.write("elsewhere/problem.toml", toml);
    let d = err(load_problem(&elsewhere));
    assert!(
        d.message.starts_with("cannot read `data/B.mtx`"),
        "{}",
        d.render()
    );
    assert_eq!(
        d.line_col(),
        Some(at_off(toml, "B = { file = \"data/B.mtx\"", 13))
    );
    assert!(d
        .render()
        .starts_with(&format!("error: {}:", elsewhere.display())));
    assert!(dir.path().join("sub/A.npy").exists());
}

/// A .npy file written byte by byte: format 1.0, header dict padded with spaces to a multiple of
/// 64 bytes, then the data.
fn raw_npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let order = if fortran { "True" } else { "False" };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

#[test]
fn npy_written_by_hand_big_endian_and_little_endian() {
    let dir = TempDir::new("rawnpy");
    // 2×3 complex, Fortran order, big-endian: column by column, real part first.
    let rows = [
        [c(1.0, -1.0), c(2.0, 0.5), c(3.0, 0.0)],
        [c(4.0, 4.5), c(5.0, -5.0), c(6.0, 6.25)],
    ];
    let mut bytes = Vec::new();
    for j in 0..3 {
        for row in &rows {
            bytes.extend_from_slice(&row[j].re.to_be_bytes());
            bytes.extend_from_slice(&row[j].im.to_be_bytes());
        }
    }
    std::fs::write(dir.file("cf.npy"), raw_npy(">c16", true, "(2, 3)", &bytes)).unwrap();
    // The same matrix's real parts, C order, little-endian.
    let mut bytes = Vec::new();
    for row in &rows {
        for x in row {
            bytes.extend_from_slice(&x.re.to_le_bytes());
        }
    }
    std::fs::write(dir.file("rc.npy"), raw_npy("<f8", false, "(2, 3)", &bytes)).unwrap();
    std::fs::write(
        dir.file("s.npy"),
        raw_npy("<f8", false, "()", &0.125f64.to_le_bytes()),
    )
    .unwrap();
    let p = ok(dir.load(
        "[variables]\nz = {}\n[data]\nA = { file = \"cf.npy\" }\nB = { file = \"rc.npy\" }\ns = { file = \"s.npy\" }\n[objective]\nminimize = \"abs2(z)\"\n",
    ));
    let (t, real) = dense(&p, "A");
    assert!(!real);
    let want: Vec<Vec<C64>> = rows.iter().map(|r| r.to_vec()).collect();
    assert_matrix(t, &want, "A");
    let (t, real) = dense(&p, "B");
    assert!(real);
    let want: Vec<Vec<C64>> = rows
        .iter()
        .map(|row| row.iter().map(|x| r(x.re)).collect())
        .collect();
    assert_matrix(t, &want, "B");
    assert_eq!(dense(&p, "s").0.data(), &[r(0.125)]);
}

#[test]
fn standard_and_dotted_tables_are_values_too() {
    let p = ok(parse(
        r#"
[variables.z]
type = "real"
shape = [2]
init = [1, 2]
[data.A]
re = [1, 2]
im = [3, 4]
[data]
B.random = "uniform"
B.shape = [2]
B.seed = 4
[objective]
minimize = "norm2sq(z - real(A))"
"#,
    ));
    assert_eq!(init(&p, "z").unwrap().data(), &[r(1.0), r(2.0)]);
    assert_eq!(dense(&p, "A").0.data(), &[c(1.0, 3.0), c(2.0, 4.0)]);
    let raw = generate(RandomKind::Uniform, &[2], 4, &ReadLimits::default()).unwrap();
    assert_eq!(dense(&p, "B").0.data(), &raw.data[..]);
}

#[test]
fn invalid_names_are_rejected() {
    let text = "[variables]\nz = {}\n[data]\n\"a b\" = 1\n[objective]\nminimize = \"abs2(z)\"\n";
    let d = err(parse(text));
    check(&d, "`a b` is not a valid data name", at(text, "\"a b\""));
    check_note(
        &d,
        "names start with a letter or `_` and contain letters, digits and `_`",
    );

    let text = "[variables]\n2z = {}\n[objective]\nminimize = \"1\"\n";
    let d = err(parse(text));
    check(&d, "`2z` is not a valid variable name", at(text, "2z"));
}
