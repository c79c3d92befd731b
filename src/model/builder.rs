//! Building problems in Rust with the same operations as the expression language.
//!
//! [`E`] is an expression handle; the arithmetic operators and the functions of [`fns`] build the
//! same syntax tree the parser builds, and [`ProblemBuilder::build`] types and lowers it with the
//! same rules and messages as a problem file.
//!
//! ```
//! use wirtinger::model::builder::{fns::*, ProblemBuilder};
//! use wirtinger::model::{Shape, Tensor};
//! let mut b = ProblemBuilder::new();
//! let z = b.complex_var("z", &[2]);
//! let a = b.data("A", Tensor::from_real(Shape::Matrix(2, 2), &[1.0, 0.0, 0.0, 2.0]), true);
//! let y = b.data("y", Tensor::from_real(Shape::Vector(2), &[1.0, 1.0]), true);
//! b.minimize(norm2sq(&a * &z - y));
//! let p = b.build().unwrap();
//! let f = p.function().unwrap();
//! assert_eq!(f.value(&p.initial_point()).unwrap(), 2.0);
//! ```

use super::{Constraint, Problem, Sense, Shape, SolverSettings, SparseStack, Tensor, Ty, Variable};
use crate::cr::{CustomOp, Graph};
use crate::error::Diagnostic;
use crate::expr::ast::{BinOp, Expr, ExprKind};
use crate::expr::{parse_expression, Context, DataValue, LowerError, Lowerer};
use num_complex::Complex64 as C64;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Deepest expression tree the builder accepts (lowering is recursive); long sums should use
/// `sum(...)` over a vector or `lincomb`.
pub const MAX_BUILDER_DEPTH: usize = 1000;

/// An expression handle.
#[derive(Clone, Debug, PartialEq)]
pub struct E {
    expr: Expr,
    depth: usize,
}

fn node(kind: ExprKind, depth: usize) -> E {
    E {
        expr: Expr { kind, span: 0..0 },
        depth,
    }
}

impl E {
    /// A name (a variable or data entry declared in the builder).
    pub fn name(n: &str) -> E {
        node(ExprKind::Name(n.to_string()), 1)
    }
    /// A real constant.
    pub fn real(x: f64) -> E {
        if x < 0.0 {
            return -E::real(-x);
        }
        node(ExprKind::Number(x), 1)
    }
    /// A complex constant.
    pub fn complex(z: C64) -> E {
        E::real(z.re) + node(ExprKind::Imag(z.im), 1)
    }
    fn bin(op: BinOp, a: E, b: E) -> E {
        let d = a.depth.max(b.depth) + 1;
        node(
            ExprKind::Binary {
                op,
                lhs: Box::new(a.expr),
                rhs: Box::new(b.expr),
            },
            d,
        )
    }
    /// `self'`, the conjugate transpose.
    pub fn adjoint(self) -> E {
        let d = self.depth + 1;
        node(ExprKind::Adjoint(Box::new(self.expr)), d)
    }
    /// `self .* b`.
    pub fn emul(self, b: impl Into<E>) -> E {
        E::bin(BinOp::ElemMul, self, b.into())
    }
    /// `self ./ b`.
    pub fn ediv(self, b: impl Into<E>) -> E {
        E::bin(BinOp::ElemDiv, self, b.into())
    }
    /// `self ^ p` (scalar power).
    pub fn pow(self, p: impl Into<E>) -> E {
        E::bin(BinOp::Pow, self, p.into())
    }
    /// `self .^ p` (elementwise power).
    pub fn epow(self, p: impl Into<E>) -> E {
        E::bin(BinOp::ElemPow, self, p.into())
    }
    /// `self[k]` (0-based).
    pub fn at(self, k: usize) -> E {
        let d = self.depth + 1;
        node(
            ExprKind::Index {
                target: Box::new(self.expr),
                indices: vec![E::real(k as f64).expr],
            },
            d,
        )
    }
    /// `self[i, j]` (0-based).
    pub fn at2(self, i: usize, j: usize) -> E {
        let d = self.depth + 1;
        node(
            ExprKind::Index {
                target: Box::new(self.expr),
                indices: vec![E::real(i as f64).expr, E::real(j as f64).expr],
            },
            d,
        )
    }
    /// The constraint `self == b`.
    pub fn equals(self, b: impl Into<E>) -> E {
        E::bin(BinOp::Eq, self, b.into())
    }
    /// The constraint `self <= b`.
    pub fn le(self, b: impl Into<E>) -> E {
        E::bin(BinOp::Le, self, b.into())
    }
    /// The constraint `self >= b`.
    pub fn ge(self, b: impl Into<E>) -> E {
        E::bin(BinOp::Ge, self, b.into())
    }
    /// A call of a function of the language (or a registered custom operation).
    pub fn call(name: &str, args: Vec<E>) -> E {
        let d = args.iter().map(|a| a.depth).max().unwrap_or(0) + 1;
        node(
            ExprKind::Call {
                name: name.to_string(),
                name_span: 0..0,
                args: args.into_iter().map(|a| a.expr).collect(),
            },
            d,
        )
    }
    /// The syntax tree.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }
}

impl std::fmt::Display for E {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.expr.fmt(f)
    }
}

impl From<f64> for E {
    fn from(x: f64) -> E {
        E::real(x)
    }
}
impl From<C64> for E {
    fn from(z: C64) -> E {
        E::complex(z)
    }
}
impl From<&E> for E {
    fn from(e: &E) -> E {
        e.clone()
    }
}

macro_rules! binop {
    ($tr:ident, $m:ident, $op:expr) => {
        impl<R: Into<E>> std::ops::$tr<R> for E {
            type Output = E;
            fn $m(self, r: R) -> E {
                E::bin($op, self, r.into())
            }
        }
        impl<R: Into<E>> std::ops::$tr<R> for &E {
            type Output = E;
            fn $m(self, r: R) -> E {
                E::bin($op, self.clone(), r.into())
            }
        }
        impl std::ops::$tr<E> for f64 {
            type Output = E;
            fn $m(self, r: E) -> E {
                E::bin($op, E::real(self), r)
            }
        }
    };
}
binop!(Add, add, BinOp::Add);
binop!(Sub, sub, BinOp::Sub);
binop!(Mul, mul, BinOp::Mul);
binop!(Div, div, BinOp::Div);

impl std::ops::Neg for E {
    type Output = E;
    fn neg(self) -> E {
        let d = self.depth + 1;
        node(ExprKind::Neg(Box::new(self.expr)), d)
    }
}
impl std::ops::Neg for &E {
    type Output = E;
    fn neg(self) -> E {
        -self.clone()
    }
}

/// The functions of the expression language, as Rust functions on [`E`].
pub mod fns {
    use super::E;
    macro_rules! f1 {
        ($($name:ident),*) => {$(
            #[doc = concat!("`", stringify!($name), "(a)` of the expression language.")]
            pub fn $name(a: impl Into<E>) -> E { E::call(stringify!($name), vec![a.into()]) }
        )*};
    }
    macro_rules! f2 {
        ($($name:ident),*) => {$(
            #[doc = concat!("`", stringify!($name), "(a, b)` of the expression language.")]
            pub fn $name(a: impl Into<E>, b: impl Into<E>) -> E { E::call(stringify!($name), vec![a.into(), b.into()]) }
        )*};
    }
    f1!(
        conj, real, imag, abs, abs2, exp, log, sqrt, sin, cos, sum, norm2, norm2sq, norm1, trace,
        diag, transpose, lambda_max, lambda_min, sigma_max, norm_nuc, fft, ifft
    );
    f2!(dot, lincomb);
    /// `sum_largest(A, k)`.
    pub fn sum_largest(a: impl Into<E>, k: usize) -> E {
        E::call("sum_largest", vec![a.into(), E::real(k as f64)])
    }
    /// `sum_smallest(A, k)`.
    pub fn sum_smallest(a: impl Into<E>, k: usize) -> E {
        E::call("sum_smallest", vec![a.into(), E::real(k as f64)])
    }
    /// Generalized `lambda_max(A, B)`.
    pub fn lambda_max_gen(a: impl Into<E>, b: impl Into<E>) -> E {
        E::call("lambda_max", vec![a.into(), b.into()])
    }
    /// Generalized `lambda_min(A, B)`.
    pub fn lambda_min_gen(a: impl Into<E>, b: impl Into<E>) -> E {
        E::call("lambda_min", vec![a.into(), b.into()])
    }
    /// `eye(n)`.
    pub fn eye(n: usize) -> E {
        E::call("eye", vec![E::real(n as f64)])
    }
    /// `ones(n)`.
    pub fn ones(n: usize) -> E {
        E::call("ones", vec![E::real(n as f64)])
    }
}

/// Builds a [`Problem`] in code.
#[derive(Default)]
pub struct ProblemBuilder {
    vars: Vec<(String, Ty, Option<Tensor>)>,
    data: BTreeMap<String, DataValue>,
    objective: Option<(Sense, E)>,
    constraints: Vec<E>,
    solver: SolverSettings,
    custom: HashMap<String, Arc<dyn CustomOp>>,
    name: Option<String>,
}

impl ProblemBuilder {
    /// An empty builder.
    pub fn new() -> ProblemBuilder {
        ProblemBuilder::default()
    }
    /// Names the problem.
    pub fn name(&mut self, n: &str) -> &mut Self {
        self.name = Some(n.to_string());
        self
    }
    /// Declares a complex variable of shape `[]`, `[n]` or `[m, n]`.
    pub fn complex_var(&mut self, name: &str, dims: &[usize]) -> E {
        self.var(name, dims, false)
    }
    /// Declares a real variable.
    pub fn real_var(&mut self, name: &str, dims: &[usize]) -> E {
        self.var(name, dims, true)
    }
    fn var(&mut self, name: &str, dims: &[usize], real: bool) -> E {
        let shape = Shape::from_dims(dims).unwrap_or(Shape::Scalar);
        self.vars.push((name.to_string(), Ty { shape, real }, None));
        E::name(name)
    }
    /// Sets a variable's starting point.
    pub fn init(&mut self, name: &str, value: Tensor) -> &mut Self {
        if let Some(v) = self.vars.iter_mut().find(|v| v.0 == name) {
            v.2 = Some(value);
        }
        self
    }
    /// Declares a data entry (`real` says whether it is real-valued).
    pub fn data(&mut self, name: &str, value: Tensor, real: bool) -> E {
        self.data.insert(
            name.to_string(),
            DataValue::Dense {
                value: Arc::new(value),
                real,
            },
        );
        E::name(name)
    }
    /// Declares a stack of matrices (for `lincomb`).
    pub fn stack(&mut self, name: &str, items: Vec<Tensor>, real: bool) -> E {
        self.data.insert(
            name.to_string(),
            DataValue::Stack {
                items: Arc::new(items),
                real,
            },
        );
        E::name(name)
    }
    /// Declares a sparse stack of matrices (for `lincomb` and `S[i]`), kept sparse as a
    /// `files` stack of Matrix Market coordinate files is.
    ///
    /// ```
    /// use wirtinger::model::builder::{fns::*, ProblemBuilder};
    /// use wirtinger::model::SparseStack;
    /// use num_complex::Complex64 as C64;
    /// let one = C64::new(1.0, 0.0);
    /// // Edge Laplacians of the path 0 – 1 – 2.
    /// let edge = |a: usize, b: usize| vec![(a, a, one), (b, b, one), (a, b, -one), (b, a, -one)];
    /// let st = SparseStack::from_entries(3, 3, vec![edge(0, 1), edge(1, 2)]).unwrap();
    /// let mut b = ProblemBuilder::new();
    /// let w = b.real_var("w", &[2]);
    /// let l = b.sparse_stack("L", st);
    /// b.minimize(lambda_max(lincomb(w, l)));
    /// assert!(b.build().is_ok());
    /// ```
    pub fn sparse_stack(&mut self, name: &str, stack: SparseStack) -> E {
        self.data
            .insert(name.to_string(), DataValue::SparseStack(Arc::new(stack)));
        E::name(name)
    }
    /// Registers a custom operation, callable as `E::call(name, args)`.
    pub fn register(&mut self, op: Arc<dyn CustomOp>) -> &mut Self {
        self.custom.insert(op.name().to_string(), op);
        self
    }
    /// Sets the objective to minimize.
    pub fn minimize(&mut self, e: impl Into<E>) -> &mut Self {
        self.objective = Some((Sense::Minimize, e.into()));
        self
    }
    /// Sets the objective to maximize.
    pub fn maximize(&mut self, e: impl Into<E>) -> &mut Self {
        self.objective = Some((Sense::Maximize, e.into()));
        self
    }
    /// Adds a constraint built with [`E::equals`], [`E::le`] or [`E::ge`].
    pub fn constrain(&mut self, c: E) -> &mut Self {
        self.constraints.push(c);
        self
    }
    /// Solver settings.
    pub fn solver(&mut self, s: SolverSettings) -> &mut Self {
        self.solver = s;
        self
    }

    /// Types and lowers everything with the rules of problem files.
    pub fn build(&self) -> Result<Problem, Diagnostic> {
        let var_types: Vec<(String, Ty)> = self.vars.iter().map(|v| (v.0.clone(), v.1)).collect();
        for (i, (n, _)) in var_types.iter().enumerate() {
            if var_types[..i].iter().any(|(m, _)| m == n) || self.data.contains_key(n) {
                return Err(Diagnostic::new(format!("`{n}` is declared twice")));
            }
        }
        let (sense, obj) = self.objective.as_ref().ok_or_else(|| {
            Diagnostic::new("the problem has no objective; call minimize or maximize")
        })?;
        let mut graph = Graph::default();
        let objective = self.lower(&mut graph, &var_types, obj, Context::Objective)?;
        let ty = graph.ty(objective);
        if !ty.shape.is_scalar() || !ty.real {
            return Err(Diagnostic::new(format!(
                "the objective must be a real scalar, but `{obj}` is {ty}"
            ))
            .with_note("wrap it in real(...), abs2(...), sum(...) or norm2sq(...)"));
        }
        let mut constraints = Vec::new();
        for c in &self.constraints {
            self.check_depth(c)?;
            let (op, lhs, rhs) =
                Lowerer::new(&mut graph, &var_types, &self.data, Context::Constraint)
                    .with_custom_ops(&self.custom)
                    .lower_constraint(c.expr())
                    .map_err(|e| self.diag(c, &e, Context::Constraint, &var_types))?;
            constraints.push(Constraint {
                op,
                lhs,
                rhs,
                span: None,
            });
        }
        let mut variables = Vec::new();
        for (name, ty, init) in &self.vars {
            if let Some(t) = init {
                if !t.shape().same_layout(&ty.shape) {
                    return Err(Diagnostic::new(format!(
                        "init of `{name}` has shape {} but the variable has shape {}",
                        t.shape(),
                        ty.shape
                    )));
                }
                if ty.real && !t.is_real() {
                    return Err(Diagnostic::new(format!(
                        "init of real variable `{name}` is complex"
                    )));
                }
            }
            variables.push(Variable {
                name: name.clone(),
                ty: *ty,
                init: init.clone().and_then(|t| t.reshaped(ty.shape)),
            });
        }
        crate::cr::prepare_pullback_copies(&mut graph);
        Ok(Problem {
            name: self.name.clone(),
            description: None,
            expected_objective: None,
            variables,
            data: self.data.clone(),
            sense: *sense,
            graph,
            objective,
            constraints,
            solver: self.solver.clone(),
        })
    }

    fn check_depth(&self, e: &E) -> Result<(), Diagnostic> {
        if e.depth > MAX_BUILDER_DEPTH {
            return Err(Diagnostic::new(format!(
                "expression nested {} levels deep, more than {MAX_BUILDER_DEPTH}",
                e.depth
            ))
            .with_note("sum many terms with sum(...) over a vector or lincomb(x, S) instead of chained `+`"));
        }
        Ok(())
    }

    fn lower(
        &self,
        g: &mut Graph,
        vars: &[(String, Ty)],
        e: &E,
        cx: Context,
    ) -> Result<usize, Diagnostic> {
        self.check_depth(e)?;
        Lowerer::new(g, vars, &self.data, cx)
            .with_custom_ops(&self.custom)
            .lower(e.expr())
            .map_err(|err| self.diag(e, &err, cx, vars))
    }

    /// Renders a lowering error against the printed expression, so that it can point at the
    /// faulty part (the printed form re-parses to the same tree with real positions).
    fn diag(&self, e: &E, err: &LowerError, cx: Context, vars: &[(String, Ty)]) -> Diagnostic {
        let text = e.to_string();
        let located = parse_expression(&text).ok().and_then(|reparsed| {
            let mut g = Graph::default();
            let mut l = Lowerer::new(&mut g, vars, &self.data, cx).with_custom_ops(&self.custom);
            let r = if cx == Context::Constraint {
                l.lower_constraint(&reparsed).map(|_| ())
            } else {
                l.lower(&reparsed).map(|_| ())
            };
            r.err()
        });
        let (msg, span, note) = match located {
            Some(le) => (le.message, Some(le.span), le.note),
            None => (err.message.clone(), None, err.note.clone()),
        };
        let mut d = Diagnostic::new(msg).in_file("<expression>", text);
        if let Some(s) = span {
            d = d.at(s);
        }
        if let Some(n) = note {
            d = d.with_note(n);
        }
        d
    }
}
