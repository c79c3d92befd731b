//! Abstract syntax tree for objective and constraint expressions.
//!
//! Expressions are produced by [`super::parse::parse_expression`]. Every node
//! carries a [`Span`] of byte offsets into the source string so that later
//! stages (name resolution, shape checking, evaluation) can point at the
//! offending piece of the user's input.
//!
//! Trees produced by the parser are at most [`super::parse::MAX_DEPTH`] levels
//! deep, so the recursive helpers here ([`Display`](std::fmt::Display),
//! [`Expr::eq_ignoring_spans`], the derived `Clone`/`PartialEq`/`Drop`) cannot
//! overflow the stack on parser output.

use std::fmt;

/// Byte offsets into the expression string.
pub type Span = std::ops::Range<usize>;

/// An expression node together with the source range it was parsed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What kind of expression this is.
    pub kind: ExprKind,
    /// Byte range in the source. For a parenthesized expression the range
    /// includes the parentheses.
    pub span: Span,
}

/// The different kinds of expression nodes.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// real literal: `2`, `0.5`, `1e-3`, `.5`
    Number(f64),
    /// imaginary literal: `2i`, `1.5i`, `1e-3i` (value is the imaginary part)
    Imag(f64),
    /// A variable, parameter or constant name (`z`, `G`, `i`, `pi`, ...).
    Name(String),
    /// Unary minus `-e`.
    Neg(Box<Expr>),
    /// Binary operation `lhs op rhs`.
    Binary {
        /// The operator.
        op: BinOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// postfix `'` (conjugate transpose)
    Adjoint(Box<Expr>),
    /// `x[k]`, `A[i, j]`
    Index {
        /// The indexed expression.
        target: Box<Expr>,
        /// One or more index expressions (never empty when parsed).
        indices: Vec<Expr>,
    },
    /// `f(a, b)`; name_span covers the function name
    Call {
        /// Function name.
        name: String,
        /// Byte range of the function name alone.
        name_span: Span,
        /// Arguments (possibly empty: `f()`).
        args: Vec<Expr>,
    },
}

/// Binary operators, see [`BinOp::symbol`] for their spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*` (matrix product)
    Mul,
    /// `/`
    Div,
    /// `.*` (elementwise product)
    ElemMul,
    /// `./` (elementwise division)
    ElemDiv,
    /// `^` (matrix power)
    Pow,
    /// `.^` (elementwise power)
    ElemPow,
    /// `==` (equality constraint)
    Eq,
    /// `<=` (inequality constraint)
    Le,
    /// `>=` (inequality constraint)
    Ge,
}

impl BinOp {
    /// The operator as written in source: `"+"`, `".*"`, `"=="`, ...
    pub fn symbol(&self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::ElemMul => ".*",
            BinOp::ElemDiv => "./",
            BinOp::Pow => "^",
            BinOp::ElemPow => ".^",
            BinOp::Eq => "==",
            BinOp::Le => "<=",
            BinOp::Ge => ">=",
        }
    }

    /// Binding strength: 1 for comparisons, 2 for `+ -`, 3 for `* / .* ./`,
    /// 5 for `^ .^` (4 is unary minus).
    pub fn precedence(&self) -> u8 {
        match self {
            BinOp::Eq | BinOp::Le | BinOp::Ge => 1,
            BinOp::Add | BinOp::Sub => 2,
            BinOp::Mul | BinOp::Div | BinOp::ElemMul | BinOp::ElemDiv => 3,
            BinOp::Pow | BinOp::ElemPow => 5,
        }
    }

    /// Whether this is one of the comparison operators `==`, `<=`, `>=`.
    pub fn is_comparison(&self) -> bool {
        matches!(self, BinOp::Eq | BinOp::Le | BinOp::Ge)
    }

    /// Whether the operator groups to the right (`^` and `.^`).
    pub fn is_right_assoc(&self) -> bool {
        matches!(self, BinOp::Pow | BinOp::ElemPow)
    }
}

impl fmt::Display for BinOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl Expr {
    /// Creates a node from its kind and span.
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Expr { kind, span }
    }

    /// The direct operands of this node, left to right (an index target before its indices,
    /// a call's arguments in order).
    ///
    /// ```
    /// let e = wirtinger::expr::parse_expression("f(a, -b)").unwrap();
    /// let names: Vec<String> = e.children().map(|c| c.to_string()).collect();
    /// assert_eq!(names, ["a", "(-b)"]);
    /// ```
    pub fn children(&self) -> impl DoubleEndedIterator<Item = &Expr> + '_ {
        let (first, rest): (Option<&Expr>, &[Expr]) = match &self.kind {
            ExprKind::Neg(a) | ExprKind::Adjoint(a) => (Some(a), &[]),
            ExprKind::Binary { lhs, rhs, .. } => {
                return Some(&**lhs)
                    .into_iter()
                    .chain(std::slice::from_ref(&**rhs).iter());
            }
            ExprKind::Index { target, indices } => (Some(target), indices),
            ExprKind::Call { args, .. } => (None, args),
            ExprKind::Number(_) | ExprKind::Imag(_) | ExprKind::Name(_) => (None, &[]),
        };
        first.into_iter().chain(rest.iter())
    }

    /// This node and all nodes below it, in pre-order, without recursion (the parser bounds
    /// the depth, but traversals stay iterative anyway).
    ///
    /// ```
    /// let e = wirtinger::expr::parse_expression("x' * A * x").unwrap();
    /// let names: Vec<String> = e
    ///     .subexpressions()
    ///     .filter(|s| matches!(s.kind, wirtinger::expr::ExprKind::Name(_)))
    ///     .map(|s| s.to_string())
    ///     .collect();
    /// assert_eq!(names, ["x", "A", "x"]);
    /// ```
    pub fn subexpressions(&self) -> impl Iterator<Item = &Expr> + '_ {
        let mut stack = vec![self];
        std::iter::from_fn(move || {
            let e = stack.pop()?;
            stack.extend(e.children().rev());
            Some(e)
        })
    }

    /// Structural equality that ignores all spans (including `name_span`).
    pub fn eq_ignoring_spans(&self, other: &Expr) -> bool {
        use ExprKind::*;
        match (&self.kind, &other.kind) {
            (Number(a), Number(b)) | (Imag(a), Imag(b)) => a == b,
            (Name(a), Name(b)) => a == b,
            (Neg(a), Neg(b)) | (Adjoint(a), Adjoint(b)) => a.eq_ignoring_spans(b),
            (
                Binary { op, lhs, rhs },
                Binary {
                    op: op2,
                    lhs: lhs2,
                    rhs: rhs2,
                },
            ) => op == op2 && lhs.eq_ignoring_spans(lhs2) && rhs.eq_ignoring_spans(rhs2),
            (
                Index { target, indices },
                Index {
                    target: target2,
                    indices: indices2,
                },
            ) => target.eq_ignoring_spans(target2) && all_eq_ignoring_spans(indices, indices2),
            (
                Call { name, args, .. },
                Call {
                    name: name2,
                    args: args2,
                    ..
                },
            ) => name == name2 && all_eq_ignoring_spans(args, args2),
            _ => false,
        }
    }

    /// Number of nesting levels below this node (0 for a leaf).
    pub fn height(&self) -> usize {
        match &self.kind {
            ExprKind::Number(_) | ExprKind::Imag(_) | ExprKind::Name(_) => 0,
            ExprKind::Neg(e) | ExprKind::Adjoint(e) => e.height() + 1,
            ExprKind::Binary { lhs, rhs, .. } => lhs.height().max(rhs.height()) + 1,
            ExprKind::Index { target, indices } => {
                indices
                    .iter()
                    .map(Expr::height)
                    .fold(target.height(), usize::max)
                    + 1
            }
            ExprKind::Call { args, .. } => args.iter().map(Expr::height).fold(0, usize::max) + 1,
        }
    }
}

fn all_eq_ignoring_spans(a: &[Expr], b: &[Expr]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignoring_spans(y))
}

/// Writes a float so that the expression parser reads back the same value.
///
/// `{:?}` gives the shortest round-tripping representation and switches to
/// exponent notation for very large/small magnitudes (`1e-7`, `1e16`), all of
/// which are valid number literals. Negative values (never produced by the
/// parser) are wrapped as `(-x)`; non-finite values print as `inf`/`NaN` and
/// do not re-parse.
fn write_number(f: &mut fmt::Formatter<'_>, v: f64, suffix: &str) -> fmt::Result {
    if v.is_sign_negative() {
        write!(f, "(-{:?}{suffix})", -v)
    } else {
        write!(f, "{v:?}{suffix}")
    }
}

/// Prints a fully parenthesized form that parses back to the same tree
/// (up to spans): `((a + (b * c)) <= 1.0)`, `(-(x ^ 2.0))`, `A[0.0, 1.0]'`.
///
/// Unary minus and binary operations are always wrapped in parentheses;
/// postfix operators, calls and atoms need none because they bind tightest.
///
/// Each printed parenthesis pair counts toward the parser's depth limit, so
/// the output of a tree taller than about `MAX_DEPTH / 2` may be rejected as
/// too deeply nested when parsed again.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Number(v) => write_number(f, *v, ""),
            ExprKind::Imag(v) => write_number(f, *v, "i"),
            ExprKind::Name(n) => f.write_str(n),
            ExprKind::Neg(e) => write!(f, "(-{e})"),
            ExprKind::Binary { op, lhs, rhs } => write!(f, "({lhs} {op} {rhs})"),
            ExprKind::Adjoint(e) => write!(f, "{e}'"),
            ExprKind::Index { target, indices } => {
                write!(f, "{target}[")?;
                write_list(f, indices)?;
                f.write_str("]")
            }
            ExprKind::Call { name, args, .. } => {
                write!(f, "{name}(")?;
                write_list(f, args)?;
                f.write_str(")")
            }
        }
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (k, item) in items.iter().enumerate() {
        if k > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}
