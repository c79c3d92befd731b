//! Least-squares structure: an objective f = Σᵢ cᵢ‖rᵢ(z)‖² (cᵢ > 0) seen as f = ‖r‖² with the
//! stacked residual r = [√c₁ r₁; √c₂ r₂; …], and its two Jacobians J = ∂r/∂z, J̃ = ∂r/∂z̄, so
//! that dr = J dz + J̃ conj(dz).
//!
//! Recognized terms (contract §5): `sum(abs2(r))`, `norm2sq(r)`, `norm2(r)^2`, `sum(r.^2)` and
//! `r.^2`/`r^2` for real r, `r' * r` for a vector r (and `transpose(r) * r` for a real one), `abs2(r)` of a scalar, positive constant multiples and
//! quotients of these, and sums of such terms.
//!
//! For a real variable the imaginary direction is frozen, so J and J̃ each hold half of ∂r/∂x
//! (J + J̃ is the real Jacobian), as for the Hessian pair.

use super::adjoint::pullback;
use super::eval::{evaluate_outputs, EvalError, Values};
use super::function::{split_point, unit_directions, VarInfo};
use super::graph::{Graph, NodeId, Op, Trans, Unary};
use super::tangent::{propagate, propagate_tangents, Batch};
use crate::model::Ty;
use faer::Mat;
use num_complex::Complex64 as C64;

/// One residual block rᵢ with its weight cᵢ > 0.
#[derive(Clone, Debug, PartialEq)]
pub struct ResidualPiece {
    /// The residual node.
    pub node: NodeId,
    /// The weight cᵢ.
    pub weight: f64,
}

/// Finds the least-squares structure of `output`, if it has one.
pub fn find_pieces(g: &Graph, output: NodeId) -> Option<Vec<ResidualPiece>> {
    let mut out = Vec::new();
    collect(g, output, 1.0, &mut out)?;
    (!out.is_empty()).then_some(out)
}

fn positive_const(g: &Graph, id: NodeId) -> Option<f64> {
    match &g.node(id).op {
        Op::Const(t) if t.shape().is_scalar() => {
            let v = t.data()[0];
            (v.im == 0.0 && v.re > 0.0 && v.re.is_finite()).then_some(v.re)
        }
        _ => None,
    }
}

fn collect(g: &Graph, id: NodeId, w: f64, out: &mut Vec<ResidualPiece>) -> Option<()> {
    let n = g.node(id);
    match &n.op {
        Op::Add => {
            collect(g, n.args[0], w, out)?;
            collect(g, n.args[1], w, out)
        }
        Op::Scale(c) if c.im == 0.0 && c.re > 0.0 => collect(g, n.args[0], w * c.re, out),
        Op::EMul if g.shape(id).is_scalar() => {
            if let Some(c) = positive_const(g, n.args[0]) {
                collect(g, n.args[1], w * c, out)
            } else {
                let c = positive_const(g, n.args[1])?;
                collect(g, n.args[0], w * c, out)
            }
        }
        Op::EDiv if g.shape(id).is_scalar() => {
            let c = positive_const(g, n.args[1])?;
            collect(g, n.args[0], w / c, out)
        }
        Op::Sum => square_of(g, n.args[0]).map(|r| out.push(ResidualPiece { node: r, weight: w })),
        Op::MatMul(Trans::H, Trans::N) | Op::MatMul(Trans::T, Trans::N)
            if n.args[0] == n.args[1]
                && g.shape(id).is_scalar()
                && (matches!(n.op, Op::MatMul(Trans::H, _)) || g.ty(n.args[0]).real) =>
        {
            out.push(ResidualPiece {
                node: n.args[0],
                weight: w,
            });
            Some(())
        }
        _ if g.shape(id).is_scalar() => {
            square_of(g, id).map(|r| out.push(ResidualPiece { node: r, weight: w }))
        }
        _ => None,
    }
}

/// r when `id` is abs2(r) or r.^2 with real r.
fn square_of(g: &Graph, id: NodeId) -> Option<NodeId> {
    let n = g.node(id);
    match &n.op {
        Op::Unary(Unary::Abs2) => Some(n.args[0]),
        // ‖r‖² written as norm2(r)^2: the residual is r itself, not the scalar ‖r‖
        Op::PowConst(p)
            if *p == C64::new(2.0, 0.0) && matches!(g.node(n.args[0]).op, Op::Norm2) =>
        {
            Some(g.node(n.args[0]).args[0])
        }
        Op::PowConst(p) if *p == C64::new(2.0, 0.0) && g.ty(n.args[0]).real => Some(n.args[0]),
        _ => None,
    }
}

/// The residual of a least-squares objective and its Jacobians as operators and matrices.
#[derive(Clone, Debug)]
pub struct LeastSquares {
    graph: Graph,
    pieces: Vec<ResidualPiece>,
    seeds_last: NodeId,
    adj: Vec<Option<NodeId>>,
    vars: Vec<VarInfo>,
    dim: usize,
    len: usize,
}

impl LeastSquares {
    /// Recognizes the structure of `output` in `graph` (the graph of a
    /// [`super::Function`], with its variables); `None` when the objective is not a positively
    /// weighted sum of squares.
    pub fn detect(graph: &Graph, output: NodeId, vars: &[VarInfo]) -> Option<LeastSquares> {
        let pieces = find_pieces(graph, output)?;
        let mut g = graph.clone();
        let mut outs = Vec::new();
        for (i, p) in pieces.iter().enumerate() {
            let s = g.push(Op::Seed(i), vec![], Ty::complex(g.shape(p.node)));
            let s = g.scale(C64::new(p.weight.sqrt(), 0.0), s);
            outs.push((p.node, s));
        }
        let seeds_last = g.len() - 1;
        let adj = pullback(&mut g, &outs, vars.len()).ok()?;
        let dim = vars.iter().map(|v| v.shape.numel()).sum();
        let len = pieces.iter().map(|p| graph.shape(p.node).numel()).sum();
        Some(LeastSquares {
            graph: g,
            pieces,
            seeds_last,
            adj,
            vars: vars.to_vec(),
            dim,
            len,
        })
    }
    /// The residual pieces and weights.
    pub fn pieces(&self) -> &[ResidualPiece] {
        &self.pieces
    }
    /// Length M of the stacked residual.
    pub fn len(&self) -> usize {
        self.len
    }
    /// True when the residual is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Length N of the parameter vector.
    pub fn dim(&self) -> usize {
        self.dim
    }
    fn stack(&self, get: impl Fn(NodeId) -> Option<Vec<C64>>) -> Vec<C64> {
        let mut r = Vec::with_capacity(self.len);
        for p in &self.pieces {
            let s = p.weight.sqrt();
            let n = self.graph.shape(p.node).numel();
            match get(p.node) {
                Some(v) => r.extend(v.iter().map(|x| x * s)),
                None => r.extend(std::iter::repeat_n(C64::new(0.0, 0.0), n)),
            }
        }
        r
    }
    /// r(z) (stacked and weighted, so that f = ‖r‖²).
    pub fn residual(&self, z: &[C64]) -> Result<Vec<C64>, EvalError> {
        // Evaluation is lazy (only what the requested nodes depend on), so every piece must be
        // requested: the last piece alone does not depend on the others.
        let outs: Vec<NodeId> = self.pieces.iter().map(|p| p.node).collect();
        let v = evaluate_outputs(&self.graph, &outs, &split_point(&self.vars, z), &[])?;
        Ok(self.stack(|id| v.get(id).map(|t| t.data().to_vec())))
    }
    /// dr = J v + J̃ conj(v) for each column of `v` (N × k), giving M × k.
    pub fn jvp(&self, z: &[C64], v: &Batch) -> Result<Batch, EvalError> {
        let mut vals = Values::new(&self.graph, &split_point(&self.vars, z), &[]);
        let tans = super::function::split_batch(&self.vars, v);
        let outs: Vec<NodeId> = self.pieces.iter().map(|p| p.node).collect();
        let t = propagate(&self.graph, &outs, &mut vals, &tans, &[])?;
        let mut out = Batch::zeros(self.len, v.k);
        for j in 0..v.k {
            let col = self.stack(|id| t[id].as_ref().map(|b| b.col(j).to_vec()));
            out.data[j * self.len..(j + 1) * self.len].copy_from_slice(&col);
        }
        Ok(out)
    }
    /// The pullback Jᴴu + J̃ᵀ conj(u) of a residual adjoint u (length M).
    pub fn vjp(&self, z: &[C64], u: &[C64]) -> Result<Vec<C64>, EvalError> {
        let mut seeds = Vec::new();
        let mut off = 0;
        for p in &self.pieces {
            let shape = self.graph.shape(p.node);
            let n = shape.numel();
            let d = u.get(off..off + n).map(|s| s.to_vec()).unwrap_or_default();
            let t = crate::model::Tensor::new(shape, d).ok_or_else(|| EvalError {
                node: p.node,
                message: format!("adjoint has {} entries, expected {}", u.len(), self.len),
            })?;
            seeds.push(std::sync::Arc::new(t));
            off += n;
        }
        let outs: Vec<NodeId> = self.adj.iter().flatten().copied().collect();
        let v = evaluate_outputs(&self.graph, &outs, &split_point(&self.vars, z), &seeds)?;
        let _ = self.seeds_last;
        let mut out = vec![C64::new(0.0, 0.0); self.dim];
        for (var, a) in self.vars.iter().zip(&self.adj) {
            if let Some(t) = a.and_then(|id| v.get(id)) {
                out[var.offset..var.offset + t.data().len()].copy_from_slice(t.data());
            }
        }
        Ok(out)
    }
    /// J v.
    pub fn apply_j(&self, z: &[C64], v: &[C64]) -> Result<Vec<C64>, EvalError> {
        let (a, b) = self.pair(z, v)?;
        let i = C64::new(0.0, 1.0);
        Ok(a.iter().zip(&b).map(|(x, y)| (x - i * y) * 0.5).collect())
    }
    /// J̃ v.
    pub fn apply_jt(&self, z: &[C64], v: &[C64]) -> Result<Vec<C64>, EvalError> {
        let w: Vec<C64> = v.iter().map(|x| x.conj()).collect();
        let (a, b) = self.pair(z, &w)?;
        let i = C64::new(0.0, 1.0);
        Ok(a.iter().zip(&b).map(|(x, y)| (x + i * y) * 0.5).collect())
    }
    /// dr(v) and dr(iv) in one pass.
    fn pair(&self, z: &[C64], v: &[C64]) -> Result<(Vec<C64>, Vec<C64>), EvalError> {
        let i = C64::new(0.0, 1.0);
        let mut data = v.to_vec();
        data.extend(v.iter().map(|x| i * x));
        let b = self.jvp(
            z,
            &Batch {
                rows: v.len(),
                k: 2,
                data,
            },
        )?;
        Ok((b.col(0).to_vec(), b.col(1).to_vec()))
    }
    /// Jᴴ u.
    pub fn apply_j_adjoint(&self, z: &[C64], u: &[C64]) -> Result<Vec<C64>, EvalError> {
        // V(w) = Jᴴw + J̃ᵀ conj(w) is the pullback; V(iu) = i Jᴴu − i J̃ᵀ conj(u), so
        // V(u) − iV(iu) = 2 Jᴴu (and V(u) + iV(iu) = 2 J̃ᵀ conj(u)).
        let i = C64::new(0.0, 1.0);
        let a = self.vjp(z, u)?;
        let iu: Vec<C64> = u.iter().map(|x| i * x).collect();
        let b = self.vjp(z, &iu)?;
        Ok(a.iter().zip(&b).map(|(x, y)| (x - i * y) * 0.5).collect())
    }
    /// J̃ᴴ u.
    pub fn apply_jt_adjoint(&self, z: &[C64], u: &[C64]) -> Result<Vec<C64>, EvalError> {
        // With V as above, J̃ᵀ conj(u) = (V(u) + iV(iu))/2, and J̃ᴴu = conj(J̃ᵀ conj(u)).
        let i = C64::new(0.0, 1.0);
        let a = self.vjp(z, u)?;
        let iu: Vec<C64> = u.iter().map(|x| i * x).collect();
        let b = self.vjp(z, &iu)?;
        Ok(a.iter()
            .zip(&b)
            .map(|(x, y)| ((x + i * y) * 0.5).conj())
            .collect())
    }
    /// The dense Jacobians (J, J̃), M × N each, from one pass with the 2N directions [I, iI].
    ///
    /// The unit directions travel as sparse tangents ([`super::sparse`]), so the first product
    /// with them (A·eⱼ in ‖Az − b‖²) copies columns instead of multiplying by the identity.
    pub fn jacobians(&self, z: &[C64]) -> Result<(Mat<C64>, Mat<C64>), EvalError> {
        let n = self.dim;
        let mut vals = Values::new(&self.graph, &split_point(&self.vars, z), &[]);
        let outs: Vec<NodeId> = self.pieces.iter().map(|p| p.node).collect();
        let tans = unit_directions(&self.vars, n, 0, 2 * n);
        let tt = propagate_tangents(&self.graph, &outs, &mut vals, &tans, &[])?;
        let m = self.len;
        let mut t = Batch::zeros(m, 2 * n);
        for j in 0..2 * n {
            let col = self.stack(|id| {
                tt[id].as_ref().map(|b| {
                    let mut c = vec![C64::new(0.0, 0.0); self.graph.shape(id).numel()];
                    b.write_col(j, &mut c);
                    c
                })
            });
            t.data[j * m..(j + 1) * m].copy_from_slice(&col);
        }
        let i = C64::new(0.0, 1.0);
        let j1 = Mat::from_fn(m, n, |r, c| {
            (t.data[r + c * m] - i * t.data[r + (n + c) * m]) * 0.5
        });
        let j2 = Mat::from_fn(m, n, |r, c| {
            (t.data[r + c * m] + i * t.data[r + (n + c) * m]) * 0.5
        });
        Ok((j1, j2))
    }
}
