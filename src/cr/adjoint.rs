//! Reverse mode as a graph transformation: the pullback of every operation is written with the
//! same operations, so that the gradient is itself a graph that forward mode can differentiate
//! (forward-over-reverse gives H v + K conj(v)).
//!
//! Convention (DESIGN.md §1): for an intermediate w = φ(u) the adjoint is ḡ_w = 2∂f/∂w̄, and
//!
//! ```text
//! ḡ_u = conj(∂φ/∂u)·ḡ_w + (∂φ/∂ū)·conj(ḡ_w)
//! ```
//!
//! summed over every use of u. For linear maps L this is the adjoint of L with respect to
//! ⟨a, b⟩ = Re(aᴴb); for holomorphic φ it is conj(φ′)·ḡ_w.

use super::graph::{Graph, NodeId, Op, Trans, Unary};
use crate::model::Ty;
use num_complex::Complex64 as C64;
use std::collections::HashMap;

/// Marks the nodes among `0..=last` that depend on a variable.
pub fn active_nodes(g: &Graph, last: NodeId) -> Vec<bool> {
    let mut active = vec![false; last + 1];
    for id in 0..=last {
        let n = g.node(id);
        active[id] = matches!(n.op, Op::Var(_)) || n.args.iter().any(|&a| active[a]);
    }
    active
}

/// In the pullback of Y = op_a(A)·op_b(B) to B, the operation under which A multiplies from
/// the left: ḡ_B = op_a(A)ᴴ·G for op_b = N (`ta.adjoint()`), and
/// ḡ_B = conj(op_a(A)ᴴ·G) = op_a(A)ᵀ·Ḡ for op_b = C (`ta.transpose()`). For op_b = T or H, A
/// multiplies from the right: `None`.
pub(crate) fn left_factor_op(ta: Trans, tb: Trans) -> Option<Trans> {
    match tb {
        Trans::N => Some(ta.adjoint()),
        Trans::C => Some(ta.transpose()),
        Trans::T | Trans::H => None,
    }
}

/// Stores in `g`, ahead of differentiation, the copy op(A) that the pullback of each product
/// op_a(A)·op_b(B) with a constant A and a B that depends on a variable will read (see
/// [`Graph::matmul`]; nothing for copies the graph already holds, for op = N, or beyond
/// [`super::graph::MATERIALIZE_ENTRIES`] entries).
///
/// Problems call this when they are built, while their data is fresh in the cache. Every
/// function compiled from the problem clones its graph and finds the copy there, instead of
/// transposing A again at each compile: inside a phase-retrieval solve (n = 128, m = 576,
/// `cargo bench --bench solvers`) A itself is no longer in the cache, and its 1.18 MB
/// transpose took about 180 µs of each 3.8 ms L-BFGS solve; at parse time, 45 µs once. The
/// copy stays with the problem (the size of A once more).
///
/// ```
/// use wirtinger::cr::{prepare_pullback_copies, Graph, Op, Trans};
/// use wirtinger::model::{Shape, Tensor, Ty};
/// let mut g = Graph::default();
/// let a = g.constant(Tensor::zeros(Shape::Matrix(3, 2)), false);
/// let z = g.push(Op::Var(0), vec![], Ty::complex(Shape::Vector(2)));
/// let _p = g.matmul(a, Trans::N, z, Trans::N);
/// let before = g.len();
/// prepare_pullback_copies(&mut g);
/// assert_eq!(g.len(), before + 1); // the constant Aᴴ
/// prepare_pullback_copies(&mut g);
/// assert_eq!(g.len(), before + 1); // made once
/// ```
pub fn prepare_pullback_copies(g: &mut Graph) {
    let Some(last) = g.len().checked_sub(1) else {
        return;
    };
    let active = active_nodes(g, last);
    for id in 0..=last {
        let node = g.node(id);
        let (Op::MatMul(ta, tb), &[a, b]) = (&node.op, &node.args[..]) else {
            continue;
        };
        if active[b] && matches!(g.node(a).op, Op::Const(_)) {
            if let Some(op) = left_factor_op(*ta, *tb) {
                g.materialize(a, op);
            }
        }
    }
}

/// Appends to `g` the pullback of `outputs` (pairs of output node and its adjoint seed node)
/// and returns, for each variable index `0..nvars`, the node holding its adjoint (`None` when
/// the outputs do not depend on it).
pub fn pullback(
    g: &mut Graph,
    outputs: &[(NodeId, NodeId)],
    nvars: usize,
) -> Result<Vec<Option<NodeId>>, String> {
    let last = outputs.iter().map(|o| o.0).max().unwrap_or(0);
    if g.is_empty() {
        return Ok(vec![None; nvars]);
    }
    let active = active_nodes(g, last);
    let mut adj: HashMap<NodeId, NodeId> = HashMap::new();
    for &(o, s) in outputs {
        accumulate(g, &mut adj, o, s);
    }
    let mut vars = vec![None; nvars];
    for id in (0..=last).rev() {
        if !active[id] {
            continue;
        }
        let Some(&gw) = adj.get(&id) else { continue };
        let node = g.node(id).clone();
        if let Op::Var(i) = node.op {
            if i < nvars {
                let gv = if node.ty.real { g.re(gw) } else { gw };
                vars[i] = Some(gv);
            }
            continue;
        }
        for (k, contrib) in vjp(g, id, gw, &active)? {
            accumulate(g, &mut adj, node.args[k], contrib);
        }
    }
    Ok(vars)
}

fn accumulate(g: &mut Graph, adj: &mut HashMap<NodeId, NodeId>, target: NodeId, c: NodeId) {
    // Restore the target's exact shape tag (a [1, n] adjoint of a row stays a row, etc.).
    let c = if g.shape(c) != g.shape(target) && g.shape(c).same_layout(&g.shape(target)) {
        let real = g.ty(c).real;
        let shape = g.shape(target);
        g.push(
            Op::Gather(identity(shape.numel())),
            vec![c],
            Ty { shape, real },
        )
    } else {
        c
    };
    let new = match adj.get(&target) {
        Some(&prev) => g.add(prev, c),
        None => c,
    };
    adj.insert(target, new);
}

fn identity(n: usize) -> std::sync::Arc<Vec<usize>> {
    std::sync::Arc::new((0..n).collect())
}

/// The pullback contributions of node `id` with output adjoint `gw`, as (argument position,
/// adjoint node) pairs, only for active arguments.
fn vjp(
    g: &mut Graph,
    id: NodeId,
    gw: NodeId,
    active: &[bool],
) -> Result<Vec<(usize, NodeId)>, String> {
    let node = g.node(id).clone();
    let args = node.args.clone();
    let act = |k: usize| args.get(k).is_some_and(|&a| active[a]);
    let mut out = Vec::new();
    let one = C64::new(1.0, 0.0);
    match &node.op {
        Op::Var(_) | Op::Seed(_) | Op::Const(_) => {}
        Op::Add => {
            for k in 0..2 {
                if act(k) {
                    out.push((k, gw));
                }
            }
        }
        Op::Sub => {
            if act(0) {
                out.push((0, gw));
            }
            if act(1) {
                out.push((1, g.neg(gw)));
            }
        }
        Op::Neg => out.push((0, g.neg(gw))),
        Op::Scale(c) => out.push((0, g.scale(c.conj(), gw))),
        Op::EMul => {
            // w = a b: ḡ_a = conj(b) ḡ_w, ḡ_b = conj(a) ḡ_w
            for k in 0..2 {
                if act(k) {
                    let other = g.conj(args[1 - k]);
                    out.push((k, g.emul(other, gw)));
                }
            }
        }
        Op::EDiv => {
            // w = a / b: ∂w/∂a = 1/b, ∂w/∂b = −w/b
            if act(0) {
                let cb = g.conj(args[1]);
                out.push((0, g.ediv(gw, cb)));
            }
            if act(1) {
                let q = g.ediv(id, args[1]);
                let cq = g.conj(q);
                let t = g.emul(cq, gw);
                out.push((1, g.neg(t)));
            }
        }
        Op::Unary(u) => {
            let a = args[0];
            let c = match u {
                Unary::Conj => g.conj_force(gw),
                Unary::Real => g.re_force(gw),
                Unary::Imag => {
                    let r = g.re_force(gw);
                    g.scale(C64::new(0.0, 1.0), r)
                }
                Unary::Abs2 => {
                    // ū·ḡ + u·conj(ḡ) conj'd: u (ḡ + conj ḡ) = 2 u Re ḡ
                    let r = g.re_force(gw);
                    let t = g.emul(a, r);
                    g.scale(C64::new(2.0, 0.0), t)
                }
                Unary::Abs => {
                    // (u/|u|) Re ḡ, 0 at u = 0
                    let s = g.unary(Unary::Sign, a);
                    let r = g.re_force(gw);
                    g.emul(s, r)
                }
                Unary::Sign => {
                    // s = u/|u|: ds = (du − s Re(s̄ du))/|u|; pullback ḡ_u = (ḡ − s Re(s̄ ḡ))/|u|
                    let s = id;
                    let cs = g.conj(s);
                    let t = g.emul(cs, gw);
                    let r = g.re_force(t);
                    let sr = g.emul(s, r);
                    let num = g.sub(gw, sr);
                    let m = g.unary(Unary::Abs, a);
                    safe_div(g, num, m)
                }
                Unary::Exp => {
                    let cw = g.conj(id);
                    g.emul(cw, gw)
                }
                Unary::Log => {
                    let ca = g.conj(a);
                    g.ediv(gw, ca)
                }
                Unary::Sqrt => {
                    let cw = g.conj(id);
                    let t = g.ediv(gw, cw);
                    g.scale(C64::new(0.5, 0.0), t)
                }
                Unary::Sin => {
                    let c = g.unary(Unary::Cos, a);
                    let cc = g.conj(c);
                    g.emul(cc, gw)
                }
                Unary::Cos => {
                    let s = g.unary(Unary::Sin, a);
                    let cs = g.conj(s);
                    let t = g.emul(cs, gw);
                    g.neg(t)
                }
            };
            out.push((0, c));
        }
        Op::PowConst(p) => {
            let d = g.pow_const(args[0], p - one);
            let d = g.scale(*p, d);
            let cd = g.conj(d);
            out.push((0, g.emul(cd, gw)));
        }
        Op::Broadcast(_) => out.push((0, g.sum(gw))),
        Op::Norm2 => {
            // ḡ_a = Re(ḡ) a/‖a‖ (0 at a = 0)
            let shape = g.shape(args[0]);
            let r = g.re_force(gw);
            let rb = g.broadcast(r, shape);
            let num = g.emul(rb, args[0]);
            let wb = g.broadcast(id, shape);
            out.push((0, safe_div(g, num, wb)));
        }
        Op::Sum => {
            let s = g.shape(args[0]);
            out.push((0, g.broadcast(gw, s)));
        }
        Op::MatMul(ta, tb) => {
            let (a, b) = (args[0], args[1]);
            let (ta, tb) = (*ta, *tb);
            if act(0) {
                // ḡ_X = G op_b(B)ᴴ, then ḡ_A = op_a applied as its own adjoint map.
                let c = match ta {
                    Trans::N => g.matmul(gw, Trans::N, b, tb.adjoint()),
                    Trans::H => g.matmul(b, tb, gw, Trans::H),
                    Trans::T => g.matmul(b, tb.conj(), gw, Trans::T),
                    Trans::C => g.matmul(gw, Trans::C, b, tb.transpose()),
                };
                out.push((0, c));
            }
            if act(1) {
                let c = match (tb, left_factor_op(ta, tb)) {
                    (Trans::H, _) => g.matmul(gw, Trans::H, a, ta),
                    (Trans::T, _) => g.matmul(gw, Trans::T, a, ta.conj()),
                    (_, Some(op)) => g.matmul(a, op, gw, tb),
                    (_, None) => unreachable!("left_factor_op is Some for N and C"),
                };
                out.push((1, c));
            }
        }
        Op::Transpose { conj } => {
            let s = g.shape(args[0]);
            out.push((0, g.transpose_to(gw, *conj, s)));
        }
        Op::Diag => {
            let real = g.ty(gw).real;
            let shape = g.shape(args[0]);
            out.push((0, g.push(Op::DiagOf, vec![gw], Ty { shape, real })));
        }
        Op::DiagOf => {
            let shape = g.shape(args[0]);
            let real = g.ty(gw).real;
            out.push((0, g.push(Op::Diag, vec![gw], Ty { shape, real })));
        }
        Op::Gather(idx) => {
            let shape = g.shape(args[0]);
            let real = g.ty(gw).real;
            out.push((
                0,
                g.push(Op::Scatter(idx.clone()), vec![gw], Ty { shape, real }),
            ));
        }
        Op::Scatter(idx) => {
            let shape = g.shape(args[0]);
            let real = g.ty(gw).real;
            out.push((
                0,
                g.push(Op::Gather(idx.clone()), vec![gw], Ty { shape, real }),
            ));
        }
        Op::Herm { .. } => out.push((0, g.herm(gw, false))),
        Op::Embed => {
            let shape = g.shape(args[0]);
            let real = g.ty(gw).real;
            out.push((0, g.push(Op::EmbedAdj, vec![gw], Ty { shape, real })));
        }
        Op::EmbedAdj => {
            let shape = g.shape(args[0]);
            let real = g.ty(gw).real;
            out.push((0, g.push(Op::Embed, vec![gw], Ty { shape, real })));
        }
        Op::SpectralValue(f) => {
            let shape = g.shape(args[0]);
            let p = g.push(Op::SpectralGrad(*f), vec![args[0]], Ty::complex(shape));
            let r = g.re_force(gw);
            let rb = g.broadcast(r, shape);
            out.push((0, g.emul(rb, p)));
        }
        Op::GenEigValue(max) => {
            // dλ = vᴴ (dA − λ dB) v with vᴴBv = 1
            let shape = g.shape(args[0]);
            let p = g.push(Op::GenEigProj(*max), vec![args[0], args[1]], Ty::complex(shape));
            let r = g.re_force(gw);
            if act(0) {
                let rb = g.broadcast(r, shape);
                out.push((0, g.emul(rb, p)));
            }
            if act(1) {
                let lr = g.emul(r, id);
                let lr = g.neg(lr);
                let rb = g.broadcast(lr, shape);
                out.push((1, g.emul(rb, p)));
            }
        }
        Op::Lincomb(st) => {
            // y = F x is holomorphic and linear: ḡ_x = Fᴴ ḡ_y (⟨Sᵢ, Ḡ⟩ for each i).
            let shape = g.shape(args[0]);
            let real = st.is_real() && g.ty(gw).real;
            out.push((
                0,
                g.push(Op::StackAdj(st.clone()), vec![gw], Ty { shape, real }),
            ));
        }
        Op::StackAdj(st) => {
            // w = Fᴴ G is linear with adjoint F: ḡ_G = F ḡ_w.
            let shape = g.shape(args[0]);
            let real = st.is_real() && g.ty(gw).real;
            out.push((
                0,
                g.push(Op::Lincomb(st.clone()), vec![gw], Ty { shape, real }),
            ));
        }
        Op::Fft | Op::Ifft => {
            // F is unitary up to n: Fᴴ = n·ifft, (ifft)ᴴ = fft/n
            let n = g.shape(args[0]).numel().max(1) as f64;
            let ty = g.ty(gw);
            let (op, s) = if matches!(node.op, Op::Fft) {
                (Op::Ifft, n)
            } else {
                (Op::Fft, 1.0 / n)
            };
            let t = g.push(op, vec![gw], Ty::complex(ty.shape));
            out.push((0, g.scale(C64::new(s, 0.0), t)));
        }
        Op::Custom(c) => {
            for k in 0..args.len() {
                if act(k) {
                    let mut a = args.clone();
                    a.push(gw);
                    let ty = g.ty(args[k]);
                    let ty = Ty {
                        shape: ty.shape,
                        real: false,
                    };
                    out.push((k, g.push(Op::CustomVjp(c.clone(), k), a, ty)));
                }
            }
        }
        Op::SpectralGrad(_) | Op::GenEigProj(_) | Op::EigvecMax | Op::CustomVjp(..) => {
            return Err(format!(
                "cannot take the reverse-mode derivative of {:?} (it appears only in derivative graphs or data)",
                node.op
            ))
        }
    }
    Ok(out)
}

/// num ./ den with 0 where den = 0.
fn safe_div(g: &mut Graph, num: NodeId, den: NodeId) -> NodeId {
    // sign(den) = 1 where den > 0 and 0 where den = 0 (den ≥ 0 here), so
    // num .* sign(den) ./ (den + (1 − sign(den))) is num/den or 0.
    let s = g.unary(Unary::Sign, den);
    let shape = g.shape(den);
    let one = g.real_scalar(1.0);
    let ones = g.broadcast(one, shape);
    let fix = g.sub(ones, s);
    let d = g.add(den, fix);
    let n = g.emul(num, s);
    g.ediv(n, d)
}

impl Graph {
    /// f applied to a constant, or to the scalar constant under a broadcast, as a new constant
    /// (broadcast again); `None` for any other node. The result is real-typed when every entry
    /// of it is real.
    fn fold_const(&mut self, a: NodeId, f: impl Fn(C64) -> C64) -> Option<NodeId> {
        match &self.node(a).op {
            Op::Const(t) => {
                let data: Vec<C64> = t.data().iter().map(|&v| f(v)).collect();
                let real = data.iter().all(|v| v.im == 0.0);
                Some(self.constant(crate::model::Tensor::from_parts(t.shape(), data), real))
            }
            Op::Broadcast(shape) => {
                let (shape, inner) = (*shape, self.node(a).args[0]);
                if !matches!(&self.node(inner).op, Op::Const(t) if t.data().len() == 1) {
                    return None;
                }
                let c = self.fold_const(inner, f)?;
                Some(self.broadcast(c, shape))
            }
            _ => None,
        }
    }
    /// conj(a) as a node even for real-typed a (whose adjoints may carry imaginary parts);
    /// folded into a constant when a is a (broadcast) constant.
    pub(crate) fn conj_force(&mut self, a: NodeId) -> NodeId {
        if let Some(c) = self.fold_const(a, |v| v.conj()) {
            return c;
        }
        let t = self.ty(a);
        self.push(Op::Unary(Unary::Conj), vec![a], t)
    }
    /// Re(a) as a node even for real-typed a; folded into a constant when a is a (broadcast)
    /// constant (the adjoint seed of a sum is a broadcast 1, so Re of it is that 1 again and
    /// the pullback of |u|² becomes 2u instead of 2u .* Re(1)).
    pub(crate) fn re_force(&mut self, a: NodeId) -> NodeId {
        if let Some(c) = self.fold_const(a, |v| C64::new(v.re, 0.0)) {
            return c;
        }
        let t = self.ty(a);
        self.push(
            Op::Unary(Unary::Real),
            vec![a],
            Ty {
                shape: t.shape,
                real: true,
            },
        )
    }
}
