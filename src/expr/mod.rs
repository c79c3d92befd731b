//! The expression language: parser, typing and lowering into the engine's graph.

pub mod ast;
pub mod lower;
pub mod parse;

pub use ast::{BinOp, Expr, ExprKind, Span};
pub use lower::{Context, DataValue, LowerError, Lowerer};
pub use parse::{parse_expression, ParseError};

use crate::cr::{Function, Graph};
use crate::model::Ty;
use std::collections::BTreeMap;

/// Parses, type-checks and compiles an objective expression over the given variables and data
/// (a shortcut for tests and small programs; problem files go through [`crate::io`]).
///
/// ```
/// use wirtinger::expr::compile_objective;
/// use wirtinger::model::{Shape, Ty};
/// use num_complex::Complex64 as C64;
/// let f = compile_objective("abs2(z)", &[("z".into(), Ty::complex(Shape::Scalar))], &Default::default()).unwrap();
/// let (_, g) = f.value_gradient(&[C64::new(1.0, 2.0)]).unwrap();
/// assert_eq!(g[0], C64::new(2.0, 4.0));
/// ```
pub fn compile_objective(
    src: &str,
    vars: &[(String, Ty)],
    data: &BTreeMap<String, DataValue>,
) -> Result<Function, String> {
    let e = parse_expression(src).map_err(|e| format!("{} at {:?}", e.message, e.span))?;
    let mut g = Graph::default();
    let out = Lowerer::new(&mut g, vars, data, Context::Objective)
        .lower(&e)
        .map_err(|e| format!("{} at {:?}", e.message, e.span))?;
    let t = g.ty(out);
    if !t.shape.is_scalar() || !t.real {
        return Err(format!("the objective must be a real scalar, got {t}"));
    }
    Function::new(g, out, vars.to_vec())
}
