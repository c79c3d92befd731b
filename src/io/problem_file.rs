//! Loading a problem file (contract §1): TOML with positions kept, every value form, data
//! expressions in dependency order with cycle detection, `init` values, objective, constraints and
//! `[solver]`. Every rejection is a [`Diagnostic`] naming the file, line and column.

use super::array::{RawArray, ReadError, ReadLimits, Triplets};
use super::mtx::{read_mtx, Mtx};
use super::npy::read_npy;
use super::random::{generate, RandomKind};
use crate::cr::{evaluate, Graph};
use crate::error::Diagnostic;
use crate::expr::lower::closest;
use crate::expr::{
    parse_expression, Context, DataValue, Expr, ExprKind, LowerError, Lowerer, ParseError,
};
use crate::model::{
    Constraint, Problem, Sense, Shape, SolverSettings, SparseStack, Tensor, Ty, Variable,
};
use num_complex::Complex64 as C64;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml_edit::{ImDocument, Item, TableLike, Value};

/// Largest problem file accepted (bytes).
pub const MAX_PROBLEM_FILE_BYTES: u64 = 64 << 20;

/// Method names accepted in `[solver] method` and `--method` (contract §5).
pub const METHODS: &[&str] = &[
    "auto",
    "steepest_descent",
    "newton",
    "pseudo_newton",
    "lbfgs",
    "gauss_newton",
    "levenberg_marquardt",
    "lm",
    "trust_region",
    "sdp",
    "spectral_bundle",
    "argmin_lbfgs",
    "argmin_bfgs",
    "argmin_newton_cg",
    "argmin_trust_region",
];

/// Reads and loads a problem file.
///
/// ```no_run
/// let p = wirtinger::io::load_problem(std::path::Path::new("problems/least_squares.toml")).unwrap();
/// println!("{} variables", p.variables.len());
/// ```
pub fn load_problem(path: &Path) -> Result<Problem, Diagnostic> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Diagnostic::new(format!("cannot read the problem file: {}", io_reason(&e))).for_file(path)
    })?;
    if !meta.is_file() {
        return Err(
            Diagnostic::new("cannot read the problem file: not a regular file").for_file(path),
        );
    }
    if meta.len() > MAX_PROBLEM_FILE_BYTES {
        return Err(Diagnostic::new(format!(
            "the problem file is {} bytes, more than the limit of {MAX_PROBLEM_FILE_BYTES}",
            meta.len()
        ))
        .for_file(path));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        Diagnostic::new(format!("cannot read the problem file: {}", io_reason(&e))).for_file(path)
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Diagnostic::new(format!(
            "the problem file is not valid UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        ))
        .for_file(path)
    })?;
    parse_problem(&text, path)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Loads a problem from its text; `path` names it in messages and anchors relative data paths.
pub fn parse_problem(text: &str, path: &Path) -> Result<Problem, Diagnostic> {
    let src: Arc<str> = Arc::from(text);
    let cx = Cx {
        path: path.to_path_buf(),
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        src: src.clone(),
        limits: ReadLimits::default(),
    };
    let doc = ImDocument::parse(text.to_string()).map_err(|e| {
        let msg = e.message().trim().trim_end_matches('.').replace('\n', ": ");
        cx.err(format!("invalid TOML: {}", lower_first(&msg)), e.span())
    })?;
    cx.load(doc.as_table())
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// `[problem]`: name, description, expected objective.
type ProblemInfo = (Option<String>, Option<String>, Option<f64>);

struct Cx {
    path: PathBuf,
    dir: PathBuf,
    src: Arc<str>,
    limits: ReadLimits,
}

/// A value form before evaluation.
enum Spec {
    Inline(Tensor, bool),
    Stack(Vec<Tensor>, bool),
    SparseStack(SparseStack),
    Expr(Expr, Option<usize>, Range<usize>),
}

impl Cx {
    fn err(&self, msg: impl Into<String>, span: Option<Range<usize>>) -> Diagnostic {
        let d = Diagnostic::new(msg).in_file(&self.path, self.src.clone());
        match span {
            Some(s) => d.at(s),
            None => d,
        }
    }

    fn load(&self, root: &toml_edit::Table) -> Result<Problem, Diagnostic> {
        const TOP: &[&str] = &[
            "problem",
            "variables",
            "data",
            "objective",
            "constraints",
            "solver",
        ];
        for (k, _) in root.iter() {
            if !TOP.contains(&k) {
                let span = root.get_key_value(k).and_then(|(key, _)| key.span());
                let mut d = self.err(format!("unknown table `{k}`"), span);
                d = d.with_note(match closest(k, TOP) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the tables are {}", TOP.join(", ")),
                });
                return Err(d);
            }
        }
        let (name, description, expected) = self.problem_table(root.get("problem"))?;
        let data_specs = self.data_table(root.get("data"))?;
        let data = self.resolve_data(data_specs)?;
        let variables = self.variables(root, &data)?;
        let var_types: Vec<(String, Ty)> =
            variables.iter().map(|v| (v.name.clone(), v.ty)).collect();
        let mut graph = Graph::default();
        let (sense, objective) = self.objective(root, &mut graph, &var_types, &data)?;
        let constraints =
            self.constraints(root.get("constraints"), &mut graph, &var_types, &data)?;
        let solver = self.solver(root.get("solver"))?;
        crate::cr::prepare_pullback_copies(&mut graph);
        Ok(Problem {
            name,
            description,
            expected_objective: expected,
            variables,
            data,
            sense,
            graph,
            objective,
            constraints,
            solver,
        })
    }

    fn table<'a>(&self, item: &'a Item, what: &str) -> Result<&'a dyn TableLike, Diagnostic> {
        item.as_table_like()
            .ok_or_else(|| self.err(format!("`{what}` must be a table"), item.span()))
    }

    fn check_keys(
        &self,
        t: &dyn TableLike,
        allowed: &[&str],
        what: &str,
    ) -> Result<(), Diagnostic> {
        for (k, _) in t.iter() {
            if !allowed.contains(&k) {
                let span = t.get_key_value(k).and_then(|(key, _)| key.span());
                let note = match closest(k, allowed) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "{what} takes {}",
                        allowed
                            .iter()
                            .map(|a| format!("`{a}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                return Err(self
                    .err(format!("unknown key `{k}` in {what}"), span)
                    .with_note(note));
            }
        }
        Ok(())
    }

    fn key_span(&self, t: &dyn TableLike, k: &str) -> Option<Range<usize>> {
        t.get_key_value(k)
            .and_then(|(key, item)| item.span().or_else(|| key.span()))
    }

    fn string<'a>(&self, item: &'a Item, what: &str) -> Result<&'a str, Diagnostic> {
        item.as_str()
            .ok_or_else(|| self.err(format!("{what} must be a string"), item.span()))
    }

    fn number(&self, item: &Item, what: &str) -> Result<f64, Diagnostic> {
        let v = match item.as_value() {
            Some(Value::Integer(i)) => *i.value() as f64,
            Some(Value::Float(f)) => *f.value(),
            _ => return Err(self.err(format!("{what} must be a number"), item.span())),
        };
        if !v.is_finite() {
            return Err(self.err(format!("{what} must be finite"), item.span()));
        }
        Ok(v)
    }

    fn problem_table(&self, item: Option<&Item>) -> Result<ProblemInfo, Diagnostic> {
        let Some(item) = item else {
            return Ok((None, None, None));
        };
        let t = self.table(item, "problem")?;
        self.check_keys(
            t,
            &["name", "description", "expected_objective"],
            "[problem]",
        )?;
        let name = t
            .get("name")
            .map(|i| self.string(i, "`name`").map(str::to_string))
            .transpose()?;
        let desc = t
            .get("description")
            .map(|i| self.string(i, "`description`").map(str::to_string))
            .transpose()?;
        let exp = t
            .get("expected_objective")
            .map(|i| self.number(i, "`expected_objective`"))
            .transpose()?;
        Ok((name, desc, exp))
    }

    fn check_name(
        &self,
        name: &str,
        span: Option<Range<usize>>,
        what: &str,
    ) -> Result<(), Diagnostic> {
        let mut c = name.chars();
        let ok = c
            .next()
            .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
            && c.all(|x| x.is_ascii_alphanumeric() || x == '_');
        if ok {
            Ok(())
        } else {
            Err(self
                .err(format!("`{name}` is not a valid {what} name"), span)
                .with_note("names start with a letter or `_` and contain letters, digits and `_`"))
        }
    }

    // ---------- data ----------

    fn data_table(
        &self,
        item: Option<&Item>,
    ) -> Result<Vec<(String, Range<usize>, Spec)>, Diagnostic> {
        let Some(item) = item else { return Ok(vec![]) };
        let t = self.table(item, "data")?;
        let mut out = Vec::new();
        for (k, v) in t.iter() {
            let kspan = t.get_key_value(k).and_then(|(key, _)| key.span());
            self.check_name(k, kspan.clone(), "data")?;
            let spec = self.value_spec(v, &format!("data entry `{k}`"), true)?;
            out.push((k.to_string(), kspan.unwrap_or(0..0), spec));
        }
        Ok(out)
    }

    /// Parses one value form (contract §1).
    fn value_spec(&self, item: &Item, what: &str, allow_stack: bool) -> Result<Spec, Diagnostic> {
        if let Some(t) = item.as_table_like() {
            let has = |k: &str| t.contains_key(k);
            if has("expr") {
                self.check_keys(t, &["expr"], what)?;
                let e = t.get("expr").ok_or_else(|| self.err("internal", None))?;
                let s = self.string(e, "`expr`")?;
                let base = string_content_offset(&self.src, e.span());
                let span = e.span().unwrap_or(0..0);
                let expr = parse_expression(s).map_err(|pe| self.parse_err(&pe, base, &span))?;
                return Ok(Spec::Expr(expr, base, span));
            }
            if has("random") {
                self.check_keys(t, &["random", "shape", "seed"], what)?;
                let r = t.get("random").ok_or_else(|| self.err("internal", None))?;
                let kind_s = self.string(r, "`random`")?;
                let kind = RandomKind::parse(kind_s).ok_or_else(|| {
                    self.err(format!("unknown random kind `{kind_s}`"), r.span())
                        .with_note("the kinds are `normal`, `complex_normal` and `uniform`")
                })?;
                let shape_item = t.get("shape").ok_or_else(|| {
                    self.err(format!("{what}: random data needs a `shape`"), item.span())
                })?;
                let dims = self.dims(shape_item)?;
                let seed_item = t.get("seed").ok_or_else(|| {
                    self.err(format!("{what}: random data needs a `seed`"), item.span())
                        .with_note("any non-negative integer; the same seed gives the same numbers everywhere")
                })?;
                let seed = match seed_item.as_integer() {
                    Some(s) if s >= 0 => s as u64,
                    _ => {
                        return Err(
                            self.err("`seed` must be a non-negative integer", seed_item.span())
                        )
                    }
                };
                let raw = generate(kind, &dims, seed, &self.limits)
                    .map_err(|e| self.err(format!("{what}: {}", e.message), shape_item.span()))?;
                let real = !raw.is_complex;
                let t = self.raw_to_tensor(raw, item.span())?;
                return Ok(Spec::Inline(t, real));
            }
            if has("file") {
                self.check_keys(t, &["file"], what)?;
                let f = t.get("file").ok_or_else(|| self.err("internal", None))?;
                let name = self.string(f, "`file`")?;
                return self.read_file(name, f.span(), allow_stack);
            }
            if has("files") {
                self.check_keys(t, &["files"], what)?;
                let f = t.get("files").ok_or_else(|| self.err("internal", None))?;
                if !allow_stack {
                    return Err(self.err("a stack of matrices cannot be an `init`", f.span()));
                }
                let arr = f
                    .as_array()
                    .ok_or_else(|| self.err("`files` must be an array of file names", f.span()))?;
                // Matrix Market coordinate files stay sparse; a stack with any dense file
                // (.npy, or an .mtx `array` file) is stored dense.
                enum Entry {
                    Dense(Tensor, bool),
                    Sparse(Triplets),
                }
                let mut items: Vec<(Entry, &str, Option<Range<usize>>)> = Vec::new();
                let mut first_shape: Option<Shape> = None;
                let mut total = 0usize;
                for v in arr.iter() {
                    let name = v.as_str().ok_or_else(|| {
                        self.err("`files` must be an array of file names", v.span())
                    })?;
                    let entry = match self.read_sparse(name, v.span())? {
                        Some(t) => Entry::Sparse(t),
                        None => match self.read_file(name, v.span(), false)? {
                            Spec::Inline(t, r) => Entry::Dense(t, r),
                            _ => return Err(self.err("a stack entry must be one matrix", v.span())),
                        },
                    };
                    let shape = match &entry {
                        Entry::Dense(t, _) => t.shape(),
                        Entry::Sparse(t) => Shape::Matrix(t.nrows, t.ncols),
                    };
                    if !matches!(shape, Shape::Matrix(..)) {
                        return Err(self.err(
                            format!("`{name}` is not a matrix (shape {shape})"),
                            v.span(),
                        ));
                    }
                    if let Some(first) = first_shape {
                        if first != shape {
                            return Err(self.err(format!("`{name}` has shape {shape} but the first matrix of the stack has {first}"), v.span()));
                        }
                    }
                    first_shape = Some(shape);
                    if let Entry::Sparse(t) = &entry {
                        total = total.saturating_add(t.entries.len());
                        if total > self.limits.max_elements {
                            return Err(self.err(
                                format!(
                                    "the stack has more than {} stored entries",
                                    self.limits.max_elements
                                ),
                                v.span(),
                            ));
                        }
                    }
                    items.push((entry, name, v.span()));
                }
                let Some(Shape::Matrix(m, n)) = first_shape else {
                    return Err(self.err("`files` is empty", f.span()));
                };
                if items.iter().all(|(e, _, _)| matches!(e, Entry::Sparse(_))) {
                    let lists = items
                        .into_iter()
                        .map(|(e, _, _)| match e {
                            Entry::Sparse(t) => t.entries,
                            Entry::Dense(..) => Vec::new(),
                        })
                        .collect();
                    let st = SparseStack::from_entries(m, n, lists)
                        .map_err(|e| self.err(format!("`files`: {e}"), f.span()))?;
                    return Ok(Spec::SparseStack(st));
                }
                let mut dense = Vec::with_capacity(items.len());
                let mut real = true;
                for (e, name, span) in items {
                    let (t, r) = match e {
                        Entry::Dense(t, r) => (t, r),
                        Entry::Sparse(t) => {
                            let wrap = |e: ReadError| {
                                self.err(
                                    format!("cannot read `{name}`: {}", e.message),
                                    span.clone(),
                                )
                            };
                            let raw = t.to_dense_with_limits(&self.limits).map_err(wrap)?;
                            let r = !raw.is_complex;
                            (self.raw_to_tensor(raw, span.clone())?, r)
                        }
                    };
                    real &= r;
                    dense.push(t);
                }
                return Ok(Spec::Stack(dense, real));
            }
            if has("re") || has("im") {
                self.check_keys(t, &["re", "im"], what)?;
                let re_item = t.get("re").ok_or_else(|| {
                    self.err(
                        format!("{what}: a complex value needs `re` (and optionally `im`)"),
                        item.span(),
                    )
                })?;
                let (shape, re) = self.inline_real(re_item)?;
                let im = match t.get("im") {
                    Some(i) => {
                        let (s2, im) = self.inline_real(i)?;
                        if s2 != shape {
                            return Err(self.err(
                                format!("`im` has shape {s2} but `re` has shape {shape}"),
                                i.span(),
                            ));
                        }
                        im
                    }
                    None => vec![0.0; re.len()],
                };
                let data = re.iter().zip(&im).map(|(&a, &b)| C64::new(a, b)).collect();
                return Ok(Spec::Inline(Tensor::from_parts(shape, data), false));
            }
            return Err(self
                .err(format!("{what}: unrecognized value"), item.span())
                .with_note("a value is a number, an array, `{ re, im }`, `{ file }`, `{ files }`, `{ random, shape, seed }` or `{ expr }`"));
        }
        let (shape, re) = self.inline_real(item)?;
        Ok(Spec::Inline(Tensor::from_real(shape, &re), true))
    }

    fn dims(&self, item: &Item) -> Result<Vec<usize>, Diagnostic> {
        let bad = || {
            self.err(
                "`shape` must be [], [n] or [m, n] with non-negative integers",
                item.span(),
            )
        };
        let arr = item.as_array().ok_or_else(bad)?;
        let mut dims = Vec::new();
        for v in arr.iter() {
            match v.as_integer() {
                Some(n) if n >= 0 => dims.push(n as usize),
                _ => return Err(bad()),
            }
        }
        if dims.len() > 2 {
            return Err(bad());
        }
        Ok(dims)
    }

    /// A TOML number, array of numbers or array of equal-length arrays (rows), column-major out.
    fn inline_real(&self, item: &Item) -> Result<(Shape, Vec<f64>), Diagnostic> {
        let num = |v: &Value| -> Result<f64, Diagnostic> {
            let x = match v {
                Value::Integer(i) => *i.value() as f64,
                Value::Float(f) => *f.value(),
                _ => return Err(self.err("expected a number", v.span())),
            };
            if x.is_finite() {
                Ok(x)
            } else {
                Err(self.err(format!("non-finite value {x} in data"), v.span()))
            }
        };
        match item.as_value() {
            Some(Value::Array(a)) => {
                let all_arrays = a.iter().all(|v| matches!(v, Value::Array(_)));
                if a.is_empty() || !all_arrays {
                    let v: Vec<f64> = a.iter().map(num).collect::<Result<_, _>>()?;
                    return Ok((Shape::Vector(v.len()), v));
                }
                let rows: Vec<Vec<f64>> = a
                    .iter()
                    .map(|r| match r {
                        Value::Array(r) => r.iter().map(num).collect::<Result<Vec<f64>, _>>(),
                        other => {
                            Err(self.err("expected a row (an array of numbers)", other.span()))
                        }
                    })
                    .collect::<Result<_, _>>()?;
                let n = rows[0].len();
                for (i, r) in rows.iter().enumerate() {
                    if r.len() != n {
                        let span = a.get(i).and_then(|v| v.span());
                        return Err(self.err(
                            format!("row {i} has {} entries but row 0 has {n}", r.len()),
                            span,
                        ));
                    }
                }
                let m = rows.len();
                let mut data = Vec::with_capacity(m * n);
                for j in 0..n {
                    for r in &rows {
                        data.push(r[j]);
                    }
                }
                Ok((Shape::Matrix(m, n), data))
            }
            Some(v @ (Value::Integer(_) | Value::Float(_))) => Ok((Shape::Scalar, vec![num(v)?])),
            _ => Err(self.err(
                "expected a number, an array of numbers or an array of rows",
                item.span(),
            )),
        }
    }

    /// The triplets of a Matrix Market coordinate file (`None` for any other file, which
    /// [`Cx::read_file`] then reads).
    fn read_sparse(
        &self,
        name: &str,
        span: Option<Range<usize>>,
    ) -> Result<Option<Triplets>, Diagnostic> {
        let is_mtx = Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("mtx"));
        if !is_mtx {
            return Ok(None);
        }
        match read_mtx(&self.dir.join(name), &self.limits) {
            Ok(Mtx::Coordinate(t)) => Ok(Some(t)),
            Ok(Mtx::Dense(_)) => Ok(None),
            Err(e) => {
                let pos = match (e.line, e.column) {
                    (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
                    (Some(l), None) => format!(" (line {l})"),
                    _ => String::new(),
                };
                Err(self.err(format!("cannot read `{name}`{pos}: {}", e.message), span))
            }
        }
    }

    fn read_file(
        &self,
        name: &str,
        span: Option<Range<usize>>,
        allow_stack: bool,
    ) -> Result<Spec, Diagnostic> {
        let p = self.dir.join(name);
        let ext = Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .unwrap_or_default();
        let wrap = |e: ReadError| {
            let pos = match (e.line, e.column) {
                (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
                (Some(l), None) => format!(" (line {l})"),
                _ => String::new(),
            };
            self.err(
                format!("cannot read `{name}`{pos}: {}", e.message),
                span.clone(),
            )
        };
        let raw = match ext.as_str() {
            "npy" => read_npy(&p, &self.limits).map_err(wrap)?,
            "mtx" => match read_mtx(&p, &self.limits).map_err(wrap)? {
                Mtx::Dense(r) => r,
                Mtx::Coordinate(t) => t.to_dense_with_limits(&self.limits).map_err(wrap)?,
            },
            _ => {
                return Err(self
                    .err(format!("`{name}`: unsupported file type"), span)
                    .with_note(
                        "data files are .npy (float64 or complex128) or Matrix Market .mtx",
                    ))
            }
        };
        let real = !raw.is_complex;
        if raw.shape.len() == 3 {
            if !allow_stack {
                return Err(self.err(format!("`{name}` holds a 3-D array (a stack of matrices), which is not a value here"), span));
            }
            let (k, m, n) = (raw.shape[0], raw.shape[1], raw.shape[2]);
            let mut items = Vec::with_capacity(k);
            for s in 0..k {
                let d = raw.data[s * m * n..(s + 1) * m * n].to_vec();
                items.push(Tensor::from_parts(Shape::Matrix(m, n), d));
            }
            return Ok(Spec::Stack(items, real));
        }
        let t = self.raw_to_tensor(raw, span)?;
        Ok(Spec::Inline(t, real))
    }

    fn raw_to_tensor(
        &self,
        raw: RawArray,
        span: Option<Range<usize>>,
    ) -> Result<Tensor, Diagnostic> {
        let shape = Shape::from_dims(&raw.shape).ok_or_else(|| {
            self.err(
                format!("arrays of {} dimensions are not values", raw.shape.len()),
                span.clone(),
            )
        })?;
        Tensor::new(shape, raw.data).ok_or_else(|| self.err("internal: array size mismatch", span))
    }

    /// Evaluates data entries in dependency order; expressions may refer to entries in any order.
    fn resolve_data(
        &self,
        specs: Vec<(String, Range<usize>, Spec)>,
    ) -> Result<BTreeMap<String, DataValue>, Diagnostic> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, (k, span, _)) in specs.iter().enumerate() {
            if seen.insert(k.as_str(), i).is_some() {
                return Err(self.err(
                    format!("data entry `{k}` is defined twice"),
                    Some(span.clone()),
                ));
            }
        }
        let index: HashMap<&str, usize> = specs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.0.as_str(), i))
            .collect();
        let deps: Vec<Vec<usize>> = specs
            .iter()
            .map(|(_, _, s)| match s {
                Spec::Expr(e, _, _) => {
                    let mut names = Vec::new();
                    collect_names(e, &mut names);
                    names
                        .iter()
                        .filter_map(|n| index.get(n.as_str()).copied())
                        .collect()
                }
                _ => vec![],
            })
            .collect();
        // Depth-first topological order with cycle detection (iterative).
        let n = specs.len();
        let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
        let mut order = Vec::with_capacity(n);
        for root in 0..n {
            if state[root] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            state[root] = 1;
            while let Some(&mut (v, ref mut next)) = stack.last_mut() {
                if *next < deps[v].len() {
                    let w = deps[v][*next];
                    *next += 1;
                    match state[w] {
                        0 => {
                            state[w] = 1;
                            stack.push((w, 0));
                        }
                        1 => {
                            let pos = stack.iter().position(|&(x, _)| x == w).unwrap_or(0);
                            let mut cycle: Vec<&str> = stack[pos..]
                                .iter()
                                .map(|&(x, _)| specs[x].0.as_str())
                                .collect();
                            cycle.push(&specs[w].0);
                            return Err(self.err(
                                format!("data entries form a cycle: {}", cycle.join(" → ")),
                                Some(specs[w].1.clone()),
                            ));
                        }
                        _ => {}
                    }
                } else {
                    state[v] = 2;
                    order.push(v);
                    stack.pop();
                }
            }
        }
        let mut data: BTreeMap<String, DataValue> = BTreeMap::new();
        let mut specs: Vec<Option<(String, Range<usize>, Spec)>> =
            specs.into_iter().map(Some).collect();
        for i in order {
            let Some((k, _kspan, spec)) = specs[i].take() else {
                continue;
            };
            let v = match spec {
                Spec::Inline(t, real) => DataValue::Dense {
                    value: Arc::new(t),
                    real,
                },
                Spec::Stack(items, real) => DataValue::Stack {
                    items: Arc::new(items),
                    real,
                },
                Spec::SparseStack(st) => DataValue::SparseStack(Arc::new(st)),
                Spec::Expr(e, base, span) => {
                    let (t, real) = self.eval_data_expr(&e, base, &span, &data)?;
                    DataValue::Dense {
                        value: Arc::new(t),
                        real,
                    }
                }
            };
            data.insert(k, v);
        }
        Ok(data)
    }

    fn eval_data_expr(
        &self,
        e: &Expr,
        base: Option<usize>,
        span: &Range<usize>,
        data: &BTreeMap<String, DataValue>,
    ) -> Result<(Tensor, bool), Diagnostic> {
        let mut g = Graph::default();
        let id = Lowerer::new(&mut g, &[], data, Context::Data)
            .lower(e)
            .map_err(|le| self.lower_err(&le, base, span))?;
        let ty = g.ty(id);
        let v =
            evaluate(&g, id, &[], &[]).map_err(|ee| self.err(ee.message, Some(span.clone())))?;
        let t = v
            .get(id)
            .cloned()
            .ok_or_else(|| self.err("internal: no value", Some(span.clone())))?;
        if !t.is_finite() {
            return Err(self.err(
                "the expression produced non-finite values (NaN or Inf)",
                Some(span.clone()),
            ));
        }
        Ok((t, ty.real))
    }

    fn parse_err(&self, pe: &ParseError, base: Option<usize>, whole: &Range<usize>) -> Diagnostic {
        let span = match base {
            Some(b) => b + pe.span.start..b + pe.span.end.max(pe.span.start),
            None => whole.clone(),
        };
        let d = self.err(format!("expression syntax: {}", pe.message), Some(span));
        match &pe.note {
            Some(n) => d.with_note(n.clone()),
            None => d,
        }
    }

    fn lower_err(&self, le: &LowerError, base: Option<usize>, whole: &Range<usize>) -> Diagnostic {
        let span = match base {
            Some(b) => b + le.span.start..b + le.span.end.max(le.span.start),
            None => whole.clone(),
        };
        let d = self.err(le.message.clone(), Some(span));
        match &le.note {
            Some(n) => d.with_note(n.clone()),
            None => d,
        }
    }

    // ---------- variables ----------

    fn variables(
        &self,
        root: &toml_edit::Table,
        data: &BTreeMap<String, DataValue>,
    ) -> Result<Vec<Variable>, Diagnostic> {
        let item = root.get("variables").ok_or_else(|| {
            self.err("the problem has no [variables] table", Some(0..0))
                .with_note(
                    "declare at least one variable, e.g. `z = { type = \"complex\", shape = [3] }`",
                )
        })?;
        let t = self.table(item, "variables")?;
        if t.is_empty() {
            return Err(self
                .err("[variables] is empty", item.span())
                .with_note("declare at least one variable"));
        }
        let mut out: Vec<Variable> = Vec::new();
        for (k, v) in t.iter() {
            let kspan = t.get_key_value(k).and_then(|(key, _)| key.span());
            self.check_name(k, kspan.clone(), "variable")?;
            if data.contains_key(k) {
                return Err(self.err(format!("`{k}` is both a variable and a data entry"), kspan));
            }
            let vt = v.as_table_like().ok_or_else(|| {
                self.err(
                    format!(
                        "variable `{k}` must be a table like {{ type = \"complex\", shape = [n] }}"
                    ),
                    v.span(),
                )
            })?;
            self.check_keys(vt, &["type", "shape", "init"], &format!("variable `{k}`"))?;
            let real = match vt.get("type") {
                None => false,
                Some(ti) => match self.string(ti, "`type`")? {
                    "complex" => false,
                    "real" => true,
                    other => {
                        return Err(self
                            .err(format!("unknown variable type `{other}`"), ti.span())
                            .with_note("the types are \"complex\" and \"real\""))
                    }
                },
            };
            let shape = match vt.get("shape") {
                None => Shape::Scalar,
                Some(si) => {
                    let dims = self.dims(si)?;
                    let s =
                        Shape::from_dims(&dims).ok_or_else(|| self.err("bad shape", si.span()))?;
                    if s.numel() > self.limits.max_elements {
                        return Err(self.err(
                            format!("variable `{k}` of shape {s} is too large"),
                            si.span(),
                        ));
                    }
                    s
                }
            };
            let ty = Ty { shape, real };
            let init = match vt.get("init") {
                None => None,
                Some(ii) => Some(self.init_value(ii, k, ty, data)?),
            };
            out.push(Variable {
                name: k.to_string(),
                ty,
                init,
            });
        }
        Ok(out)
    }

    fn init_value(
        &self,
        item: &Item,
        name: &str,
        ty: Ty,
        data: &BTreeMap<String, DataValue>,
    ) -> Result<Tensor, Diagnostic> {
        let span = item.span();
        let (t, real) = match self.value_spec(item, &format!("init of `{name}`"), false)? {
            Spec::Inline(t, r) => (t, r),
            Spec::Expr(e, base, sp) => self.eval_data_expr(&e, base, &sp, data)?,
            Spec::Stack(..) | Spec::SparseStack(_) => {
                return Err(self.err("an init cannot be a stack of matrices", span))
            }
        };
        if !t.shape().same_layout(&ty.shape) {
            return Err(self.err(
                format!(
                    "init of `{name}` has shape {} but the variable has shape {}",
                    t.shape(),
                    ty.shape
                ),
                span,
            ));
        }
        if ty.real && !(real || t.is_real()) {
            return Err(self
                .err(format!("init of real variable `{name}` is complex"), span)
                .with_note("a real variable's init must be real"));
        }
        Ok(t.reshaped(ty.shape)
            .unwrap_or_else(|| Tensor::zeros(ty.shape)))
    }

    // ---------- objective, constraints, solver ----------

    fn objective(
        &self,
        root: &toml_edit::Table,
        graph: &mut Graph,
        vars: &[(String, Ty)],
        data: &BTreeMap<String, DataValue>,
    ) -> Result<(Sense, usize), Diagnostic> {
        let item = root.get("objective").ok_or_else(|| {
            self.err("the problem has no [objective] table", Some(0..0))
                .with_note("add `[objective]` with `minimize = \"...\"` or `maximize = \"...\"`")
        })?;
        let t = self.table(item, "objective")?;
        self.check_keys(t, &["minimize", "maximize"], "[objective]")?;
        let (sense, key) = match (t.get("minimize"), t.get("maximize")) {
            (Some(_), Some(_)) => {
                return Err(self
                    .err(
                        "the objective has both `minimize` and `maximize`",
                        self.key_span(t, "maximize"),
                    )
                    .with_note("give exactly one of them"))
            }
            (Some(_), None) => (Sense::Minimize, "minimize"),
            (None, Some(_)) => (Sense::Maximize, "maximize"),
            (None, None) => {
                return Err(self
                    .err(
                        "[objective] has neither `minimize` nor `maximize`",
                        item.span(),
                    )
                    .with_note(
                        "give exactly one of them, e.g. `minimize = \"norm2sq(A * z - b)\"`",
                    ))
            }
        };
        let e_item = t.get(key).ok_or_else(|| self.err("internal", None))?;
        let src = self.string(e_item, &format!("`{key}`"))?;
        let base = string_content_offset(&self.src, e_item.span());
        let whole = e_item.span().unwrap_or(0..0);
        let e = parse_expression(src).map_err(|pe| self.parse_err(&pe, base, &whole))?;
        let id = Lowerer::new(graph, vars, data, Context::Objective)
            .lower(&e)
            .map_err(|le| self.lower_err(&le, base, &whole))?;
        let ty = graph.ty(id);
        let espan = Some(match base {
            Some(b) => b + e.span.start..b + e.span.end,
            None => whole.clone(),
        });
        if !ty.shape.is_scalar() {
            return Err(self
                .err(
                    format!(
                        "the objective must be a scalar, but this expression has shape {}",
                        ty.shape
                    ),
                    espan,
                )
                .with_note("reduce it with sum(...), norm2(...) or norm2sq(...)"));
        }
        if !ty.real {
            return Err(self
                .err("the objective is complex-valued; only real objectives can be minimized or maximized", espan)
                .with_note("wrap it in real(...), abs(...) or abs2(...), or use a real-valued form such as norm2sq(...)"));
        }
        Ok((sense, id))
    }

    fn constraints(
        &self,
        item: Option<&Item>,
        graph: &mut Graph,
        vars: &[(String, Ty)],
        data: &BTreeMap<String, DataValue>,
    ) -> Result<Vec<Constraint>, Diagnostic> {
        let Some(item) = item else { return Ok(vec![]) };
        let tables: Vec<&dyn TableLike> =
            match item {
                Item::ArrayOfTables(a) => a.iter().map(|t| t as &dyn TableLike).collect(),
                Item::Value(Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_inline_table()
                            .map(|t| t as &dyn TableLike)
                            .ok_or_else(|| {
                                self.err("each constraint must be a table with `expr`", v.span())
                            })
                    })
                    .collect::<Result<_, _>>()?,
                _ => return Err(self
                    .err("`constraints` must be an array of tables", item.span())
                    .with_note(
                        "write each constraint as `[[constraints]]` followed by `expr = \"...\"`",
                    )),
            };
        let mut out = Vec::new();
        for t in tables {
            self.check_keys(t, &["expr"], "a constraint")?;
            let e_item = t
                .get("expr")
                .ok_or_else(|| self.err("a constraint needs `expr`", None))?;
            let src = self.string(e_item, "`expr`")?;
            let base = string_content_offset(&self.src, e_item.span());
            let whole = e_item.span().unwrap_or(0..0);
            let e = parse_expression(src).map_err(|pe| self.parse_err(&pe, base, &whole))?;
            let (op, lhs, rhs) = Lowerer::new(graph, vars, data, Context::Constraint)
                .lower_constraint(&e)
                .map_err(|le| self.lower_err(&le, base, &whole))?;
            out.push(Constraint {
                op,
                lhs,
                rhs,
                span: Some(whole),
            });
        }
        Ok(out)
    }

    fn solver(&self, item: Option<&Item>) -> Result<SolverSettings, Diagnostic> {
        let Some(item) = item else {
            return Ok(SolverSettings::default());
        };
        let t = self.table(item, "solver")?;
        self.check_keys(
            t,
            &["method", "max_iter", "tol", "memory_limit"],
            "[solver]",
        )?;
        let mut s = SolverSettings::default();
        if let Some(m) = t.get("method") {
            let name = self.string(m, "`method`")?;
            if !METHODS.contains(&name) {
                let mut d = self.err(format!("unknown method `{name}`"), m.span());
                d = d.with_note(match closest(name, METHODS) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => format!("the methods are {}", METHODS.join(", ")),
                });
                return Err(d);
            }
            s.method = Some(name.to_string());
        }
        if let Some(m) = t.get("max_iter") {
            match m.as_integer() {
                Some(n) if n >= 0 => s.max_iter = Some(n as u64),
                _ => return Err(self.err("`max_iter` must be a non-negative integer", m.span())),
            }
        }
        if let Some(m) = t.get("tol") {
            let v = self.number(m, "`tol`")?;
            if v < 0.0 {
                return Err(self.err(
                    "`tol` must be non-negative (0 means never stop on tolerance)",
                    m.span(),
                ));
            }
            s.tol = Some(v);
        }
        if let Some(m) = t.get("memory_limit") {
            let v = self.number(m, "`memory_limit`")?;
            if !(v > 0.0 && v.is_finite()) {
                return Err(self.err("`memory_limit` must be a positive number of GiB", m.span()));
            }
            s.memory_limit = Some(v);
        }
        Ok(s)
    }
}

/// Byte offset in the file where the content of a single-line TOML string starts, when the
/// content maps one-to-one onto the file text (no escapes), so that positions inside an
/// expression become positions in the file.
fn string_content_offset(src: &str, span: Option<Range<usize>>) -> Option<usize> {
    let span = span?;
    let raw = src.get(span.clone())?;
    let (open, body) = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        let body = raw.get(3..raw.len().checked_sub(3)?)?;
        let skip = if body.starts_with("\r\n") {
            2
        } else if body.starts_with('\n') {
            1
        } else {
            0
        };
        (3 + skip, &body[skip..])
    } else if raw.starts_with('"') || raw.starts_with('\'') {
        (1, raw.get(1..raw.len().checked_sub(1)?)?)
    } else {
        return None;
    };
    if raw.starts_with('"') && body.contains('\\') {
        return None;
    }
    Some(span.start + open)
}

fn collect_names(e: &Expr, out: &mut Vec<String>) {
    out.extend(e.subexpressions().filter_map(|s| match &s.kind {
        ExprKind::Name(n) => Some(n.clone()),
        _ => None,
    }));
}
