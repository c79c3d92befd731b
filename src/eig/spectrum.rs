//! The spectrum of every eigenvalue and singular-value atom of a problem at a point.
//!
//! For each atom φ(A(x)) of the objective and of the constraints, [`spectrum`] evaluates the
//! matrix argument at the point and decomposes it with faer:
//! - `lambda_max`, `lambda_min`, `sum_largest`, `sum_smallest`: the Hermitian part
//!   H = (A + Aᴴ)/2 (the matrix the function is defined on, contract §2) and its eigenvalues
//!   λ₁ ≥ … ≥ λₙ (faer's Hermitian eigensolver);
//! - `sigma_max`, `norm_nuc`: the (rectangular) matrix A itself and its singular values
//!   σ₁ ≥ … ≥ σ_min(m,n) (faer's SVD);
//! - `lambda_max(A, B)`, `lambda_min(A, B)`: the Hermitian parts of A and of B and the
//!   generalized eigenvalues of A v = λ B v, λ₁ ≥ … ≥ λₙ, computed as the eigenvalues of
//!   L⁻¹ A L⁻ᴴ with B = L Lᴴ (Cholesky; Golub & Van Loan, *Matrix Computations*, 4th ed., §8.7.2).
//!
//! Values are always in descending order, so `values[0]` is the one `lambda_max`/`sigma_max`
//! takes. The atom's value φ is recomputed from them ([`SpectralAtom::value`]) and agrees with
//! the engine's value of the atom node.
//!
//! Each atom is listed once per place it appears in (the objective, or constraint i), ordered as
//! in the graph (the order the lowering met them, which is the textual order). Its label names the
//! function and the place; [`Spectrum::locate`] adds line and column in the problem file when its
//! text is at hand.
//!
//! ```
//! use wirtinger::eig::spectrum::spectrum;
//! let toml = r#"
//! [variables]
//! x = { type = "real", shape = [1], init = [1.0] }
//! [data]
//! A0 = [[2.0, 0.0], [0.0, 1.0]]
//! A1 = [[0.0, 1.0], [1.0, 0.0]]
//! [objective]
//! minimize = "lambda_max(A0 + x[0] * A1)"
//! "#;
//! let p = wirtinger::io::parse_problem(toml, "p.toml".as_ref()).unwrap();
//! let mut s = spectrum(&p, &p.initial_point()).unwrap();
//! s.locate(toml);
//! let a = &s.atoms[0];
//! // [[2, 1], [1, 1]] has eigenvalues (3 ± √5)/2.
//! assert!((a.values[0] - (3.0 + 5f64.sqrt()) / 2.0).abs() < 1e-14);
//! assert_eq!(a.value, a.values[0]);
//! assert!(a.label.starts_with("lambda_max in the objective"));
//! assert!(a.label.contains("(line 8, column 13)"));
//! ```

use crate::cr::{Coords, Graph, NodeId, Op, Spectral, Values};
use crate::expr::{parse_expression, Expr, ExprKind};
use crate::model::{Problem, Tensor};
use crate::{Diagnostic, Error};
use faer::{Mat, Side};
use num_complex::Complex64 as C64;
use std::ops::Range;

/// Which eigenvalue or singular-value function an atom is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtomFunction {
    /// λ_max(A)
    LambdaMax,
    /// λ_min(A)
    LambdaMin,
    /// λ₁ + … + λ_k
    SumLargest(usize),
    /// λₙ + … + λₙ₋ₖ₊₁
    SumSmallest(usize),
    /// σ_max(A)
    SigmaMax,
    /// Σ σᵢ(A)
    NormNuc,
    /// largest generalized eigenvalue of (A, B)
    GenLambdaMax,
    /// smallest generalized eigenvalue of (A, B)
    GenLambdaMin,
}

impl AtomFunction {
    /// The name in the expression language (`sum_largest(·, 3)` with its k).
    pub fn name(&self) -> String {
        match self {
            AtomFunction::LambdaMax => "lambda_max".into(),
            AtomFunction::LambdaMin => "lambda_min".into(),
            AtomFunction::SumLargest(k) => format!("sum_largest(·, {k})"),
            AtomFunction::SumSmallest(k) => format!("sum_smallest(·, {k})"),
            AtomFunction::SigmaMax => "sigma_max".into(),
            AtomFunction::NormNuc => "norm_nuc".into(),
            AtomFunction::GenLambdaMax => "lambda_max(·, B)".into(),
            AtomFunction::GenLambdaMin => "lambda_min(·, B)".into(),
        }
    }
    /// The bare function name as written in a file (`sum_largest`).
    pub fn keyword(&self) -> &'static str {
        match self {
            AtomFunction::LambdaMax | AtomFunction::GenLambdaMax => "lambda_max",
            AtomFunction::LambdaMin | AtomFunction::GenLambdaMin => "lambda_min",
            AtomFunction::SumLargest(_) => "sum_largest",
            AtomFunction::SumSmallest(_) => "sum_smallest",
            AtomFunction::SigmaMax => "sigma_max",
            AtomFunction::NormNuc => "norm_nuc",
        }
    }
    /// True for `sigma_max` and `norm_nuc` (values are singular values).
    pub fn singular(&self) -> bool {
        matches!(self, AtomFunction::SigmaMax | AtomFunction::NormNuc)
    }
    /// φ from the values in descending order.
    pub fn apply(&self, values: &[f64]) -> f64 {
        let n = values.len();
        match *self {
            AtomFunction::LambdaMax | AtomFunction::GenLambdaMax | AtomFunction::SigmaMax => {
                values.first().copied().unwrap_or(f64::NAN)
            }
            AtomFunction::LambdaMin | AtomFunction::GenLambdaMin => {
                values.last().copied().unwrap_or(f64::NAN)
            }
            AtomFunction::SumLargest(k) => values[..k.min(n)].iter().sum(),
            AtomFunction::SumSmallest(k) => values[n - k.min(n)..].iter().sum(),
            AtomFunction::NormNuc => values.iter().sum(),
        }
    }
    /// The atom function of a graph node, if it is one.
    pub fn of_node(g: &Graph, id: NodeId) -> Option<AtomFunction> {
        let n = g.node(id);
        let embed = || {
            n.args
                .first()
                .is_some_and(|&a| matches!(g.node(a).op, Op::Embed))
        };
        Some(match &n.op {
            Op::SpectralValue(Spectral::Largest(1)) if embed() => AtomFunction::SigmaMax,
            Op::SpectralValue(Spectral::HalfAbsSum) if embed() => AtomFunction::NormNuc,
            Op::SpectralValue(Spectral::Largest(1)) => AtomFunction::LambdaMax,
            Op::SpectralValue(Spectral::Smallest(1)) => AtomFunction::LambdaMin,
            Op::SpectralValue(Spectral::Largest(k)) => AtomFunction::SumLargest(*k),
            Op::SpectralValue(Spectral::Smallest(k)) => AtomFunction::SumSmallest(*k),
            Op::GenEigValue(true) => AtomFunction::GenLambdaMax,
            Op::GenEigValue(false) => AtomFunction::GenLambdaMin,
            // ½ Σ|λ| of a Hermitian matrix is not in the language except as norm_nuc.
            _ => return None,
        })
    }
}

/// Where an atom appears.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// In the objective.
    Objective,
    /// In constraint i (0-based index into [`Problem::constraints`]).
    Constraint(usize),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Objective => write!(f, "the objective"),
            Place::Constraint(i) => write!(f, "constraint {}", i + 1),
        }
    }
}

/// One atom at the point.
#[derive(Clone, Debug)]
pub struct SpectralAtom {
    /// Which function.
    pub function: AtomFunction,
    /// The atom's node (its value is φ).
    pub node: NodeId,
    /// The node whose value is [`Self::matrix`] before symmetrization: the Hermitian-part node
    /// for eigenvalue atoms, A for `sigma_max`/`norm_nuc`, the Hermitian part of A for the
    /// generalized ones.
    pub argument: NodeId,
    /// Where it appears.
    pub place: Place,
    /// 1-based position among the atoms of its place.
    pub ordinal: usize,
    /// Byte range of the atom's call in the problem file, when [`Spectrum::locate`] found it.
    pub span: Option<Range<usize>>,
    /// Human-readable label, e.g. ``lambda_max in the objective`` or
    /// ``sigma_max #2 in constraint 1 (line 12, column 9)``.
    pub label: String,
    /// The matrix argument at the point: the Hermitian part for eigenvalue atoms, A for
    /// singular-value atoms.
    pub matrix: Mat<C64>,
    /// B (Hermitian part) for the generalized eigenvalue atoms.
    pub metric: Option<Mat<C64>>,
    /// Eigenvalues (singular values for `sigma_max`/`norm_nuc`), descending.
    pub values: Vec<f64>,
    /// φ recomputed from [`Self::values`].
    pub value: f64,
}

/// Every spectral atom of a problem at one point.
#[derive(Clone, Debug)]
pub struct Spectrum {
    /// The atoms, objective first, then constraint by constraint.
    pub atoms: Vec<SpectralAtom>,
    /// The problem's variable names (used by [`Spectrum::locate`]).
    pub variables: Vec<String>,
}

/// The spectral atoms reachable from `root`, in node order.
fn atoms_under(g: &Graph, root: NodeId) -> Vec<(NodeId, AtomFunction)> {
    let mut mark = vec![false; root + 1];
    mark[root] = true;
    for id in (0..=root).rev() {
        if mark[id] {
            for &a in &g.node(id).args {
                mark[a] = true;
            }
        }
    }
    (0..=root)
        .filter(|&id| mark[id])
        .filter_map(|id| AtomFunction::of_node(g, id).map(|f| (id, f)))
        .collect()
}

/// The places of a problem and the atoms of each, in order.
pub fn atom_nodes(problem: &Problem) -> Vec<(Place, Vec<(NodeId, AtomFunction)>)> {
    let g = &problem.graph;
    let mut out = vec![(Place::Objective, atoms_under(g, problem.objective))];
    for (i, c) in problem.constraints.iter().enumerate() {
        let mut a = atoms_under(g, c.lhs);
        for x in atoms_under(g, c.rhs) {
            if !a.contains(&x) {
                a.push(x);
            }
        }
        a.sort_by_key(|x| x.0);
        out.push((Place::Constraint(i), a));
    }
    out
}

fn to_mat(t: &std::sync::Arc<Tensor>) -> Mat<C64> {
    t.as_mat().to_owned()
}

/// (M + Mᴴ)/2.
pub fn hermitian_part(m: &Mat<C64>) -> Mat<C64> {
    let n = m.nrows();
    Mat::from_fn(n, n, |i, j| (m[(i, j)] + m[(j, i)].conj()) * 0.5)
}

/// Eigenvalues of a Hermitian matrix, descending.
pub fn eigenvalues_desc(h: &Mat<C64>) -> Result<Vec<f64>, String> {
    if !h.as_ref().is_all_finite() {
        return Err("the matrix has non-finite entries".into());
    }
    let mut v: Vec<f64> = h
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|e| format!("the eigenvalue solver did not converge ({e:?})"))?;
    v.reverse();
    Ok(v)
}

/// Singular values, descending.
pub fn singular_values_desc(a: &Mat<C64>) -> Result<Vec<f64>, String> {
    if !a.as_ref().is_all_finite() {
        return Err("the matrix has non-finite entries".into());
    }
    if a.nrows() == 0 || a.ncols() == 0 {
        return Ok(Vec::new());
    }
    a.singular_values()
        .map_err(|e| format!("the SVD did not converge ({e:?})"))
}

/// Generalized eigenvalues of A v = λ B v (A Hermitian, B Hermitian positive definite),
/// descending, as the eigenvalues of L⁻¹ A L⁻ᴴ with B = L Lᴴ.
pub fn generalized_eigenvalues_desc(a: &Mat<C64>, b: &Mat<C64>) -> Result<Vec<f64>, String> {
    if !a.as_ref().is_all_finite() || !b.as_ref().is_all_finite() {
        return Err("the matrices have non-finite entries".into());
    }
    let llt = b
        .llt(Side::Lower)
        .map_err(|_| "B is not positive definite".to_string())?;
    let l = llt.L();
    // C = L⁻¹ A L⁻ᴴ: solve L X = A, then L Cᴴ = Xᴴ (C Hermitian, so C = (L⁻¹ Xᴴ)ᴴ).
    let mut x = a.clone();
    faer::linalg::triangular_solve::solve_lower_triangular_in_place(l, x.as_mut(), faer::Par::Seq);
    let mut c = x.adjoint().to_owned();
    faer::linalg::triangular_solve::solve_lower_triangular_in_place(l, c.as_mut(), faer::Par::Seq);
    eigenvalues_desc(&hermitian_part(&c))
}

/// Evaluates every spectral atom of `problem` at `point` (stacked as in
/// [`Problem::initial_point`]; real variables' imaginary parts are ignored).
///
/// Errors: a point of the wrong length, or an evaluation failure (e.g. an argument that is not
/// Hermitian at this point, a B that is not positive definite).
pub fn spectrum(problem: &Problem, point: &[C64]) -> Result<Spectrum, Error> {
    if point.len() != problem.dim() {
        return Err(Diagnostic::new(format!(
            "the point has {} entries but the problem's variables have {}",
            point.len(),
            problem.dim()
        ))
        .into());
    }
    let g = &problem.graph;
    let coords = Coords::new(&problem.var_types());
    let x = coords.coordinates(point);
    let mut values = Values::new(g, &coords.tensors(&x), &[]);
    let mut atoms = Vec::new();
    for (place, list) in atom_nodes(problem) {
        for (ordinal, (node, function)) in list.into_iter().enumerate() {
            let args = &g.node(node).args;
            let fail = |m: String| -> Error {
                crate::cr::EvalError {
                    node,
                    message: format!("{} in {place}: {m}", function.name()),
                }
                .into()
            };
            let (argument, matrix, metric, vals) = if function.singular() {
                // SpectralValue(Embed(A)): A is the Embed node's argument.
                let a_node = g.node(args[0]).args[0];
                let a = to_mat(&values.ensure_get(g, a_node)?);
                let s = singular_values_desc(&a).map_err(fail)?;
                (a_node, a, None, s)
            } else if matches!(
                function,
                AtomFunction::GenLambdaMax | AtomFunction::GenLambdaMin
            ) {
                let a = hermitian_part(&to_mat(&values.ensure_get(g, args[0])?));
                let b = hermitian_part(&to_mat(&values.ensure_get(g, args[1])?));
                let s = generalized_eigenvalues_desc(&a, &b).map_err(fail)?;
                (args[0], a, Some(b), s)
            } else {
                let h = hermitian_part(&to_mat(&values.ensure_get(g, args[0])?));
                let s = eigenvalues_desc(&h).map_err(fail)?;
                (args[0], h, None, s)
            };
            let value = function.apply(&vals);
            atoms.push(SpectralAtom {
                function,
                node,
                argument,
                place,
                ordinal: ordinal + 1,
                span: None,
                label: String::new(),
                matrix,
                metric,
                values: vals,
                value,
            });
        }
    }
    let mut s = Spectrum {
        atoms,
        variables: problem.variables.iter().map(|v| v.name.clone()).collect(),
    };
    s.relabel(None);
    Ok(s)
}

impl Spectrum {
    fn relabel(&mut self, src: Option<&str>) {
        let counts =
            |p: Place, atoms: &[SpectralAtom]| atoms.iter().filter(|a| a.place == p).count();
        let totals: Vec<usize> = self
            .atoms
            .iter()
            .map(|a| counts(a.place, &self.atoms))
            .collect();
        for (a, total) in self.atoms.iter_mut().zip(totals) {
            let nth = if total > 1 {
                format!(" #{}", a.ordinal)
            } else {
                String::new()
            };
            let mut label = format!("{}{nth} in {}", a.function.name(), a.place);
            if let (Some(src), Some(span)) = (src, &a.span) {
                let (l, c) = crate::error::line_col(src, span.start);
                label.push_str(&format!(" (line {l}, column {c})"));
            }
            a.label = label;
        }
    }

    /// Finds each atom's call in the problem file's text and adds its line and column to the
    /// label. An atom is located when the calls of eigenvalue functions written in its
    /// expression (counted once per distinct text, in the order the lowering meets them; if
    /// their number differs from the graph's atoms, only those that depend on a variable, since
    /// the lowering may fold calls over data alone into constants) match the graph's atoms one
    /// to one; otherwise its label stays without position. Text that is not valid TOML leaves
    /// every label as it is.
    pub fn locate(&mut self, source: &str) {
        let Ok(doc) = source.parse::<toml_edit::ImDocument<String>>() else {
            return;
        };
        let root = doc.as_table();
        let mut exprs: Vec<(Place, Option<Range<usize>>)> = Vec::new();
        if let Some(t) = root.get("objective").and_then(|i| i.as_table_like()) {
            let item = t.get("minimize").or_else(|| t.get("maximize"));
            exprs.push((Place::Objective, item.and_then(|i| i.span())));
        }
        if let Some(arr) = root.get("constraints").and_then(|i| i.as_array_of_tables()) {
            for (i, t) in arr.iter().enumerate() {
                exprs.push((Place::Constraint(i), t.get("expr").and_then(|i| i.span())));
            }
        }
        for (place, span) in exprs {
            let Some(span) = span else { continue };
            let Some((base, text)) = string_content(source, span) else {
                continue;
            };
            let Ok(e) = parse_expression(text) else {
                continue;
            };
            let mut calls: Vec<(String, Range<usize>, bool)> = Vec::new();
            collect_calls(&e, &self.variables, &mut calls);
            let mut seen = std::collections::HashSet::new();
            calls.retain(|(s, _, _)| seen.insert(s.clone()));
            let ours: Vec<usize> = (0..self.atoms.len())
                .filter(|&i| self.atoms[i].place == place)
                .collect();
            if ours.len() != calls.len() {
                calls.retain(|c| c.2);
                if ours.len() != calls.len() {
                    continue;
                }
            }
            for (i, (_, r, _)) in ours.into_iter().zip(calls) {
                self.atoms[i].span = Some(base + r.start..base + r.end);
            }
        }
        self.relabel(Some(source));
    }
}

const SPECTRAL_CALLS: [&str; 6] = [
    "lambda_max",
    "lambda_min",
    "sum_largest",
    "sum_smallest",
    "sigma_max",
    "norm_nuc",
];

/// Calls of spectral functions in post-order (arguments before the call, as the lowering
/// creates nodes), with their text, span in the expression, and whether they mention a
/// variable.
fn collect_calls(e: &Expr, vars: &[String], out: &mut Vec<(String, Range<usize>, bool)>) {
    // Iterative post-order (the parser bounds the depth, but stay non-recursive anyway).
    let mut stack: Vec<(&Expr, bool)> = vec![(e, false)];
    while let Some((e, done)) = stack.pop() {
        if done {
            if let ExprKind::Call { name, .. } = &e.kind {
                if SPECTRAL_CALLS.contains(&name.as_str()) {
                    out.push((e.to_string(), e.span.clone(), mentions(e, vars)));
                }
            }
            continue;
        }
        stack.push((e, true));
        for c in e.children().rev() {
            stack.push((c, false));
        }
    }
}

/// Whether a name of `vars` occurs in `e`.
fn mentions(e: &Expr, vars: &[String]) -> bool {
    e.subexpressions()
        .any(|s| matches!(&s.kind, ExprKind::Name(n) if vars.contains(n)))
}

/// The content of a single-line TOML string item and the byte offset where it starts in the
/// file, when the content maps one to one onto the file text (no escapes).
fn string_content(src: &str, span: Range<usize>) -> Option<(usize, &str)> {
    let raw = src.get(span.clone())?;
    let (open, close) = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        (3, 3)
    } else if raw.starts_with('"') || raw.starts_with('\'') {
        (1, 1)
    } else {
        return None;
    };
    let mut body = raw.get(open..raw.len().checked_sub(close)?)?;
    let mut start = span.start + open;
    if open == 3 {
        if let Some(b) = body
            .strip_prefix("\r\n")
            .or_else(|| body.strip_prefix('\n'))
        {
            start += body.len() - b.len();
            body = b;
        }
    }
    if raw.starts_with('"') && body.contains('\\') {
        return None;
    }
    Some((start, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Problem {
        crate::io::parse_problem(src, "t.toml".as_ref()).unwrap()
    }

    #[test]
    fn every_atom_with_its_values() {
        let src = r#"
[variables]
z = { type = "complex", shape = [2], init = { re = [1.0, 0.5], im = [0.0, -1.0] } }
[data]
H = { re = [[2.0, 0.0], [0.0, -1.0]], im = [[0.0, 1.0], [-1.0, 0.0]] }
M = [[1.0, 2.0, 0.0], [0.0, 1.0, 3.0]]
[objective]
minimize = "lambda_max(H + real(z[0]) * eye(2)) + sigma_max(M + real(z[1]) * M) + norm_nuc(M)"
[[constraints]]
expr = "sum_largest(H * imag(z[1]), 1) + lambda_min(H) <= 3"
"#;
        let p = parse(src);
        let mut s = spectrum(&p, &p.initial_point()).unwrap();
        s.locate(src);
        // objective: lambda_max, sigma_max, norm_nuc; constraint: sum_largest(·, 1), which is
        // lambda_max (lambda_min(H) of data alone is folded to a constant)
        assert_eq!(s.atoms.len(), 4);
        let a = &s.atoms[0];
        assert_eq!(a.function, AtomFunction::LambdaMax);
        // H + I = [[3, i], [−i, 0]]: eigenvalues (3 ± √13)/2.
        assert!((a.values[0] - (3.0 + 13f64.sqrt()) / 2.0).abs() < 1e-13);
        assert!((a.values[1] - (3.0 - 13f64.sqrt()) / 2.0).abs() < 1e-13);
        assert!(a
            .label
            .starts_with("lambda_max #1 in the objective (line 8, column 13)"));
        let b = &s.atoms[1];
        assert_eq!(b.function, AtomFunction::SigmaMax);
        assert_eq!((b.matrix.nrows(), b.matrix.ncols()), (2, 3));
        // 1.5·M: singular values 1.5·σ(M); σ(M)² are the eigenvalues of MMᵀ = [[5, 2], [2, 10]].
        let l = (15.0 + (25.0f64 + 16.0).sqrt()) / 2.0;
        assert!((b.values[0] - 1.5 * l.sqrt()).abs() < 1e-13);
        assert!(b.label.contains("column 51"), "{}", b.label);
        // norm_nuc(M) = σ₁ + σ₂ of M
        assert!((s.atoms[2].value - (l.sqrt() + (15.0 - l).sqrt())).abs() < 1e-13);
        let c = &s.atoms[3];
        assert_eq!(c.place, Place::Constraint(0));
        assert_eq!(c.function, AtomFunction::LambdaMax);
        // H·(−1): eigenvalues of −H
        assert!((c.value + (1.0 - 13f64.sqrt()) / 2.0).abs() < 1e-13);
        assert!(c.label.contains("in constraint 1 (line 10"), "{}", c.label);
        // the values agree with the engine's own atom values
        let coords = Coords::new(&p.var_types());
        let x = coords.coordinates(&p.initial_point());
        let mut v = Values::new(&p.graph, &coords.tensors(&x), &[]);
        for a in &s.atoms {
            let e = v.ensure_get(&p.graph, a.node).unwrap().data()[0].re;
            assert!((e - a.value).abs() < 1e-12 * e.abs().max(1.0));
        }
    }

    #[test]
    fn generalized_and_wrong_length() {
        let src = r#"
[variables]
x = { type = "real", shape = [1] }
[data]
A = [[2.0, 1.0], [1.0, 3.0]]
B = [[2.0, 0.0], [0.0, 1.0]]
[objective]
minimize = "lambda_max(A + x[0] * B, B)"
"#;
        let p = parse(src);
        let s = spectrum(&p, &[C64::new(1.0, 0.0)]).unwrap();
        let a = &s.atoms[0];
        assert_eq!(a.function, AtomFunction::GenLambdaMax);
        // (A + B) v = λ B v ⇔ λ = 1 + eig(B⁻¹A); B^{-1/2} A B^{-1/2} = [[1, 1/√2], [1/√2, 3]].
        let r = (1.0f64 + 0.5).sqrt();
        assert!((a.values[0] - (1.0 + 2.0 + r)).abs() < 1e-13);
        assert!((a.values[1] - (1.0 + 2.0 - r)).abs() < 1e-13);
        assert!(spectrum(&p, &[]).is_err());
    }
}
