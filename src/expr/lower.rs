//! Typing and lowering: turns a parsed expression into nodes of the engine's graph, inferring and
//! checking shapes and realness before anything runs. Every error carries the span of the
//! offending sub-expression.
//!
//! Subexpressions that involve no variable are evaluated at once (constant folding), so data
//! expressions, indices and exponents are plain constants by the time they are used.

use super::ast::{BinOp, Expr, ExprKind, Span};
use crate::cr::{
    evaluate, hermitian_defect, propagate, Coords, CustomOp, Graph, NodeId, Op, Spectral, Trans,
    Unary, Values, HERMITIAN_TOL,
};
use crate::model::{Shape, SparseStack, Tensor, Ty};
use num_complex::Complex64 as C64;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A typing or lowering error inside one expression.
#[derive(Clone, Debug, PartialEq)]
pub struct LowerError {
    /// Byte range inside the expression string.
    pub span: Span,
    /// What is wrong.
    pub message: String,
    /// An optional hint on how to fix it.
    pub note: Option<String>,
}

impl LowerError {
    fn new(span: &Span, message: impl Into<String>) -> LowerError {
        LowerError {
            span: span.clone(),
            message: message.into(),
            note: None,
        }
    }
    fn note(mut self, n: impl Into<String>) -> LowerError {
        self.note = Some(n.into());
        self
    }
}

/// A data entry as the expression language sees it.
#[derive(Clone, Debug)]
pub enum DataValue {
    /// One dense value.
    Dense {
        /// The value.
        value: Arc<Tensor>,
        /// Whether it is real.
        real: bool,
    },
    /// A stack of k matrices of equal shape (for `lincomb(x, S)` and `S[i]`).
    Stack {
        /// The matrices.
        items: Arc<Vec<Tensor>>,
        /// Whether all are real.
        real: bool,
    },
    /// A stack of k sparse matrices (a `files` stack of Matrix Market coordinate files), kept
    /// sparse: `lincomb(x, S)` lowers to one [`Op::Lincomb`] node and `S[i]` to one dense
    /// matrix.
    SparseStack(Arc<SparseStack>),
}

impl DataValue {
    /// The number of matrices of a stack (`None` for a value).
    pub fn stack_len(&self) -> Option<usize> {
        match self {
            DataValue::Dense { .. } => None,
            DataValue::Stack { items, .. } => Some(items.len()),
            DataValue::SparseStack(s) => Some(s.len()),
        }
    }
}

/// What a name refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// The objective: variables allowed, comparisons not.
    Objective,
    /// A constraint: variables and one top-level comparison allowed.
    Constraint,
    /// A data expression or an `init`: no variables; `eigvec_max` allowed.
    Data,
}

/// Lowers expressions into one graph.
pub struct Lowerer<'a> {
    graph: &'a mut Graph,
    vars: &'a [(String, Ty)],
    data: &'a BTreeMap<String, DataValue>,
    context: Context,
    consts: HashMap<String, NodeId>,
    custom: Option<&'a HashMap<String, Arc<dyn CustomOp>>>,
    /// Common subexpressions: equal (short) source texts lower to one node, so that
    /// `(z - c)' * (z - c)` is recognized as a Hermitian form and computed once.
    memo: HashMap<String, NodeId>,
}

/// The names of every function of the expression language.
pub const FUNCTIONS: &[&str] = &[
    "conj",
    "real",
    "imag",
    "abs",
    "abs2",
    "exp",
    "log",
    "sqrt",
    "sin",
    "cos",
    "sum",
    "dot",
    "norm2",
    "norm2sq",
    "norm1",
    "trace",
    "diag",
    "transpose",
    "eye",
    "ones",
    "zeros",
    "lambda_max",
    "lambda_min",
    "sum_largest",
    "sum_smallest",
    "sigma_max",
    "norm_nuc",
    "fft",
    "ifft",
    "eigvec_max",
    "lincomb",
];

impl<'a> Lowerer<'a> {
    /// A lowerer appending to `graph`, with variables (`Op::Var(i)` is `vars[i]`) and data.
    pub fn new(
        graph: &'a mut Graph,
        vars: &'a [(String, Ty)],
        data: &'a BTreeMap<String, DataValue>,
        context: Context,
    ) -> Lowerer<'a> {
        Lowerer {
            graph,
            vars,
            data,
            context,
            consts: HashMap::new(),
            custom: None,
            memo: HashMap::new(),
        }
    }

    /// Makes registered custom operations callable by name.
    pub fn with_custom_ops(mut self, ops: &'a HashMap<String, Arc<dyn CustomOp>>) -> Lowerer<'a> {
        self.custom = Some(ops);
        self
    }

    /// Lowers a top-level expression of this lowerer's context.
    pub fn lower(&mut self, e: &Expr) -> Result<NodeId, LowerError> {
        self.expr(e)
    }

    /// Lowers a constraint `lhs OP rhs` and returns (op, lhs, rhs) with equal shapes (a scalar side
    /// is broadcast).
    pub fn lower_constraint(&mut self, e: &Expr) -> Result<(BinOp, NodeId, NodeId), LowerError> {
        let ExprKind::Binary { op, lhs, rhs } = &e.kind else {
            return Err(
                LowerError::new(&e.span, "a constraint must be a comparison")
                    .note("write `lhs == rhs`, `lhs <= rhs` or `lhs >= rhs`"),
            );
        };
        if !op.is_comparison() {
            return Err(
                LowerError::new(&e.span, "a constraint must be a comparison")
                    .note("write `lhs == rhs`, `lhs <= rhs` or `lhs >= rhs`"),
            );
        }
        let a = self.expr(lhs)?;
        let b = self.expr(rhs)?;
        let (a, b) = self.broadcast_pair(a, b, &e.span, op.symbol())?;
        if (!self.graph.ty(a).real || !self.graph.ty(b).real) && *op != BinOp::Eq {
            return Err(LowerError::new(
                &e.span,
                format!("`{}` compares complex values", op.symbol()),
            )
            .note("inequalities need real sides; use real(), imag() or abs()"));
        }
        Ok((*op, a, b))
    }

    fn g(&self) -> &Graph {
        self.graph
    }

    fn ty(&self, id: NodeId) -> Ty {
        self.graph.ty(id)
    }

    fn expr(&mut self, e: &Expr) -> Result<NodeId, LowerError> {
        let key = (1..=512).contains(&e.span.len()).then(|| e.to_string());
        if let Some(&id) = key.as_ref().and_then(|k| self.memo.get(k)) {
            return Ok(id);
        }
        let id = self.expr_uncached(e)?;
        if let Some(k) = key {
            self.memo.insert(k, id);
        }
        Ok(id)
    }

    fn expr_uncached(&mut self, e: &Expr) -> Result<NodeId, LowerError> {
        let id = match &e.kind {
            ExprKind::Number(x) => self.graph.real_scalar(*x),
            ExprKind::Imag(y) => self
                .graph
                .constant(Tensor::scalar(C64::new(0.0, *y)), false),
            ExprKind::Name(n) => self.name(n, &e.span)?,
            ExprKind::Neg(a) => {
                let a = self.expr(a)?;
                self.graph.neg(a)
            }
            ExprKind::Adjoint(a) => {
                let a = self.expr(a)?;
                self.graph.transpose(a, true)
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, &e.span)?,
            ExprKind::Index { target, indices } => self.index(target, indices, &e.span)?,
            ExprKind::Call {
                name,
                name_span,
                args,
            } => self.call(name, name_span, args, &e.span)?,
        };
        self.fold(id, &e.span)
    }

    fn name(&mut self, n: &str, span: &Span) -> Result<NodeId, LowerError> {
        if let Some(&id) = self.consts.get(n) {
            return Ok(id);
        }
        if let Some(i) = self.vars.iter().position(|(v, _)| v == n) {
            if self.context == Context::Data {
                return Err(LowerError::new(
                    span,
                    format!("variable `{n}` used in a data expression"),
                )
                .note("data expressions and `init` may use data entries only"));
            }
            let ty = self.vars[i].1;
            let id = self.graph.push(Op::Var(i), vec![], ty);
            self.consts.insert(n.to_string(), id);
            return Ok(id);
        }
        match self.data.get(n) {
            Some(DataValue::Dense { value, real }) => {
                let ty = Ty {
                    shape: value.shape(),
                    real: *real,
                };
                let id = self.graph.push(Op::Const(value.clone()), vec![], ty);
                self.consts.insert(n.to_string(), id);
                Ok(id)
            }
            Some(d @ (DataValue::Stack { .. } | DataValue::SparseStack(_))) => {
                Err(LowerError::new(
                    span,
                    format!(
                        "`{n}` is a stack of {} matrices, not a value",
                        d.stack_len().unwrap_or(0)
                    ),
                )
                .note(format!(
                    "use `{n}[i]` for one matrix or `lincomb(x, {n})` for Σ x[i]·{n}[i]"
                )))
            }
            None => {
                let mut err = LowerError::new(span, format!("unknown name `{n}`"));
                if n == "i" || n == "j" {
                    err = err.note("there is no bare imaginary unit; write `1i`");
                } else if FUNCTIONS.contains(&n) {
                    err = err.note(format!("`{n}` is a function; call it as `{n}(...)`"));
                } else {
                    let known: Vec<&str> = self
                        .vars
                        .iter()
                        .map(|(v, _)| v.as_str())
                        .chain(self.data.keys().map(|k| k.as_str()))
                        .collect();
                    if let Some(s) = closest(n, &known) {
                        err = err.note(format!("did you mean `{s}`?"));
                    } else {
                        err = err.note("names must be declared in [variables] or [data]");
                    }
                }
                Err(err)
            }
        }
    }

    /// Evaluates a node at once when none of its arguments depends on a variable.
    fn fold(&mut self, id: NodeId, span: &Span) -> Result<NodeId, LowerError> {
        let node = self.graph.node(id).clone();
        if matches!(node.op, Op::Var(_) | Op::Seed(_) | Op::Const(_)) {
            return Ok(id);
        }
        let mut consts = Vec::new();
        for &a in &node.args {
            match &self.graph.node(a).op {
                Op::Const(t) => consts.push(t.clone()),
                _ => return Ok(id),
            }
        }
        let mut g = Graph::default();
        let args: Vec<NodeId> = consts
            .iter()
            .zip(&node.args)
            .map(|(t, &a)| g.push(Op::Const(t.clone()), vec![], self.graph.ty(a)))
            .collect();
        let last = g.push(node.op.clone(), args, node.ty);
        let v = evaluate(&g, last, &[], &[]).map_err(|e| LowerError::new(span, e.message))?;
        let t = v
            .get(last)
            .cloned()
            .ok_or_else(|| LowerError::new(span, "internal: folding produced no value"))?;
        Ok(self.graph.push(Op::Const(Arc::new(t)), vec![], node.ty))
    }

    /// Folds a `Herm { check }` node when its argument is constant (which checks it); otherwise
    /// checks, before anything runs, that the argument is Hermitian at the origin and stays
    /// Hermitian along every variable direction (real and imaginary parts): exact for arguments
    /// affine in the variables, a local test for others. Evaluation checks every value again.
    fn fold_checked(&mut self, h: NodeId, span: &Span) -> Result<NodeId, LowerError> {
        let h = self.fold(h, span)?;
        if matches!(self.g().node(h).op, Op::Const(_)) {
            return Ok(h);
        }
        let arg = self.g().node(h).args[0];
        if let Some(msg) = self.hermitian_along_variables(arg) {
            return Err(LowerError::new(span, msg).note(
                "eigenvalue functions need a Hermitian argument for every value of the variables",
            ));
        }
        Ok(h)
    }

    fn hermitian_along_variables(&self, arg: NodeId) -> Option<String> {
        const MAX_DIRECTIONS: usize = 512;
        let coords = Coords::new(self.vars);
        if coords.len() > MAX_DIRECTIONS {
            return None;
        }
        let zeros = coords.tensors(&vec![0.0; coords.len()]);
        let tangents = coords.unit_tangents();
        let mut values = Values::new(self.g(), &zeros, &[]);
        let base = values.ensure_get(self.g(), arg).ok()?;
        let d = hermitian_defect(&base);
        if d > HERMITIAN_TOL {
            return Some(format!(
                "the argument of an eigenvalue function is not Hermitian when the variables are 0: ‖A − Aᴴ‖_F/‖A‖_F = {d:.3e}"
            ));
        }
        let t = propagate(self.g(), &[arg], &mut values, &tangents, &[]).ok()?;
        let batch = t.get(arg)?.as_ref()?;
        let shape = self.ty(arg).shape;
        for (j, &(v, e, im)) in coords.dirs.iter().enumerate() {
            let col = Tensor::from_parts(shape, batch.col(j).to_vec());
            let d = hermitian_defect(&col);
            if d > HERMITIAN_TOL {
                let (name, t) = &self.vars[v];
                let entry = match t.shape {
                    Shape::Scalar => name.clone(),
                    Shape::Vector(_) => format!("{name}[{e}]"),
                    Shape::Matrix(m, _) => format!("{name}[{}, {}]", e % m, e / m),
                };
                let part = if im {
                    format!("the imaginary part of {entry}")
                } else if t.real {
                    entry
                } else {
                    format!("the real part of {entry}")
                };
                return Some(format!(
                    "the argument of an eigenvalue function is not Hermitian for all values of the variables: it changes by a non-Hermitian matrix along {part} (‖D − Dᴴ‖_F/‖D‖_F = {d:.3e})"
                ));
            }
        }
        None
    }

    fn const_value(&self, id: NodeId) -> Option<&Tensor> {
        match &self.g().node(id).op {
            Op::Const(t) => Some(t),
            _ => None,
        }
    }

    /// A constant non-negative integer (index, size, k).
    fn const_usize(&mut self, e: &Expr, what: &str) -> Result<usize, LowerError> {
        let id = self.expr(e)?;
        let bad = || {
            LowerError::new(
                &e.span,
                format!("{what} must be a constant non-negative integer"),
            )
        };
        let t = self.const_value(id).ok_or_else(bad)?;
        if !t.shape().is_scalar() {
            return Err(bad());
        }
        let v = t.data()[0];
        if v.im != 0.0 || v.re < 0.0 || v.re.fract() != 0.0 || v.re > 1e15 {
            return Err(bad());
        }
        Ok(v.re as usize)
    }

    fn broadcast_pair(
        &mut self,
        a: NodeId,
        b: NodeId,
        span: &Span,
        sym: &str,
    ) -> Result<(NodeId, NodeId), LowerError> {
        let (sa, sb) = (self.ty(a).shape, self.ty(b).shape);
        if sa.same_layout(&sb) {
            return Ok((a, b));
        }
        if sa.is_scalar() {
            return Ok((self.graph.broadcast(a, sb), b));
        }
        if sb.is_scalar() {
            return Ok((a, self.graph.broadcast(b, sa)));
        }
        Err(LowerError::new(
            span,
            format!("shape mismatch in `{sym}`: {sa} and {sb}"),
        ))
    }

    fn binary(&mut self, op: BinOp, l: &Expr, r: &Expr, span: &Span) -> Result<NodeId, LowerError> {
        if op.is_comparison() {
            return Err(LowerError::new(
                span,
                format!("comparison `{}` outside a constraint", op.symbol()),
            )
            .note("comparisons belong in [[constraints]] entries, as their top-level operator"));
        }
        let a = self.expr(l)?;
        let b = self.expr(r)?;
        let (sa, sb) = (self.ty(a).shape, self.ty(b).shape);
        match op {
            BinOp::Add | BinOp::Sub | BinOp::ElemMul | BinOp::ElemDiv => {
                let (x, y) = self.broadcast_pair(a, b, span, op.symbol())?;
                Ok(match op {
                    BinOp::Add => self.graph.add(x, y),
                    BinOp::Sub => self.graph.sub(x, y),
                    BinOp::ElemMul => self.graph.emul(x, y),
                    _ => self.graph.ediv(x, y),
                })
            }
            BinOp::Mul => {
                if sa.is_scalar() || sb.is_scalar() {
                    let (s, x) = if sa.is_scalar() { (a, b) } else { (b, a) };
                    if let Some(c) = self.const_value(s).map(|t| t.data()[0]) {
                        if c == C64::new(1.0, 0.0) {
                            return Ok(x);
                        }
                        if !sa.is_scalar() || !sb.is_scalar() {
                            return Ok(self.graph.scale(c, x));
                        }
                    }
                    let shape = self.ty(x).shape;
                    let sb_ = self.graph.broadcast(s, shape);
                    return Ok(self.graph.emul(sb_, x));
                }
                let (a, ta) = self.peel_transpose(a);
                let (b, tb) = self.peel_transpose(b);
                let (ar, ac) = dims(self.ty(a).shape, ta);
                let (br, bc) = dims(self.ty(b).shape, tb);
                if ac != br {
                    return Err(LowerError::new(
                        span,
                        format!("matrix product of {ar}×{ac} and {br}×{bc}: inner dimensions {ac} and {br} differ"),
                    )
                    .note("use `.*` for the elementwise product"));
                }
                let p = self.graph.matmul(a, ta, b, tb);
                if self.is_hermitian_form(a, ta, b, tb) {
                    self.graph.set_real(p);
                }
                Ok(p)
            }
            BinOp::Div => {
                if !sb.is_scalar() {
                    return Err(
                        LowerError::new(&r.span, format!("division by a {sb} value"))
                            .note("`/` divides by a scalar; use `./` for elementwise division"),
                    );
                }
                if let Some(c) = self.const_value(b).map(|t| t.data()[0]) {
                    if c != C64::new(0.0, 0.0) {
                        return Ok(self.graph.scale(C64::new(1.0, 0.0) / c, a));
                    }
                }
                let bb = self.graph.broadcast(b, sa);
                Ok(self.graph.ediv(a, bb))
            }
            BinOp::Pow | BinOp::ElemPow => {
                if op == BinOp::Pow && !(sa.is_scalar() && sb.is_scalar()) {
                    return Err(LowerError::new(
                        span,
                        format!(
                            "`^` is a scalar power, but its operands have shapes {sa} and {sb}"
                        ),
                    )
                    .note("use `.^` for an elementwise power"));
                }
                if let Some(p) = self.const_value(b).filter(|t| t.shape().is_scalar()) {
                    let p = p.data()[0];
                    if p == C64::new(1.0, 0.0) {
                        return Ok(a);
                    }
                    return Ok(self.graph.pow_const(a, p));
                }
                // a.^b = exp(b .* log(a))
                let (x, y) = self.broadcast_pair(a, b, span, op.symbol())?;
                let l = self.graph.unary(Unary::Log, x);
                let m = self.graph.emul(y, l);
                Ok(self.graph.unary(Unary::Exp, m))
            }
            _ => Err(LowerError::new(span, "internal: unexpected operator")),
        }
    }

    /// Whether op_a(a)·op_b(b) is a scalar Hermitian form xᴴx or xᴴPx with a constant
    /// Hermitian P, whose value is real.
    fn is_hermitian_form(&self, a: NodeId, ta: Trans, b: NodeId, tb: Trans) -> bool {
        let scalar = dims(self.ty(a).shape, ta).0 == 1 && dims(self.ty(b).shape, tb).1 == 1;
        if !scalar || tb != Trans::N {
            return false;
        }
        let herm_const = |p: NodeId| match &self.g().node(p).op {
            Op::Const(t) => t.shape().is_square() && crate::cr::hermitian_defect(t) <= 1e-14,
            _ => false,
        };
        if ta == Trans::H && a == b {
            return true;
        }
        let an = self.g().node(a);
        if ta == Trans::N && matches!(an.op, Op::MatMul(Trans::H, Trans::N)) {
            // (xᴴ P) x
            return an.args[0] == b && herm_const(an.args[1]);
        }
        let bn = self.g().node(b);
        if ta == Trans::H && matches!(bn.op, Op::MatMul(Trans::N, Trans::N)) {
            // xᴴ (P x)
            return bn.args[1] == a && herm_const(bn.args[0]);
        }
        false
    }

    /// `x'` or `transpose(x)` nodes fold into the product's flags.
    fn peel_transpose(&self, id: NodeId) -> (NodeId, Trans) {
        let n = self.g().node(id);
        match n.op {
            Op::Transpose { conj } => (n.args[0], if conj { Trans::H } else { Trans::T }),
            _ => (id, Trans::N),
        }
    }

    fn index(&mut self, target: &Expr, idx: &[Expr], span: &Span) -> Result<NodeId, LowerError> {
        // A stack indexed once is one of its matrices.
        if let ExprKind::Name(n) = &target.kind {
            if let Some(DataValue::SparseStack(st)) = self.data.get(n) {
                if idx.len() != 1 {
                    return Err(LowerError::new(
                        span,
                        format!("`{n}` is a stack: index it as `{n}[i]`"),
                    ));
                }
                let i = self.const_usize(&idx[0], "a stack index")?;
                let t = st.item(i).ok_or_else(|| {
                    LowerError::new(
                        &idx[0].span,
                        format!("index {i} out of range: `{n}` has {} matrices", st.len()),
                    )
                })?;
                let real = st.is_real();
                return Ok(self.graph.constant(t, real));
            }
            if let Some(DataValue::Stack { items, real }) = self.data.get(n) {
                if idx.len() != 1 {
                    return Err(LowerError::new(
                        span,
                        format!("`{n}` is a stack: index it as `{n}[i]`"),
                    ));
                }
                let i = self.const_usize(&idx[0], "a stack index")?;
                let t = items.get(i).cloned().ok_or_else(|| {
                    LowerError::new(
                        &idx[0].span,
                        format!("index {i} out of range: `{n}` has {} matrices", items.len()),
                    )
                })?;
                let real = *real;
                return Ok(self.graph.constant(t, real));
            }
        }
        let t = self.expr(target)?;
        let ty = self.ty(t);
        let pos = match (ty.shape, idx.len()) {
            (Shape::Vector(n), 1) => {
                let k = self.const_usize(&idx[0], "an index")?;
                if k >= n {
                    return Err(LowerError::new(&idx[0].span, format!("index {k} out of range for a vector of length {n} (indices start at 0)")));
                }
                k
            }
            (Shape::Matrix(m, n), 2) => {
                let i = self.const_usize(&idx[0], "a row index")?;
                let j = self.const_usize(&idx[1], "a column index")?;
                if i >= m {
                    return Err(LowerError::new(
                        &idx[0].span,
                        format!(
                            "row index {i} out of range for a {m}×{n} matrix (indices start at 0)"
                        ),
                    ));
                }
                if j >= n {
                    return Err(LowerError::new(&idx[1].span, format!("column index {j} out of range for a {m}×{n} matrix (indices start at 0)")));
                }
                i + j * m
            }
            (Shape::Matrix(..), 1) => {
                return Err(LowerError::new(
                    span,
                    "a matrix takes two indices: `A[i, j]`",
                ));
            }
            (Shape::Scalar, _) => return Err(LowerError::new(span, "a scalar cannot be indexed")),
            (s, k) => {
                return Err(LowerError::new(
                    span,
                    format!("{k} indices for a value of shape {s}"),
                ));
            }
        };
        let out = Ty {
            shape: Shape::Scalar,
            real: ty.real,
        };
        Ok(self
            .graph
            .push(Op::Gather(Arc::new(vec![pos])), vec![t], out))
    }

    fn call(
        &mut self,
        name: &str,
        nspan: &Span,
        args: &[Expr],
        span: &Span,
    ) -> Result<NodeId, LowerError> {
        let arity = |n: usize| -> Result<(), LowerError> {
            if args.len() == n {
                Ok(())
            } else {
                Err(LowerError::new(
                    span,
                    format!(
                        "`{name}` takes {n} argument{}, got {}",
                        if n == 1 { "" } else { "s" },
                        args.len()
                    ),
                ))
            }
        };
        let unary = |u: Unary| Some(u);
        let elementwise = match name {
            "conj" => unary(Unary::Conj),
            "real" => unary(Unary::Real),
            "imag" => unary(Unary::Imag),
            "abs" => unary(Unary::Abs),
            "abs2" => unary(Unary::Abs2),
            "exp" => unary(Unary::Exp),
            "log" => unary(Unary::Log),
            "sqrt" => unary(Unary::Sqrt),
            "sin" => unary(Unary::Sin),
            "cos" => unary(Unary::Cos),
            _ => None,
        };
        if let Some(u) = elementwise {
            arity(1)?;
            let a = self.expr(&args[0])?;
            return Ok(match u {
                Unary::Conj => self.graph.conj(a),
                Unary::Real => self.graph.re(a),
                _ => self.graph.unary(u, a),
            });
        }
        match name {
            "sum" => {
                arity(1)?;
                let a = self.expr(&args[0])?;
                Ok(self.graph.sum(a))
            }
            "norm2sq" => {
                arity(1)?;
                let a = self.expr(&args[0])?;
                let s = self.graph.unary(Unary::Abs2, a);
                Ok(self.graph.sum(s))
            }
            "norm1" => {
                arity(1)?;
                let a = self.expr(&args[0])?;
                let s = self.graph.unary(Unary::Abs, a);
                Ok(self.graph.sum(s))
            }
            "norm2" => {
                arity(1)?;
                let a = self.expr(&args[0])?;
                if self.ty(a).shape.is_scalar() {
                    return Ok(self.graph.unary(Unary::Abs, a));
                }
                Ok(self.graph.push(Op::Norm2, vec![a], Ty::real(Shape::Scalar)))
            }
            "dot" => {
                arity(2)?;
                let a = self.expr(&args[0])?;
                let b = self.expr(&args[1])?;
                let (sa, sb) = (self.ty(a).shape, self.ty(b).shape);
                if !sa.same_layout(&sb) {
                    return Err(LowerError::new(
                        span,
                        format!("`dot` of shapes {sa} and {sb}"),
                    ));
                }
                if matches!(sa, Shape::Vector(_)) {
                    return Ok(self.graph.matmul(a, Trans::H, b, Trans::N));
                }
                let ca = self.graph.conj(a);
                let p = self.graph.emul(ca, b);
                Ok(self.graph.sum(p))
            }
            "trace" => {
                arity(1)?;
                let a = self.square(&args[0], name)?;
                let n = self.ty(a).shape.rows();
                let real = self.ty(a).real;
                let d = self.graph.push(
                    Op::DiagOf,
                    vec![a],
                    Ty {
                        shape: Shape::Vector(n),
                        real,
                    },
                );
                Ok(self.graph.sum(d))
            }
            "diag" => {
                arity(1)?;
                let a = self.expr(&args[0])?;
                let t = self.ty(a);
                match t.shape {
                    Shape::Vector(n) => Ok(self.graph.push(
                        Op::Diag,
                        vec![a],
                        Ty {
                            shape: Shape::Matrix(n, n),
                            real: t.real,
                        },
                    )),
                    Shape::Matrix(m, n) => Ok(self.graph.push(
                        Op::DiagOf,
                        vec![a],
                        Ty {
                            shape: Shape::Vector(m.min(n)),
                            real: t.real,
                        },
                    )),
                    Shape::Scalar => Err(LowerError::new(
                        &args[0].span,
                        "`diag` takes a vector or a matrix, not a scalar",
                    )),
                }
            }
            "transpose" => {
                arity(1)?;
                let a = self.expr(&args[0])?;
                Ok(self.graph.transpose(a, false))
            }
            "eye" | "ones" | "zeros" => {
                if args.is_empty() || args.len() > 2 {
                    return Err(LowerError::new(
                        span,
                        format!("`{name}` takes a size: `{name}(n)` or `{name}(m, n)`"),
                    ));
                }
                let m = self.const_usize(&args[0], "a size")?;
                let n = if args.len() == 2 {
                    Some(self.const_usize(&args[1], "a size")?)
                } else {
                    None
                };
                let shape = match (name, n) {
                    ("eye", None) => Shape::Matrix(m, m),
                    (_, None) => Shape::Vector(m),
                    (_, Some(n)) => Shape::Matrix(m, n),
                };
                if shape.numel() > 1 << 26 {
                    return Err(LowerError::new(
                        span,
                        format!("`{name}` of shape {shape} is too large"),
                    ));
                }
                let mut t = Tensor::zeros(shape);
                let (r, _) = (shape.rows(), shape.cols());
                match name {
                    "eye" => {
                        for k in 0..shape.rows().min(shape.cols()) {
                            t.data_mut()[k + k * r] = C64::new(1.0, 0.0);
                        }
                    }
                    "ones" => t
                        .data_mut()
                        .iter_mut()
                        .for_each(|x| *x = C64::new(1.0, 0.0)),
                    _ => {}
                }
                Ok(self.graph.constant(t, true))
            }
            "lambda_max" | "lambda_min" => {
                if args.len() == 2 {
                    let a = self.square(&args[0], name)?;
                    let b = self.square(&args[1], name)?;
                    let (sa, sb) = (self.ty(a).shape, self.ty(b).shape);
                    if sa != sb {
                        return Err(LowerError::new(
                            span,
                            format!(
                                "`{name}(A, B)` needs A and B of the same shape, got {sa} and {sb}"
                            ),
                        ));
                    }
                    let a = self.graph.herm(a, true);
                    let a = self.fold_checked(a, &args[0].span)?;
                    let b = self.graph.herm(b, true);
                    let b = self.fold_checked(b, &args[1].span)?;
                    return Ok(self.graph.push(
                        Op::GenEigValue(name == "lambda_max"),
                        vec![a, b],
                        Ty::real(Shape::Scalar),
                    ));
                }
                arity(1)?;
                let f = if name == "lambda_max" {
                    Spectral::Largest(1)
                } else {
                    Spectral::Smallest(1)
                };
                let a = self.square(&args[0], name)?;
                let h = self.graph.herm(a, true);
                let h = self.fold_checked(h, &args[0].span)?;
                Ok(self
                    .graph
                    .push(Op::SpectralValue(f), vec![h], Ty::real(Shape::Scalar)))
            }
            "sum_largest" | "sum_smallest" => {
                arity(2)?;
                let a = self.square(&args[0], name)?;
                let n = self.ty(a).shape.rows();
                let k = self.const_usize(&args[1], "k")?;
                if k == 0 || k > n {
                    return Err(LowerError::new(
                        &args[1].span,
                        format!("k = {k} must be between 1 and the matrix size {n}"),
                    ));
                }
                let f = if name == "sum_largest" {
                    Spectral::Largest(k)
                } else {
                    Spectral::Smallest(k)
                };
                let h = self.graph.herm(a, true);
                let h = self.fold_checked(h, &args[0].span)?;
                Ok(self
                    .graph
                    .push(Op::SpectralValue(f), vec![h], Ty::real(Shape::Scalar)))
            }
            "sigma_max" | "norm_nuc" => {
                arity(1)?;
                let a = self.expr(&args[0])?;
                let t = self.ty(a);
                let (m, n) = (t.shape.rows(), t.shape.cols());
                let e = self.graph.push(
                    Op::Embed,
                    vec![a],
                    Ty {
                        shape: Shape::Matrix(m + n, m + n),
                        real: t.real,
                    },
                );
                let f = if name == "sigma_max" {
                    Spectral::Largest(1)
                } else {
                    Spectral::HalfAbsSum
                };
                Ok(self
                    .graph
                    .push(Op::SpectralValue(f), vec![e], Ty::real(Shape::Scalar)))
            }
            "fft" | "ifft" => {
                arity(1)?;
                let a = self.expr(&args[0])?;
                let s = self.ty(a).shape;
                if !matches!(s, Shape::Vector(_)) {
                    return Err(LowerError::new(
                        &args[0].span,
                        format!("`{name}` takes a vector, got {s}"),
                    ));
                }
                let op = if name == "fft" { Op::Fft } else { Op::Ifft };
                Ok(self.graph.push(op, vec![a], Ty::complex(s)))
            }
            "eigvec_max" => {
                arity(1)?;
                if self.context != Context::Data {
                    return Err(LowerError::new(nspan, "`eigvec_max` is available in data expressions and `init` only")
                        .note("it is not differentiable; use it for starting points such as a spectral initialization"));
                }
                let a = self.square(&args[0], name)?;
                let n = self.ty(a).shape.rows();
                let h = self.graph.herm(a, true);
                let h = self.fold_checked(h, &args[0].span)?;
                Ok(self
                    .graph
                    .push(Op::EigvecMax, vec![h], Ty::complex(Shape::Vector(n))))
            }
            "lincomb" => {
                arity(2)?;
                let x = self.expr(&args[0])?;
                let ExprKind::Name(sname) = &args[1].kind else {
                    return Err(LowerError::new(
                        &args[1].span,
                        "the second argument of `lincomb` must name a stack of matrices",
                    ));
                };
                if let Some(DataValue::SparseStack(st)) = self.data.get(sname) {
                    let k = st.len();
                    let xs = self.ty(x).shape;
                    if !(matches!(xs, Shape::Vector(n) if n == k) || (k == 1 && xs.is_scalar())) {
                        return Err(LowerError::new(
                            &args[0].span,
                            format!("`lincomb(x, {sname})` needs x of shape [{k}], got {xs}"),
                        ));
                    }
                    let real = st.is_real() && self.ty(x).real;
                    let shape = st.shape();
                    return Ok(self.graph.push(
                        Op::Lincomb(st.clone()),
                        vec![x],
                        Ty { shape, real },
                    ));
                }
                let Some(DataValue::Stack { items, real }) = self.data.get(sname) else {
                    return Err(LowerError::new(&args[1].span, format!("`{sname}` is not a stack of matrices"))
                        .note("a stack is a data entry `{ file = \"S.npy\" }` with a 3-D array or `{ files = [...] }`"));
                };
                let k = items.len();
                let xs = self.ty(x).shape;
                if !(matches!(xs, Shape::Vector(n) if n == k) || (k == 1 && xs.is_scalar())) {
                    return Err(LowerError::new(
                        &args[0].span,
                        format!("`lincomb(x, {sname})` needs x of shape [{k}], got {xs}"),
                    ));
                }
                let shape = items.first().map(|t| t.shape()).unwrap_or(Shape::Scalar);
                let numel = shape.numel();
                // Σ x[i]·S[i] = reshape(S_flat · x) with S_flat the numel × k matrix of stacked columns.
                let mut flat = Vec::with_capacity(numel * k);
                for t in items.iter() {
                    flat.extend_from_slice(t.data());
                }
                let flat = Tensor::from_parts(Shape::of_product(numel, k), flat);
                let real = *real;
                let c = self.graph.constant(flat, real);
                let p = self.graph.matmul(c, Trans::N, x, Trans::N);
                let pr = self.ty(p).real;
                Ok(self.graph.push(
                    Op::Gather(Arc::new((0..numel).collect())),
                    vec![p],
                    Ty { shape, real: pr },
                ))
            }
            _ if self.custom.is_some_and(|c| c.contains_key(name)) => {
                let op = self
                    .custom
                    .and_then(|c| c.get(name))
                    .cloned()
                    .ok_or_else(|| LowerError::new(nspan, "internal: custom op vanished"))?;
                let mut ids = Vec::new();
                for a in args {
                    ids.push(self.expr(a)?);
                }
                let tys: Vec<Ty> = ids.iter().map(|&i| self.ty(i)).collect();
                let out = op
                    .output_type(&tys)
                    .map_err(|m| LowerError::new(span, format!("`{name}`: {m}")))?;
                Ok(self.graph.push(Op::Custom(op), ids, out))
            }
            _ => {
                let mut e = LowerError::new(nspan, format!("unknown function `{name}`"));
                if let Some(s) = closest(name, FUNCTIONS) {
                    e = e.note(format!("did you mean `{s}`?"));
                }
                Err(e)
            }
        }
    }

    fn square(&mut self, e: &Expr, name: &str) -> Result<NodeId, LowerError> {
        let a = self.expr(e)?;
        let s = self.ty(a).shape;
        if !s.is_square() {
            return Err(LowerError::new(
                &e.span,
                format!("`{name}` needs a square matrix, got {s}"),
            ));
        }
        if s.numel() == 0 {
            return Err(LowerError::new(
                &e.span,
                format!("`{name}` needs a non-empty matrix, got {s}"),
            ));
        }
        Ok(a)
    }
}

fn dims(s: Shape, t: Trans) -> (usize, usize) {
    if t.swaps() {
        (s.cols(), s.rows())
    } else {
        (s.rows(), s.cols())
    }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a typo.
pub fn closest<'s>(name: &str, candidates: &[&'s str]) -> Option<&'s str> {
    let d = |a: &str, b: &str| -> usize {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for i in 1..=a.len() {
            let mut cur = vec![i; b.len() + 1];
            for j in 1..=b.len() {
                let c = usize::from(a[i - 1] != b[j - 1]);
                cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + c);
            }
            prev = cur;
        }
        prev[b.len()]
    };
    candidates
        .iter()
        .map(|c| (d(name, c), *c))
        .filter(|(k, c)| *k <= 2.max(c.len() / 4) && *k < name.len().max(1))
        .min_by_key(|(k, _)| *k)
        .map(|(_, c)| c)
}
