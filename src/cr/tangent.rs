//! Forward mode with many tangents at once: every node carries a matrix of tangents
//! (numel × k, one column per direction), so that the dense Hessian pair and Jacobians come out of
//! matrix–matrix products rather than k separate passes.
//!
//! Rule (DESIGN.md §1): for w = φ(u), dw = (∂φ/∂u)·du + (∂φ/∂ū)·conj(du).

use super::eval::{
    embed_adj_value, embed_value, fft_value, herm_value, is_elementwise, pow_fn, transpose_value,
    unary_value, EvalError, Values,
};
use super::graph::{Graph, NodeId, Op, Trans, Unary};
use super::linalg::matmul_into;
use super::sparse::{self, SparseBatch};
use crate::model::{Shape, Tensor};
use faer::{Accum, Mat, MatMut, MatRef};
use num_complex::Complex64 as C64;

/// A batch of k tangents of a value with `rows` entries, column-major (rows × k).
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Entries of the value.
    pub rows: usize,
    /// Number of directions.
    pub k: usize,
    /// rows × k, column-major.
    pub data: Vec<C64>,
}

impl Batch {
    /// Zeros.
    pub fn zeros(rows: usize, k: usize) -> Batch {
        Batch {
            rows,
            k,
            data: vec![C64::new(0.0, 0.0); rows * k],
        }
    }
    /// The matrix view.
    pub fn mat(&self) -> MatRef<'_, C64> {
        MatRef::from_column_major_slice(&self.data, self.rows, self.k)
    }
    /// The mutable matrix view.
    pub fn mat_mut(&mut self) -> MatMut<'_, C64> {
        MatMut::from_column_major_slice_mut(&mut self.data, self.rows, self.k)
    }
    /// Column j.
    pub fn col(&self, j: usize) -> &[C64] {
        &self.data[j * self.rows..(j + 1) * self.rows]
    }
    fn col_mut(&mut self, j: usize) -> &mut [C64] {
        let r = self.rows;
        &mut self.data[j * r..(j + 1) * r]
    }
    fn map(&self, f: impl Fn(usize, C64) -> C64) -> Batch {
        let mut data = Vec::with_capacity(self.data.len());
        for c in self.data.chunks(self.rows.max(1)) {
            data.extend(c.iter().enumerate().map(|(i, &x)| f(i, x)));
        }
        Batch {
            rows: self.rows,
            k: self.k,
            data,
        }
    }
    /// Applies a value-level map to every column.
    fn per_col(&self, rows: usize, f: impl Fn(&[C64]) -> Vec<C64>) -> Batch {
        let mut data = Vec::with_capacity(rows * self.k);
        for j in 0..self.k {
            data.extend(f(self.col(j)));
        }
        Batch {
            rows,
            k: self.k,
            data,
        }
    }
}

fn add_opt(a: Option<Batch>, b: Option<Batch>) -> Option<Batch> {
    match (a, b) {
        (Some(mut x), Some(y)) => {
            x.data.iter_mut().zip(&y.data).for_each(|(p, q)| *p += q);
            Some(x)
        }
        (x, None) => x,
        (None, y) => y,
    }
}

fn err(node: NodeId, message: impl Into<String>) -> EvalError {
    EvalError {
        node,
        message: message.into(),
    }
}

/// Propagates tangents to the `outputs` (through the nodes they depend on), given the tangents of
/// the variables and seeds (`None`: does not move). Forward values are computed on demand in
/// `values`, so a value that no derivative rule reads is never computed (for H v + K conj(v) that
/// saves the gradient's own value).
pub fn propagate(
    g: &Graph,
    outputs: &[NodeId],
    values: &mut Values,
    var_tangents: &[Option<Batch>],
    seed_tangents: &[Option<Batch>],
) -> Result<Vec<Option<Batch>>, EvalError> {
    let last = outputs
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .min(g.len().saturating_sub(1));
    let mut live = vec![false; last + 1];
    for &o in outputs {
        if o <= last {
            live[o] = true;
        }
    }
    for id in (0..=last).rev() {
        if live[id] {
            for &a in &g.node(id).args {
                live[a] = true;
            }
        }
    }
    let mut t: Vec<Option<Batch>> = vec![None; last + 1];
    for id in 0..=last {
        if !live[id] {
            continue;
        }
        let node = g.node(id);
        let out = match &node.op {
            Op::Var(i) => var_tangents.get(*i).cloned().flatten(),
            Op::Seed(i) => seed_tangents.get(*i).cloned().flatten(),
            Op::Const(_) => None,
            _ => {
                if node.args.iter().all(|&a| t[a].is_none()) {
                    None
                } else {
                    Some(jvp(g, id, values, &t)?)
                }
            }
        };
        t[id] = out;
    }
    Ok(t)
}

/// A batch of tangents, stored sparsely (near unit directions) or densely.
#[derive(Clone, Debug, PartialEq)]
pub enum Tangent {
    /// rows × k, column-major.
    Dense(Batch),
    /// Compressed sparse columns.
    Sparse(SparseBatch),
}

impl Tangent {
    /// Number of directions.
    pub fn k(&self) -> usize {
        match self {
            Tangent::Dense(b) => b.k,
            Tangent::Sparse(s) => s.k,
        }
    }
    /// Entries held in memory.
    pub fn stored(&self) -> usize {
        match self {
            Tangent::Dense(b) => b.data.len(),
            Tangent::Sparse(s) => s.nnz(),
        }
    }
    /// The dense batch.
    pub fn into_dense(self) -> Batch {
        match self {
            Tangent::Dense(b) => b,
            Tangent::Sparse(s) => s.to_dense(),
        }
    }
    /// Writes direction j into `out` (which must hold zeros where a sparse column has none).
    pub fn write_col(&self, j: usize, out: &mut [C64]) {
        match self {
            Tangent::Dense(b) => out.copy_from_slice(b.col(j)),
            Tangent::Sparse(s) => {
                let (ix, vx) = s.col(j);
                for (&i, &v) in ix.iter().zip(vx) {
                    out[i] = v;
                }
            }
        }
    }
}

/// [`propagate`] with tangents that may be sparse: a node whose arguments' tangents are all
/// sparse gets a sparse tangent from the rules of [`super::sparse`] (products, sums,
/// elementwise functions, transposes, diagonals, gathers, scatters), converted to a
/// dense batch once it fills up; any other node takes the dense rule of [`propagate`] on dense
/// copies of its arguments' tangents. Results are the same as with dense tangents throughout.
///
/// ```
/// use num_complex::Complex64 as C64;
/// use std::sync::Arc;
/// use wirtinger::cr::sparse::SparseBatch;
/// use wirtinger::cr::{propagate_tangents, Graph, Op, Tangent, Trans, Values};
/// use wirtinger::model::{Shape, Tensor, Ty};
/// // P = z zᴴ at z = (1, i, 2); along e₁ its tangent is e₁zᴴ + z e₁ᴴ: row 1 and column 1.
/// let mut g = Graph::default();
/// let z = g.push(Op::Var(0), vec![], Ty::complex(Shape::Vector(3)));
/// let p = g.matmul(z, Trans::N, z, Trans::H);
/// let zv = vec![C64::new(1.0, 0.0), C64::new(0.0, 1.0), C64::new(2.0, 0.0)];
/// let zt = Arc::new(Tensor::new(Shape::Vector(3), zv.clone()).unwrap());
/// let mut vals = Values::new(&g, &[zt], &[]);
/// let e1 = SparseBatch::from_columns(3, vec![vec![(1, C64::new(1.0, 0.0))]]);
/// let t = propagate_tangents(&g, &[p], &mut vals, &[Some(Tangent::Sparse(e1))], &[]).unwrap();
/// let d = t[p].clone().unwrap().into_dense();
/// for (r, c) in [(0, 0), (1, 0), (1, 1), (2, 1)] {
///     let want = if r == 1 { zv[c].conj() } else { C64::new(0.0, 0.0) }
///         + if c == 1 { zv[r] } else { C64::new(0.0, 0.0) };
///     assert_eq!(d.data[r + 3 * c], want);
/// }
/// ```
pub fn propagate_tangents(
    g: &Graph,
    outputs: &[NodeId],
    values: &mut Values,
    var_tangents: &[Option<Tangent>],
    seed_tangents: &[Option<Tangent>],
) -> Result<Vec<Option<Tangent>>, EvalError> {
    let last = outputs
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .min(g.len().saturating_sub(1));
    let mut live = vec![false; last + 1];
    for &o in outputs {
        if o <= last {
            live[o] = true;
        }
    }
    for id in (0..=last).rev() {
        if live[id] {
            for &a in &g.node(id).args {
                live[a] = true;
            }
        }
    }
    // Each node's tangent sits in one of the two (a sparse one also in `dense` once a dense
    // rule has needed it).
    let mut dense: Vec<Option<Batch>> = vec![None; last + 1];
    let mut sparse: Vec<Option<SparseBatch>> = vec![None; last + 1];
    fn put(
        id: usize,
        t: Option<Tangent>,
        dense: &mut [Option<Batch>],
        sparse: &mut [Option<SparseBatch>],
    ) {
        match t {
            Some(Tangent::Dense(b)) => dense[id] = Some(b),
            Some(Tangent::Sparse(s)) if s.is_full() => dense[id] = Some(s.to_dense()),
            Some(Tangent::Sparse(s)) => sparse[id] = Some(s),
            None => {}
        }
    }
    for (id, &is_live) in live.iter().enumerate() {
        if !is_live {
            continue;
        }
        let node = g.node(id);
        match &node.op {
            Op::Var(i) => put(
                id,
                var_tangents.get(*i).cloned().flatten(),
                &mut dense,
                &mut sparse,
            ),
            Op::Seed(i) => put(
                id,
                seed_tangents.get(*i).cloned().flatten(),
                &mut dense,
                &mut sparse,
            ),
            Op::Const(_) => {}
            _ => {
                let has = |a: usize| dense[a].is_some() || sparse[a].is_some();
                if !node.args.iter().any(|&a| has(a)) {
                    continue;
                }
                let all_sparse = node
                    .args
                    .iter()
                    .all(|&a| dense[a].is_none() || sparse[a].is_some());
                let out = if all_sparse {
                    sparse_jvp(g, id, values, &sparse)?
                } else {
                    None
                };
                let out = match out {
                    Some(t) => t,
                    None => {
                        for &a in &node.args {
                            if dense[a].is_none() {
                                dense[a] = sparse[a].as_ref().map(|s| s.to_dense());
                            }
                        }
                        Tangent::Dense(jvp(g, id, values, &dense)?)
                    }
                };
                put(id, Some(out), &mut dense, &mut sparse);
            }
        }
    }
    Ok(dense
        .into_iter()
        .zip(sparse)
        .map(|(d, s)| s.map(Tangent::Sparse).or(d.map(Tangent::Dense)))
        .collect())
}

/// Whether the tangent rule of `op` is linear in its arguments' tangents alone, reading no
/// argument value. Values are computed on demand, so such a rule must not ask for them: the
/// Hessian–vector product of ‖Az − b‖² is 2Aᴴ(A v), and asking for the value of Az − b at the
/// subtraction cost one product with A in three.
fn linear_rule(op: &Op) -> bool {
    matches!(
        op,
        Op::Add
            | Op::Sub
            | Op::Neg
            | Op::Scale(_)
            | Op::Broadcast(_)
            | Op::Sum
            | Op::Transpose { .. }
            | Op::Diag
            | Op::DiagOf
            | Op::Gather(_)
            | Op::Scatter(_)
            | Op::Herm { .. }
            | Op::Embed
            | Op::EmbedAdj
    )
}

/// The sparse rule of node `id` when every argument's tangent is sparse (or absent); `None` for
/// operations without one (they take the dense rule).
fn sparse_jvp(
    g: &Graph,
    id: NodeId,
    values: &mut Values,
    t: &[Option<SparseBatch>],
) -> Result<Option<Tangent>, EvalError> {
    let node = g.node(id);
    let shape = node.ty.shape;
    let rows = shape.numel();
    let ta = |j: usize| t[node.args[j]].as_ref();
    let k = node
        .args
        .iter()
        .find_map(|&a| t[a].as_ref().map(|b| b.k))
        .unwrap_or(0);
    let supported = is_elementwise(&node.op)
        || matches!(
            node.op,
            Op::Sum
                | Op::MatMul(..)
                | Op::Transpose { .. }
                | Op::Diag
                | Op::Gather(_)
                | Op::Scatter(_)
                | Op::Herm { .. }
                | Op::Lincomb(_)
        );
    if !supported {
        return Ok(None);
    }
    if !linear_rule(&node.op) {
        for &a in &node.args {
            values.ensure(g, a)?;
        }
    }
    let val = |values: &Values, j: usize| values.arc(node.args[j]).cloned();
    let empty = || SparseBatch::empty(rows, k);
    let out = match &node.op {
        Op::Add => sparse::add(ta(0), ta(1)).unwrap_or_else(empty),
        Op::Sub => {
            let b = ta(1).map(|b| b.map(|_, x| -x));
            sparse::add(ta(0), b.as_ref()).unwrap_or_else(empty)
        }
        Op::Neg => ta(0).map_or_else(empty, |d| d.map(|_, x| -x)),
        Op::Scale(c) => ta(0).map_or_else(empty, |d| d.map(|_, x| c * x)),
        Op::EMul => {
            let (a, b) = (val(values, 0)?, val(values, 1)?);
            let x = ta(0).map(|d| d.map(|i, v| v * b.data()[i]));
            let y = ta(1).map(|d| d.map(|i, v| v * a.data()[i]));
            sparse::add(x.as_ref(), y.as_ref()).unwrap_or_else(empty)
        }
        Op::EDiv => {
            let b = val(values, 1)?;
            let w = values.ensure_get(g, id)?;
            let x = ta(0).map(|d| d.map(|i, v| v / b.data()[i]));
            let y = ta(1).map(|d| d.map(|i, v| -v * w.data()[i] / b.data()[i]));
            sparse::add(x.as_ref(), y.as_ref()).unwrap_or_else(empty)
        }
        Op::Unary(u) => {
            let a = val(values, 0)?;
            let w = values.ensure_get(g, id)?;
            let real = g.ty(node.args[0]).real;
            let (a, w) = (a.data(), w.data());
            ta(0).map_or_else(empty, |d| {
                d.map(|i, x| unary_tangent(*u, a[i], w[i], real, x))
            })
        }
        Op::PowConst(p) => {
            let p = *p;
            let a = val(values, 0)?;
            let real = g.ty(node.args[0]).real && p.im == 0.0;
            let q = p - C64::new(1.0, 0.0);
            let f = pow_fn(q, real);
            ta(0).map_or_else(empty, |d| d.map(|i, x| p * f(a.data()[i], q) * x))
        }
        Op::Sum => {
            return Ok(Some(Tangent::Dense(
                ta(0).map_or_else(|| Batch::zeros(1, k), sparse::sum),
            )))
        }
        Op::MatMul(tra, trb) => {
            let (a, b) = (val(values, 0)?, val(values, 1)?);
            let prod = sparse::Product {
                a: &a,
                ta: *tra,
                da: ta(0),
                b: &b,
                tb: *trb,
                db: ta(1),
                r: shape.rows(),
                c: shape.cols(),
            };
            if prod.fill_bound() > sparse::DENSE_FILL {
                return Ok(Some(Tangent::Dense(prod.dense(k))));
            }
            prod.sparse(k)
        }
        Op::Transpose { conj } => {
            let ar = g.shape(node.args[0]).rows();
            ta(0).map_or_else(empty, |d| {
                let mut out = sparse::transpose(d, ar, *conj, shape.rows());
                out.rows = rows;
                out
            })
        }
        Op::Gather(idx) => ta(0).map_or_else(empty, |d| sparse::gather(d, idx, rows)),
        Op::Diag => ta(0).map_or_else(empty, |d| sparse::diag(d, shape.rows())),
        Op::Scatter(idx) => ta(0).map_or_else(empty, |d| sparse::scatter(d, idx, rows)),
        Op::Herm { .. } => ta(0).map_or_else(empty, |d| sparse::herm(d, shape.rows())),
        Op::Lincomb(st) => ta(0).map_or_else(empty, |d| sparse::lincomb(d, st)),
        _ => return Ok(None),
    };
    Ok(Some(Tangent::Sparse(out)))
}

/// The tangent rule of an elementwise function at one entry: dw for du = x at u = a, w = φ(a)
/// (`real`: the argument is real-typed).
#[inline]
fn unary_tangent(u: Unary, a: C64, w: C64, real: bool, x: C64) -> C64 {
    match u {
        Unary::Conj => x.conj(),
        Unary::Real => C64::new(x.re, 0.0),
        Unary::Imag => C64::new(x.im, 0.0),
        Unary::Abs2 => C64::new(2.0 * (a.conj() * x).re, 0.0),
        Unary::Abs => {
            let m = w.re;
            if m == 0.0 {
                C64::new(0.0, 0.0)
            } else {
                C64::new((a.conj() * x).re / m, 0.0)
            }
        }
        Unary::Sign => {
            let m = a.norm();
            if m == 0.0 {
                C64::new(0.0, 0.0)
            } else {
                (x - w * (w.conj() * x).re) / m
            }
        }
        Unary::Exp => w * x,
        Unary::Log => x / a,
        Unary::Sqrt => x / (w * 2.0),
        Unary::Sin => unary_value(Unary::Cos, a, real) * x,
        Unary::Cos => -unary_value(Unary::Sin, a, real) * x,
    }
}

fn jvp(
    g: &Graph,
    id: NodeId,
    values: &mut Values,
    t: &[Option<Batch>],
) -> Result<Batch, EvalError> {
    let node = g.node(id).clone();
    let shape = node.ty.shape;
    let rows = shape.numel();
    let k = node
        .args
        .iter()
        .find_map(|&a| t[a].as_ref().map(|b| b.k))
        .unwrap_or(0);
    let ta = |j: usize| t[node.args[j]].clone();
    let linear = linear_rule(&node.op);
    for (j, &a) in node.args.iter().enumerate() {
        // A product needs a factor's value only when the other factor moves.
        let unread = matches!(node.op, Op::MatMul(..)) && t[node.args[1 - j]].is_none();
        if !linear && !unread {
            values.ensure(g, a)?;
        }
    }
    let val = |values: &Values, j: usize| values.arc(node.args[j]).cloned();
    let zero_if_none = |b: Option<Batch>, r: usize| b.unwrap_or_else(|| Batch::zeros(r, k));
    let out = match &node.op {
        Op::Var(_) | Op::Seed(_) | Op::Const(_) => Batch::zeros(rows, k),
        Op::Add => zero_if_none(add_opt(ta(0), ta(1)), rows),
        Op::Sub => {
            let b = ta(1).map(|b| b.map(|_, x| -x));
            zero_if_none(add_opt(ta(0), b), rows)
        }
        Op::Neg => zero_if_none(ta(0), rows).map(|_, x| -x),
        Op::Scale(c) => {
            let c = *c;
            zero_if_none(ta(0), rows).map(|_, x| c * x)
        }
        Op::EMul => {
            let (a, b) = (val(values, 0)?, val(values, 1)?);
            let x = ta(0).map(|d| d.map(|i, v| v * b.data()[i]));
            let y = ta(1).map(|d| d.map(|i, v| v * a.data()[i]));
            zero_if_none(add_opt(x, y), rows)
        }
        Op::EDiv => {
            let b = val(values, 1)?;
            let w = values.ensure_get(g, id)?;
            let x = ta(0).map(|d| d.map(|i, v| v / b.data()[i]));
            let y = ta(1).map(|d| d.map(|i, v| -v * w.data()[i] / b.data()[i]));
            zero_if_none(add_opt(x, y), rows)
        }
        Op::Unary(u) => {
            let a = val(values, 0)?;
            let w = values.ensure_get(g, id)?;
            let real = g.ty(node.args[0]).real;
            let d = zero_if_none(ta(0), rows);
            let (a, w) = (a.data(), w.data());
            d.map(|i, x| unary_tangent(*u, a[i], w[i], real, x))
        }
        Op::PowConst(p) => {
            let p = *p;
            let a = val(values, 0)?;
            let real = g.ty(node.args[0]).real && p.im == 0.0;
            let q = p - C64::new(1.0, 0.0);
            let f = pow_fn(q, real);
            zero_if_none(ta(0), rows).map(|i, x| p * f(a.data()[i], q) * x)
        }
        Op::Broadcast(_) => {
            let d = zero_if_none(ta(0), 1);
            let mut out = Batch::zeros(rows, k);
            for j in 0..k {
                let v = d.data[j];
                out.col_mut(j).iter_mut().for_each(|x| *x = v);
            }
            out
        }
        Op::Sum => {
            let d = zero_if_none(ta(0), g.shape(node.args[0]).numel());
            let mut out = Batch::zeros(1, k);
            for j in 0..k {
                out.data[j] = d.col(j).iter().sum();
            }
            out
        }
        Op::Norm2 => {
            let a = val(values, 0)?;
            let w = values.ensure_get(g, id)?.data()[0].re;
            let d = zero_if_none(ta(0), a.data().len());
            d.per_col(1, |c| {
                let v = if w == 0.0 {
                    0.0
                } else {
                    a.data()
                        .iter()
                        .zip(c)
                        .map(|(x, y)| (x.conj() * y).re)
                        .sum::<f64>()
                        / w
                };
                vec![C64::new(v, 0.0)]
            })
        }
        Op::MatMul(tra, trb) => matmul_jvp(g, &node.args, *tra, *trb, shape, values, t, k)?,
        Op::Transpose { conj } => {
            let s = g.shape(node.args[0]);
            let conj = *conj;
            zero_if_none(ta(0), rows).per_col(rows, |c| {
                transpose_value(&Tensor::from_parts(s, c.to_vec()), conj, shape).into_data()
            })
        }
        Op::Diag => {
            let d = zero_if_none(ta(0), g.shape(node.args[0]).numel());
            let r = shape.rows();
            let mut out = Batch::zeros(rows, k);
            for j in 0..k {
                for (i, &x) in d.col(j).iter().enumerate() {
                    out.col_mut(j)[i + i * r] = x;
                }
            }
            out
        }
        Op::DiagOf => {
            let s = g.shape(node.args[0]);
            let d = zero_if_none(ta(0), s.numel());
            let r = s.rows();
            d.per_col(rows, |c| (0..rows).map(|i| c[i + i * r]).collect())
        }
        Op::Gather(idx) => {
            let d = zero_if_none(ta(0), g.shape(node.args[0]).numel());
            d.per_col(rows, |c| idx.iter().map(|&i| c[i]).collect())
        }
        Op::Scatter(idx) => {
            let d = zero_if_none(ta(0), g.shape(node.args[0]).numel());
            d.per_col(rows, |c| {
                let mut o = vec![C64::new(0.0, 0.0); rows];
                for (&i, &x) in idx.iter().zip(c) {
                    o[i] += x;
                }
                o
            })
        }
        Op::Herm { .. } => zero_if_none(ta(0), rows).per_col(rows, |c| {
            herm_value(&Tensor::from_parts(shape, c.to_vec())).into_data()
        }),
        Op::Embed => {
            let s = g.shape(node.args[0]);
            zero_if_none(ta(0), s.numel()).per_col(rows, |c| {
                embed_value(&Tensor::from_parts(s, c.to_vec())).into_data()
            })
        }
        Op::EmbedAdj => {
            let s = g.shape(node.args[0]);
            zero_if_none(ta(0), s.numel()).per_col(rows, |c| {
                embed_adj_value(&Tensor::from_parts(s, c.to_vec()), shape).into_data()
            })
        }
        Op::SpectralValue(f) => {
            // dS = Re tr(P dA) = Re Σ conj(P_ij) dA_ij with P = ∇S Hermitian.
            let e = values.eig(node.args[0])?;
            let p = e.weighted(&e.spectral_weights(*f));
            let s = g.shape(node.args[0]);
            zero_if_none(ta(0), s.numel()).per_col(1, |c| {
                let v: f64 = p.data().iter().zip(c).map(|(x, y)| (x.conj() * y).re).sum();
                vec![C64::new(v, 0.0)]
            })
        }
        Op::SpectralGrad(f) => {
            let e = values.eig(node.args[0])?;
            let gamma = e.divided_differences(&e.spectral_weights(*f));
            let n = shape.rows();
            zero_if_none(ta(0), rows).per_col(rows, |c| {
                let da = MatRef::from_column_major_slice(c, n, n);
                let h = Mat::from_fn(n, n, |i, j| (da[(i, j)] + da[(j, i)].conj()) * 0.5);
                let d = e.weighted_derivative(&gamma, h.as_ref());
                Tensor::from_mat(shape, d.as_ref()).into_data()
            })
        }
        Op::GenEigValue(max) => {
            let e = values.gen_eig(id, node.args[0], node.args[1])?;
            let n = e.values.len();
            let kk = if *max { n - 1 } else { 0 };
            let lam = e.values[kk];
            let v: Vec<C64> = (0..n).map(|i| e.vectors[(i, kk)]).collect();
            let quad = |c: &[C64]| -> C64 {
                let m = MatRef::from_column_major_slice(c, n, n);
                let mut s = C64::new(0.0, 0.0);
                for j in 0..n {
                    for i in 0..n {
                        s += v[i].conj() * m[(i, j)] * v[j];
                    }
                }
                s
            };
            let da = ta(0);
            let db = ta(1);
            let mut out = Batch::zeros(1, k);
            for j in 0..k {
                let mut s = 0.0;
                if let Some(d) = &da {
                    s += quad(d.col(j)).re;
                }
                if let Some(d) = &db {
                    s -= lam * quad(d.col(j)).re;
                }
                out.data[j] = C64::new(s, 0.0);
            }
            out
        }
        Op::GenEigProj(max) => gen_proj_jvp(id, &node.args, *max, values, t, k, rows)?,
        // Both are linear (no conjugation): the tangent is the same map of the tangent.
        Op::Lincomb(st) => {
            let r = g.shape(node.args[0]).numel();
            zero_if_none(ta(0), r).per_col(rows, |c| st.lincomb(c).into_data())
        }
        Op::StackAdj(st) => {
            zero_if_none(ta(0), g.shape(node.args[0]).numel()).per_col(rows, |c| st.adjoint(c))
        }
        Op::Fft | Op::Ifft => {
            let inv = matches!(node.op, Op::Ifft);
            zero_if_none(ta(0), rows).per_col(rows, |c| fft_value(c, inv))
        }
        Op::EigvecMax => {
            return Err(err(
                id,
                "eigvec_max is available in data expressions only and has no derivative",
            ))
        }
        Op::Custom(c) => {
            let args = arg_values(&node.args, values)?;
            let refs: Vec<&Tensor> = args.iter().map(|x| x.as_ref()).collect();
            let mut out = Batch::zeros(rows, k);
            for j in 0..k {
                let tans = column_tangents(g, &node.args, t, j);
                let tr: Vec<Option<&Tensor>> = tans.iter().map(|x| x.as_ref()).collect();
                let d = c
                    .jvp(&refs, &tr)
                    .map_err(|m| err(id, format!("{} (forward rule): {m}", c.name())))?;
                if d.data().len() != rows {
                    return Err(err(
                        id,
                        format!("{}: forward rule returned the wrong shape", c.name()),
                    ));
                }
                out.col_mut(j).copy_from_slice(d.data());
            }
            out
        }
        Op::CustomVjp(c, which) => {
            let args = arg_values(&node.args, values)?;
            let (adj, inputs) = args
                .split_last()
                .ok_or_else(|| err(id, "internal: empty vjp"))?;
            let refs: Vec<&Tensor> = inputs.iter().map(|x| x.as_ref()).collect();
            let mut out = Batch::zeros(rows, k);
            for j in 0..k {
                let tans = column_tangents(g, &node.args, t, j);
                let (adj_t, in_t) = tans
                    .split_last()
                    .ok_or_else(|| err(id, "internal: empty vjp"))?;
                let tr: Vec<Option<&Tensor>> = in_t.iter().map(|x| x.as_ref()).collect();
                let d = c
                    .vjp_jvp(&refs, adj, &tr, adj_t.as_ref(), *which)
                    .map_err(|m| err(id, format!("{}: {m}", c.name())))?;
                if d.data().len() != rows {
                    return Err(err(
                        id,
                        format!("{}: second-order rule returned the wrong shape", c.name()),
                    ));
                }
                out.col_mut(j).copy_from_slice(d.data());
            }
            out
        }
    };
    Ok(out)
}

/// The values of a node's arguments.
fn arg_values(args: &[NodeId], values: &Values) -> Result<Vec<std::sync::Arc<Tensor>>, EvalError> {
    args.iter().map(|&a| values.arc(a).cloned()).collect()
}

/// Direction `j` of each argument's tangents, as tensors of the arguments' shapes.
fn column_tangents(
    g: &Graph,
    args: &[NodeId],
    t: &[Option<Batch>],
    j: usize,
) -> Vec<Option<Tensor>> {
    args.iter()
        .map(|&a| {
            t[a].as_ref()
                .map(|b| Tensor::from_parts(g.shape(a), b.col(j).to_vec()))
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn matmul_jvp(
    g: &Graph,
    args: &[NodeId],
    ta: Trans,
    tb: Trans,
    shape: Shape,
    values: &Values,
    t: &[Option<Batch>],
    k: usize,
) -> Result<Batch, EvalError> {
    let (a, b) = (args[0], args[1]);
    let (sa, sb) = (g.shape(a), g.shape(b));
    let (r, c) = (shape.rows(), shape.cols());
    let mut out = Batch::zeros(r * c, k);
    if let Some(db) = &t[b] {
        let av = values.arc(a)?;
        // op(A) · op(dB)
        if tb == Trans::N {
            // all directions at once: op(A) · [dB₁ … dB_k] as one product
            let wide = MatRef::from_column_major_slice(&db.data, sb.rows(), sb.cols() * k);
            let dst = MatMut::from_column_major_slice_mut(&mut out.data, r, c * k);
            matmul_into(dst, Accum::Add, av.as_mat(), ta, wide, Trans::N);
        } else {
            for j in 0..k {
                let dbj = MatRef::from_column_major_slice(db.col(j), sb.rows(), sb.cols());
                let dst = MatMut::from_column_major_slice_mut(out.col_mut(j), r, c);
                matmul_into(dst, Accum::Add, av.as_mat(), ta, dbj, tb);
            }
        }
    }
    if let Some(da) = &t[a] {
        let bv = values.arc(b)?;
        let (ar, ac) = (sa.rows(), sa.cols());
        for j in 0..k {
            let daj = MatRef::from_column_major_slice(da.col(j), ar, ac);
            let dst = MatMut::from_column_major_slice_mut(out.col_mut(j), r, c);
            matmul_into(dst, Accum::Add, daj, ta, bv.as_mat(), tb);
        }
    }
    Ok(out)
}

fn gen_proj_jvp(
    id: NodeId,
    args: &[NodeId],
    max: bool,
    values: &mut Values,
    t: &[Option<Batch>],
    k: usize,
    rows: usize,
) -> Result<Batch, EvalError> {
    // A v = λ B v, vᴴ B v = 1, V the B-orthonormal eigenvectors. For a simple λ = λ_s:
    // dv = Σ_{j≠s} v_j (v_jᴴ (dA − λ dB) v)/(λ − λ_j) − ½ v (vᴴ dB v);  d(v vᴴ) = dv vᴴ + v dvᴴ.
    let e = values.gen_eig(id, args[0], args[1])?;
    let n = e.values.len();
    let s = if max { n - 1 } else { 0 };
    let lam = e.values[s];
    let tol = super::linalg::EIG_TIE_TOL * e.scale();
    let v = e.vectors.as_ref();
    let mut out = Batch::zeros(rows, k);
    for j in 0..k {
        let da = t[args[0]].as_ref().map(|b| b.col(j));
        let db = t[args[1]].as_ref().map(|b| b.col(j));
        // M = herm(dA) − λ herm(dB)
        let herm = |c: &[C64], p: usize, q: usize| (c[p + q * n] + c[q + p * n].conj()) * 0.5;
        let m = Mat::from_fn(n, n, |p, q| {
            let mut x = C64::new(0.0, 0.0);
            if let Some(c) = da {
                x += herm(c, p, q);
            }
            if let Some(c) = db {
                x -= herm(c, p, q) * lam;
            }
            x
        });
        let vs: Vec<C64> = (0..n).map(|p| v[(p, s)]).collect();
        let mv: Vec<C64> = (0..n)
            .map(|p| (0..n).map(|q| m[(p, q)] * vs[q]).sum())
            .collect();
        let vdbv: f64 = match db {
            Some(c) => (0..n)
                .flat_map(|p| (0..n).map(move |q| (p, q)))
                .map(|(p, q)| (vs[p].conj() * herm(c, p, q) * vs[q]).re)
                .sum(),
            None => 0.0,
        };
        let mut dv: Vec<C64> = vs.iter().map(|x| x * (-0.5 * vdbv)).collect();
        for q in 0..n {
            if q == s {
                continue;
            }
            let gap = lam - e.values[q];
            if gap.abs() > tol {
                let coeff: C64 = (0..n).map(|p| v[(p, q)].conj() * mv[p]).sum::<C64>() / gap;
                for p in 0..n {
                    dv[p] += v[(p, q)] * coeff;
                }
            }
        }
        let col = out.col_mut(j);
        for q in 0..n {
            for p in 0..n {
                col[p + q * n] = dv[p] * vs[q].conj() + vs[p] * dv[q].conj();
            }
        }
    }
    Ok(out)
}
