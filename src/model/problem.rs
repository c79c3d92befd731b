//! The in-memory problem that every front end (problem files, the Rust builder) produces.

use super::{Shape, Tensor, Ty};
use crate::cr::{Function, Graph, NodeId, Op};
use crate::expr::{BinOp, DataValue};
use num_complex::Complex64 as C64;
use std::collections::BTreeMap;
use std::ops::Range;

/// A decision variable.
#[derive(Clone, Debug)]
pub struct Variable {
    /// Its name.
    pub name: String,
    /// Its shape and whether it is real.
    pub ty: Ty,
    /// The starting point (zero when absent).
    pub init: Option<Tensor>,
}

/// Minimize or maximize.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sense {
    /// minimize f
    Minimize,
    /// maximize f
    Maximize,
}

/// A constraint `lhs OP rhs`, elementwise, sides of equal layout.
#[derive(Clone, Debug)]
pub struct Constraint {
    /// `==`, `<=` or `>=`.
    pub op: BinOp,
    /// Left side node in [`Problem::graph`].
    pub lhs: NodeId,
    /// Right side node.
    pub rhs: NodeId,
    /// Where it was written (byte range in the problem file), when it came from a file.
    pub span: Option<Range<usize>>,
}

/// Settings of the `[solver]` table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SolverSettings {
    /// `method`, as written.
    pub method: Option<String>,
    /// `max_iter`.
    pub max_iter: Option<u64>,
    /// `tol` (0 means never stop on tolerance).
    pub tol: Option<f64>,
    /// `memory_limit` in GiB (see `solve::budget`).
    pub memory_limit: Option<f64>,
}

/// A complete problem.
#[derive(Clone, Debug)]
pub struct Problem {
    /// `[problem] name`.
    pub name: Option<String>,
    /// `[problem] description`.
    pub description: Option<String>,
    /// `[problem] expected_objective`: the known optimal value, for tests and examples.
    pub expected_objective: Option<f64>,
    /// The variables; `Op::Var(i)` in the graph is `variables[i]`.
    pub variables: Vec<Variable>,
    /// The data entries.
    pub data: BTreeMap<String, DataValue>,
    /// Minimize or maximize.
    pub sense: Sense,
    /// Objective and constraint expressions.
    pub graph: Graph,
    /// The objective node (a real scalar), in the problem's own sense.
    pub objective: NodeId,
    /// The constraints.
    pub constraints: Vec<Constraint>,
    /// Solver settings from the file.
    pub solver: SolverSettings,
}

impl Problem {
    /// The variables' names and types, in order.
    pub fn var_types(&self) -> Vec<(String, Ty)> {
        self.variables
            .iter()
            .map(|v| (v.name.clone(), v.ty))
            .collect()
    }
    /// The objective in minimization form (−f for `maximize`), compiled with its derivatives.
    pub fn function(&self) -> Result<Function, String> {
        let mut g = self.graph.clone();
        let out = match self.sense {
            Sense::Minimize => self.objective,
            Sense::Maximize => g.neg(self.objective),
        };
        Function::new(g, out, self.var_types())
    }
    /// The stacked starting point (zeros where no `init` is given).
    pub fn initial_point(&self) -> Vec<C64> {
        let mut z = Vec::new();
        for v in &self.variables {
            match &v.init {
                Some(t) => z.extend_from_slice(t.data()),
                None => z.extend(std::iter::repeat_n(C64::new(0.0, 0.0), v.ty.shape.numel())),
            }
        }
        z
    }
    /// True when the objective or a constraint uses an eigenvalue or singular-value function.
    pub fn has_spectral_terms(&self) -> bool {
        self.graph
            .nodes()
            .iter()
            .any(|n| matches!(n.op, Op::SpectralValue(_) | Op::GenEigValue(_)))
    }
    /// Total number of scalar entries of all variables.
    pub fn dim(&self) -> usize {
        self.variables.iter().map(|v| v.ty.shape.numel()).sum()
    }
    /// The shape of variable `i`.
    pub fn var_shape(&self, i: usize) -> Option<Shape> {
        self.variables.get(i).map(|v| v.ty.shape)
    }
}
