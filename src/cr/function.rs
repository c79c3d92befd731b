//! A compiled real-valued function of the stacked parameter vector z ∈ Cᴺ: value, gradient
//! g = 2∂f/∂z̄, widely-linear Hessian–vector products H v + K conj(v) and the dense pair (H, K).

use super::adjoint::pullback;
use super::eval::{evaluate, needed_nodes, EvalError, Values};
use super::graph::{Graph, NodeId, Op};
use super::row_fusion::{self, RowRegion};
use super::sparse::SparseBatch;
use super::tangent::{propagate_tangents, Batch, Tangent};
use crate::model::{Shape, Tensor, Ty};
use faer::Mat;
use num_complex::Complex64 as C64;
use std::sync::Arc;

/// Tangent entries per node and pass above which [`Function::hvp_batch`] splits its directions
/// into chunks (2¹⁶ complex entries = 1 MiB: measured fastest on the rank-one fit with n = 200,
/// where a 40,000-entry matrix carries the tangents, and on phase retrieval).
pub const TANGENT_ENTRIES: usize = 1 << 16;

/// A variable's place in the stacked parameter vector.
#[derive(Clone, Debug, PartialEq)]
pub struct VarInfo {
    /// Its name.
    pub name: String,
    /// Its shape.
    pub shape: Shape,
    /// Real variables keep zero imaginary parts.
    pub real: bool,
    /// Position of its first entry in the stacked vector (entries column-major).
    pub offset: usize,
}

/// Lays out variables one after another and returns their infos and the total length N.
pub fn layout(vars: &[(String, Ty)]) -> (Vec<VarInfo>, usize) {
    let mut off = 0;
    let infos = vars
        .iter()
        .map(|(n, t)| {
            let v = VarInfo {
                name: n.clone(),
                shape: t.shape,
                real: t.real,
                offset: off,
            };
            off += t.shape.numel();
            v
        })
        .collect();
    (infos, off)
}

/// Splits a stacked vector into per-variable tensors (real variables take the real parts).
pub fn split_point(vars: &[VarInfo], z: &[C64]) -> Vec<Arc<Tensor>> {
    vars.iter()
        .map(|v| {
            let s = &z[v.offset..v.offset + v.shape.numel()];
            let d = if v.real {
                s.iter().map(|x| C64::new(x.re, 0.0)).collect()
            } else {
                s.to_vec()
            };
            Arc::new(Tensor::from_parts(v.shape, d))
        })
        .collect()
}

/// Splits a batch of stacked directions (N × k) into per-variable tangent batches; real
/// variables take the real parts.
pub fn split_batch(vars: &[VarInfo], v: &Batch) -> Vec<Option<Batch>> {
    vars.iter()
        .map(|var| {
            let n = var.shape.numel();
            let mut b = Batch::zeros(n, v.k);
            for j in 0..v.k {
                let src = &v.col(j)[var.offset..var.offset + n];
                for (i, &x) in src.iter().enumerate() {
                    b.data[i + j * n] = if var.real { C64::new(x.re, 0.0) } else { x };
                }
            }
            Some(b)
        })
        .collect()
}

/// The tangents of the unit directions start..start+k among the 2N directions [I, iI]
/// (direction d < N is e_d, direction N + d is i·e_d), one sparse batch per variable; a real
/// variable takes the real part (so its imaginary directions are empty).
pub fn unit_directions(
    vars: &[VarInfo],
    dim: usize,
    start: usize,
    k: usize,
) -> Vec<Option<Tangent>> {
    vars.iter()
        .map(|var| {
            let n = var.shape.numel();
            let cols = (start..start + k)
                .map(|d| {
                    let (e, im) = if d < dim { (d, false) } else { (d - dim, true) };
                    match e.checked_sub(var.offset) {
                        Some(i) if i < n && !(im && var.real) => {
                            let v = if im {
                                C64::new(0.0, 1.0)
                            } else {
                                C64::new(1.0, 0.0)
                            };
                            vec![(i, v)]
                        }
                        _ => Vec::new(),
                    }
                })
                .collect();
            Some(Tangent::Sparse(SparseBatch::from_columns(n, cols)))
        })
        .collect()
}

/// A real-valued objective compiled with its gradient graph.
///
/// ```
/// use wirtinger::cr::{Function, Graph, Op, Unary};
/// use wirtinger::model::{Shape, Ty};
/// use num_complex::Complex64 as C64;
/// // f(z) = |z|², the convention example: at z = 1+2i, g = 2+4i.
/// let mut g = Graph::default();
/// let z = g.push(Op::Var(0), vec![], Ty::complex(Shape::Scalar));
/// let f = g.unary(Unary::Abs2, z);
/// let fun = Function::new(g, f, vec![("z".into(), Ty::complex(Shape::Scalar))]).unwrap();
/// let (v, grad) = fun.value_gradient(&[C64::new(1.0, 2.0)]).unwrap();
/// assert_eq!(v, 5.0);
/// assert_eq!(grad[0], C64::new(2.0, 4.0));
/// ```
#[derive(Clone, Debug)]
pub struct Function {
    graph: Graph,
    output: NodeId,
    grads: Vec<Option<NodeId>>,
    vars: Vec<VarInfo>,
    dim: usize,
    /// The most entries of a node that depends on a variable (tangents live only there).
    widest_active: usize,
    /// Products and adjoint products of value and gradient fused into one pass over their
    /// matrix ([`super::row_fusion`]).
    regions: Arc<[RowRegion]>,
    /// The nodes value and gradient need, ascending: their evaluation order, found once.
    order: Arc<[NodeId]>,
}

impl Function {
    /// Compiles `output` (a real scalar node of `graph`) with variables `vars` (`Op::Var(i)` is
    /// `vars[i]`), appending the gradient graph.
    pub fn new(
        mut graph: Graph,
        output: NodeId,
        vars: Vec<(String, Ty)>,
    ) -> Result<Function, String> {
        if output >= graph.len() {
            return Err("output node out of range".into());
        }
        let ty = graph.ty(output);
        if !ty.shape.is_scalar() {
            return Err(format!("the objective must be a scalar, not {}", ty.shape));
        }
        let (vars, dim) = layout(&vars);
        let seed = graph.real_scalar(1.0);
        let grads = pullback(&mut graph, &[(output, seed)], vars.len())?;
        let active = super::adjoint::active_nodes(&graph, graph.len() - 1);
        let widest_active = graph
            .nodes()
            .iter()
            .zip(&active)
            .filter(|(_, &a)| a)
            .map(|(n, _)| n.ty.shape.numel())
            .max()
            .unwrap_or(1);
        let mut outputs = vec![output];
        outputs.extend(grads.iter().flatten().copied());
        let needed = needed_nodes(&graph, &outputs);
        let regions = Arc::from(row_fusion::plan(&graph, &outputs, &needed));
        let order = (0..graph.len()).filter(|&k| needed[k]).collect();
        Ok(Function {
            graph,
            output,
            grads,
            vars,
            dim,
            widest_active,
            regions,
            order,
        })
    }
    /// The length N of the stacked parameter vector.
    pub fn dim(&self) -> usize {
        self.dim
    }
    /// The variables in stacking order.
    pub fn vars(&self) -> &[VarInfo] {
        &self.vars
    }
    /// The graph (objective followed by its gradient).
    pub fn graph(&self) -> &Graph {
        &self.graph
    }
    /// The objective node.
    pub fn output(&self) -> NodeId {
        self.output
    }
    fn check_len(&self, z: &[C64]) -> Result<(), EvalError> {
        if z.len() == self.dim {
            Ok(())
        } else {
            Err(EvalError {
                node: self.output,
                message: format!("point has {} entries, expected {}", z.len(), self.dim),
            })
        }
    }
    /// f(z).
    pub fn value(&self, z: &[C64]) -> Result<f64, EvalError> {
        self.check_len(z)?;
        let v = evaluate(&self.graph, self.output, &split_point(&self.vars, z), &[])?;
        Ok(scalar(&v, self.output))
    }
    /// How many products of value and gradient run fused with their adjoint products, in one
    /// pass over the matrix (objectives Σᵢ φᵢ((Az)ᵢ) with a constant A, on processors with
    /// AVX-512F; 0 elsewhere).
    ///
    /// ```
    /// use wirtinger::cr::{Function, Graph, Op, Trans, Unary};
    /// use wirtinger::model::{Shape, Tensor, Ty};
    /// use num_complex::Complex64 as C64;
    /// // f(z) = ‖Az‖² with A of 3 × 2: g = 2Aᴴ(Az), one pass over A when the kernels run.
    /// let mut g = Graph::default();
    /// let entries = (0..6).map(|k| C64::new(k as f64, 1.0)).collect();
    /// let a = g.constant(Tensor::new(Shape::Matrix(3, 2), entries).unwrap(), false);
    /// let z = g.push(Op::Var(0), vec![], Ty::complex(Shape::Vector(2)));
    /// let az = g.matmul(a, Trans::N, z, Trans::N);
    /// let r = g.unary(Unary::Abs2, az);
    /// let f = g.push(Op::Sum, vec![r], Ty::real(Shape::Scalar));
    /// let fun = Function::new(g, f, vec![("z".into(), Ty::complex(Shape::Vector(2)))]).unwrap();
    /// assert!(fun.fused_products() <= 1);
    /// let plain = fun.clone().without_row_fusion();
    /// let z0 = [C64::new(1.0, -1.0), C64::new(0.5, 2.0)];
    /// let (v, grad) = fun.value_gradient(&z0).unwrap();
    /// let (w, plain_grad) = plain.value_gradient(&z0).unwrap();
    /// assert!((v - w).abs() < 1e-12 && (grad[1] - plain_grad[1]).norm() < 1e-12);
    /// ```
    pub fn fused_products(&self) -> usize {
        self.regions.len()
    }
    /// The same function evaluated node by node (every product on its own), for comparisons.
    pub fn without_row_fusion(mut self) -> Function {
        self.regions = Arc::from(Vec::new());
        self
    }
    fn eval_all(&self, z: &[C64]) -> Result<Values, EvalError> {
        self.check_len(z)?;
        let vars = split_point(&self.vars, z);
        let mut values = Values::with_regions(&self.graph, &vars, &[], self.regions.clone());
        values.evaluate_in_order(&self.graph, &self.order)?;
        Ok(values)
    }
    fn gather_grad(&self, vals: &Values) -> Vec<C64> {
        let mut g = vec![C64::new(0.0, 0.0); self.dim];
        for (v, gid) in self.vars.iter().zip(&self.grads) {
            if let Some(t) = gid.and_then(|id| vals.get(id)) {
                g[v.offset..v.offset + t.data().len()].copy_from_slice(t.data());
            }
        }
        g
    }
    /// f(z) and g = 2∂f/∂z̄ (for real variables, ∂f/∂x).
    pub fn value_gradient(&self, z: &[C64]) -> Result<(f64, Vec<C64>), EvalError> {
        let vals = self.eval_all(z)?;
        Ok((scalar(&vals, self.output), self.gather_grad(&vals)))
    }
    /// H v + K conj(v) for each column of `v` (N × k): the change of the gradient along each
    /// direction. Real variables use the real parts of the directions.
    pub fn hvp_batch(&self, z: &[C64], v: &Batch) -> Result<Batch, EvalError> {
        if v.rows != self.dim {
            return Err(EvalError {
                node: self.output,
                message: format!("direction has {} entries, expected {}", v.rows, self.dim),
            });
        }
        let mut out = Batch::zeros(self.dim, v.k);
        self.forward_chunks(
            z,
            v.k,
            |start, k| {
                let sub = Batch {
                    rows: v.rows,
                    k,
                    data: v.data[start * v.rows..(start + k) * v.rows].to_vec(),
                };
                split_batch(&self.vars, &sub)
                    .into_iter()
                    .map(|b| b.map(Tangent::Dense))
                    .collect()
            },
            |start, k, t| self.gather_tangents(start, k, t, &mut out),
        )?;
        Ok(out)
    }
    /// Forward-over-reverse passes over `total` directions in chunks: `dirs(start, k)` gives the
    /// variables' tangents of directions start..start+k, `sink(start, k, tangents)` receives the
    /// tangents of every node. Forward values are shared by all chunks. A chunk holds about
    /// [`TANGENT_ENTRIES`] stored entries per node (memory and cache): the first is sized for
    /// dense tangents of the widest active node, the next ones by the entries per direction
    /// actually stored in the previous chunk (sparse tangents of unit directions store far
    /// fewer), growing at most 8× per chunk.
    fn forward_chunks(
        &self,
        z: &[C64],
        total: usize,
        mut dirs: impl FnMut(usize, usize) -> Vec<Option<Tangent>>,
        mut sink: impl FnMut(usize, usize, &[Option<Tangent>]),
    ) -> Result<(), EvalError> {
        self.check_len(z)?;
        let mut vals = Values::new(&self.graph, &split_point(&self.vars, z), &[]);
        let outs: Vec<NodeId> = self.grads.iter().flatten().copied().collect();
        let mut chunk = (TANGENT_ENTRIES / self.widest_active.max(1)).clamp(1, total.max(1));
        let mut start = 0;
        while start < total {
            let k = chunk.min(total - start);
            let tans = dirs(start, k);
            let t = propagate_tangents(&self.graph, &outs, &mut vals, &tans, &[])?;
            let per_dir = t
                .iter()
                .flatten()
                .map(Tangent::stored)
                .max()
                .unwrap_or(0)
                .div_ceil(k)
                .max(1);
            sink(start, k, &t);
            start += k;
            chunk = (TANGENT_ENTRIES / per_dir).clamp(1, 8 * k);
        }
        Ok(())
    }
    /// Copies the gradient nodes' tangents of directions start..start+k into columns of `out`.
    fn gather_tangents(&self, start: usize, k: usize, t: &[Option<Tangent>], out: &mut Batch) {
        for (var, gid) in self.vars.iter().zip(&self.grads) {
            let Some(b) = gid.and_then(|id| t[id].as_ref()) else {
                continue;
            };
            let n = var.shape.numel();
            for j in 0..k {
                let col = (start + j) * self.dim + var.offset;
                b.write_col(j, &mut out.data[col..col + n]);
            }
        }
    }
    /// v ↦ H v + K conj(v) at the fixed point z: one [`Values`] at z serves every product, so
    /// the forward values (and cached decompositions) are computed in the first call only and
    /// each later product is one tangent pass (for `trust_region`'s CG, which multiplies at
    /// one point up to 4N times).
    ///
    /// ```
    /// use num_complex::Complex64 as C64;
    /// let text = "[variables]\nz = { type = \"complex\", shape = [2] }\n\
    ///             [objective]\nminimize = \"sum(abs2(z))\"\n";
    /// let p = wirtinger::io::parse_problem(text, "p.toml".as_ref()).unwrap();
    /// let f = p.function().unwrap();
    /// let at = [C64::new(1.0, 2.0), C64::new(0.5, 0.0)];
    /// let mut op = f.hvp_at(&at);
    /// let v = [C64::new(1.0, 0.0), C64::new(0.0, 1.0)];
    /// assert_eq!(op(&v).unwrap(), f.hvp(&at, &v).unwrap()); // f = ‖z‖²: H = 2I, K = 0
    /// assert_eq!(op(&v).unwrap(), vec![C64::new(2.0, 0.0), C64::new(0.0, 2.0)]);
    /// ```
    pub fn hvp_at(&self, z: &[C64]) -> super::objective::HvpAt<'_> {
        let bad = self.check_len(z).err();
        let mut vals = Values::new(&self.graph, &split_point(&self.vars, z), &[]);
        let outs: Vec<NodeId> = self.grads.iter().flatten().copied().collect();
        Box::new(move |v: &[C64]| {
            if let Some(e) = &bad {
                return Err(e.clone());
            }
            if v.len() != self.dim {
                return Err(EvalError {
                    node: self.output,
                    message: format!("direction has {} entries, expected {}", v.len(), self.dim),
                });
            }
            let b = Batch {
                rows: v.len(),
                k: 1,
                data: v.to_vec(),
            };
            let tans: Vec<Option<Tangent>> = split_batch(&self.vars, &b)
                .into_iter()
                .map(|b| b.map(Tangent::Dense))
                .collect();
            let t = propagate_tangents(&self.graph, &outs, &mut vals, &tans, &[])?;
            let mut out = Batch::zeros(self.dim, 1);
            self.gather_tangents(0, 1, &t, &mut out);
            Ok(out.data)
        })
    }
    /// H v + K conj(v) for one direction.
    pub fn hvp(&self, z: &[C64], v: &[C64]) -> Result<Vec<C64>, EvalError> {
        let b = Batch {
            rows: v.len(),
            k: 1,
            data: v.to_vec(),
        };
        Ok(self.hvp_batch(z, &b)?.data)
    }
    /// The dense pair (H, K) with dg = H dz + K conj(dz), from one forward pass with the 2N
    /// directions [I, iI]: T₁ = H + K, T₂ = i(H − K), so H = (T₁ − iT₂)/2, K = (T₁ + iT₂)/2.
    ///
    /// For a real variable's columns the imaginary direction is frozen, so H and K each hold half
    /// of its real Hessian column (H + K is the real Hessian there).
    ///
    /// The unit directions travel as sparse tangents ([`super::sparse`]): the first products
    /// copy columns instead of multiplying by the identity, and nodes whose tangents stay
    /// sparse (z zᴴ along eⱼ has one nonzero row and column) cost O(entries touched) per
    /// direction instead of a full pass over the node.
    pub fn hessian(&self, z: &[C64]) -> Result<(Mat<C64>, Mat<C64>), EvalError> {
        let n = self.dim;
        let mut t = Batch::zeros(n, 2 * n);
        self.forward_chunks(
            z,
            2 * n,
            |start, k| unit_directions(&self.vars, n, start, k),
            |start, k, tans| self.gather_tangents(start, k, tans, &mut t),
        )?;
        let i = C64::new(0.0, 1.0);
        let h = Mat::from_fn(n, n, |r, c| {
            (t.data[r + c * n] - i * t.data[r + (n + c) * n]) * 0.5
        });
        let k = Mat::from_fn(n, n, |r, c| {
            (t.data[r + c * n] + i * t.data[r + (n + c) * n]) * 0.5
        });
        Ok((h, k))
    }
    /// Whether the objective uses a function that is not differentiable everywhere
    /// (abs, eigenvalue and singular-value functions).
    pub fn is_nonsmooth(&self) -> bool {
        let nodes = &self.graph.nodes()[..=self.output];
        // |u| and ‖u‖ are smooth when every use squares them (|u|², ‖r‖² = norm2(r)^2): count
        // the uses that are not an even integer power.
        let mut unsquared_uses = vec![0usize; nodes.len()];
        for n in nodes {
            let even =
                matches!(n.op, Op::PowConst(p) if p.im == 0.0 && p.re > 0.0 && p.re % 2.0 == 0.0);
            for &a in &n.args {
                if !even {
                    unsquared_uses[a] += 1;
                }
            }
        }
        unsquared_uses[self.output] += 1;
        nodes.iter().enumerate().any(|(id, n)| match n.op {
            Op::Unary(super::graph::Unary::Abs) | Op::Norm2 => unsquared_uses[id] > 0,
            Op::SpectralValue(_) | Op::GenEigValue(_) => true,
            _ => false,
        })
    }
}

fn scalar(v: &Values, id: NodeId) -> f64 {
    v.get(id).map(|t| t.data()[0].re).unwrap_or(f64::NAN)
}
