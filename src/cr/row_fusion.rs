//! One pass over A for the value and gradient of objectives of the form Σᵢ φᵢ((Az)ᵢ).
//!
//! The gradient of such an objective (phase retrieval, least squares, generalized linear
//! models) is g = Aᴴ w with wᵢ = ψᵢ((Az)ᵢ): row i of w depends on row i of Az only. Evaluated
//! node by node, the graph reads A twice per gradient, once for p = Az and once for Aᴴw, and
//! when A does not fit the per-core cache (phase retrieval with n = 128, m = 576: A is 1.18 MB,
//! L2 is 1 MB) both products stream it from the shared cache. A [`RowRegion`] evaluates the
//! product, the entrywise chain from p to w (and any sums over it, such as the objective
//! itself) and the adjoint product block by block of rows: a block of rows of A is read from
//! memory once, gives its rows of p, the chain runs on those rows, and the same rows, still in
//! cache, add their share Σ_{i ∈ block} (row i of A)ᴴ wᵢ to Aᴴw. Every node of the region that
//! the rest of the graph reads (the sums, q, and any chain node with a reader outside) gets its
//! full value, as node-by-node evaluation would give it up to the order of floating-point sums;
//! the chain nodes only the region reads live in a scratch buffer of one block and get no value.
//!
//! The rows are read from the stored copy Aᴴ that [`super::Graph::matmul`] keeps for the
//! adjoint product (its column i is conj(row i of A), contiguous), or, for a matrix too large
//! for that copy, from A's own columns (a block of rows is one piece of each column), with the
//! kernels of [`super::row_kernel`]. Regions are planned only when those kernels run
//! (AVX-512F); elsewhere the two products stay faer's.

use super::eval::{elementwise_into, is_elementwise, sum_entries, EvalError, Values};
use super::graph::{Graph, NodeId, Op, Trans};
use super::row_kernel::{accumulate, available, conj_dots, Accumulator, Columns, Packed};
use crate::model::Tensor;
use num_complex::Complex64 as C64;
use std::ops::Range;
use std::sync::Arc;

/// Bytes of A per block of rows: the block stays in the per-core cache between the product's
/// pass and the adjoint's, and the chain's per-block dispatch stays small against the rows'
/// arithmetic.
const BLOCK_BYTES: usize = 128 << 10;

/// Bytes of A per block of rows read from A's own columns: larger, since each column
/// contributes one piece of the block's rows (and one horizontal sum per piece), and pieces
/// of a few rows would be mostly sums; at least [`MIN_PIECE_ROWS`] rows.
const COLUMN_BLOCK_BYTES: usize = 512 << 10;

/// The fewest rows per block read from A's own columns.
const MIN_PIECE_ROWS: usize = 32;

/// Where the rows of A are read from.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// The constant Aᴴ (n × m) stored by `Graph::matmul` for the adjoint product: row i of A
    /// is conj(column i), contiguous.
    Adjoint(NodeId),
    /// A itself (m × n, column-major; too large for a stored copy): a block of rows is one
    /// piece of each column.
    Columns(NodeId),
}

impl Layout {
    /// The constant node the rows are read from (Aᴴ or A).
    fn matrix(self) -> NodeId {
        match self {
            Layout::Adjoint(c) | Layout::Columns(c) => c,
        }
    }
}

/// A product p = Az with a constant A (m × n), the entrywise nodes computed from it row by
/// row, and the adjoint product q = Aᴴw of one of them, evaluated together ([module
/// docs](self)).
#[derive(Clone, Debug)]
pub(crate) struct RowRegion {
    /// p = A z.
    pub(crate) p: NodeId,
    z: NodeId,
    layout: Layout,
    /// q = Aᴴ w.
    q: NodeId,
    w: NodeId,
    /// The entrywise nodes and sums between p and q, ascending.
    chain: Vec<NodeId>,
    /// For p and each chain node: whether its value is kept (a sum, or a node that a needed
    /// node outside the region or an output reads). The others live in a scratch buffer of one
    /// block of rows and get no value.
    stored: Vec<bool>,
    /// For each chain node, where each argument is read from.
    args: Vec<Vec<Arg>>,
    /// The arguments from outside the region (before p, or constants), z and A.
    outside: Vec<NodeId>,
}

/// Where a chain node's argument is read from.
#[derive(Clone, Copy, Debug)]
enum Arg {
    /// The buffer of p (slot 0) or of chain node k (slot 1 + k).
    Slot(usize),
    /// The value of the node `outside[k]` (outside the region).
    Outside(usize),
}

impl RowRegion {
    /// p followed by the chain.
    fn nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::once(self.p).chain(self.chain.iter().copied())
    }
    /// The buffer slot of a node of the region: 0 for p, 1 + k for chain node k.
    fn slot(&self, id: NodeId) -> Option<usize> {
        self.nodes().position(|k| k == id)
    }
}

/// The regions among the nodes that `outputs` need (`needed`, from [`needed_nodes`]); none when
/// the row kernels do not run.
///
/// [`needed_nodes`]: super::eval::needed_nodes
pub(crate) fn plan(g: &Graph, outputs: &[NodeId], needed: &[bool]) -> Vec<RowRegion> {
    if !available() {
        return Vec::new();
    }
    let mut regions: Vec<RowRegion> = Vec::new();
    for q in (0..g.len()).filter(|&q| needed[q]) {
        let Some(mut r) = region_at(g, needed, q) else {
            continue;
        };
        let inside = |n: NodeId| n == r.q || n == r.p || r.chain.contains(&n);
        let read_outside = |id: NodeId| {
            outputs.contains(&id)
                || (0..g.len()).any(|k| needed[k] && !inside(k) && g.node(k).args.contains(&id))
        };
        r.stored = r
            .nodes()
            .map(|id| matches!(g.node(id).op, Op::Sum) || read_outside(id))
            .collect();
        let matrix = r.layout.matrix();
        let chain_args = r.chain.iter().flat_map(|&k| g.node(k).args.iter().copied());
        let mut outside: Vec<NodeId> = chain_args
            .filter(|&a| r.slot(a).is_none())
            .chain([r.z, matrix])
            .collect();
        outside.sort_unstable();
        outside.dedup();
        // Every argument outside the region is in `outside` (collected just above).
        let arg = |a: NodeId| match r.slot(a) {
            Some(s) => Arg::Slot(s),
            None => Arg::Outside(outside.binary_search(&a).unwrap_or_default()),
        };
        r.args = r
            .chain
            .iter()
            .map(|&k| g.node(k).args.iter().map(|&a| arg(a)).collect())
            .collect();
        r.outside = outside;
        // A node belongs to at most one region.
        let taken = |n: NodeId| {
            regions
                .iter()
                .any(|o| o.p == n || o.q == n || o.chain.contains(&n))
        };
        if !taken(r.p) && !r.chain.iter().any(|&n| taken(n)) {
            regions.push(r);
        }
    }
    regions
}

/// The region whose adjoint product is node `q`, if `q` is Aᴴw for a constant A (through its
/// stored copy Aᴴ, or A itself when it has none) with a needed product p = Az whose entrywise
/// chain reaches w.
fn region_at(g: &Graph, needed: &[bool], q: NodeId) -> Option<RowRegion> {
    let node = g.node(q);
    let (&[f, w], Op::MatMul(tf, Trans::N)) = (&node.args[..], &node.op) else {
        return None;
    };
    let (a, layout) = match tf {
        Trans::N => match g.materialized_source(f)? {
            (a, Trans::H) => (a, Layout::Adjoint(f)),
            _ => return None,
        },
        Trans::H if matches!(g.node(f).op, Op::Const(_)) => (f, Layout::Columns(f)),
        _ => return None,
    };
    let (m, n) = (g.shape(a).rows(), g.shape(a).cols());
    if g.shape(q).cols() != 1 || g.shape(q).numel() != n || g.shape(w).numel() != m {
        return None;
    }
    (0..q).filter(|&p| needed[p]).find_map(|p| {
        let pn = g.node(p);
        let (&[pa, z], Op::MatMul(Trans::N, Trans::N)) = (&pn.args[..], &pn.op) else {
            return None;
        };
        if pa != a || g.shape(z).cols() != 1 {
            return None;
        }
        let chain = chain_from(g, needed, p, q, m);
        (w == p || chain.contains(&w)).then_some(RowRegion {
            p,
            z,
            layout,
            q,
            w,
            chain,
            stored: Vec::new(),
            args: Vec::new(),
            outside: Vec::new(),
        })
    })
}

/// The needed nodes strictly between p and q that can run row by row with p: entrywise
/// operations on m entries, each with at least one argument among p and the chain's entrywise
/// nodes and every other argument available before p is evaluated (a constant, or a node
/// before p); and sums of those (which nothing in the chain may read: they are complete only
/// after the last block).
fn chain_from(g: &Graph, needed: &[bool], p: NodeId, q: NodeId, m: usize) -> Vec<NodeId> {
    // Row nodes: p and the chain's entrywise nodes.
    let mut rows = vec![false; q - p];
    rows[0] = true;
    let mut chain = Vec::new();
    for k in p + 1..q {
        let node = g.node(k);
        if !needed[k] {
            continue;
        }
        let is_row = |a: NodeId| a >= p && rows[a - p];
        if matches!(node.op, Op::Sum) {
            if is_row(node.args[0]) {
                chain.push(k);
            }
            continue;
        }
        let ready =
            |a: NodeId| (a < p || matches!(g.node(a).op, Op::Const(_))) && g.shape(a).numel() == m;
        let args = &node.args;
        if is_elementwise(&node.op)
            && node.ty.shape.numel() == m
            && args.iter().any(|&a| is_row(a))
            && args.iter().all(|&a| is_row(a) || ready(a))
        {
            rows[k - p] = true;
            chain.push(k);
        }
    }
    chain
}

/// Evaluates a region into `values`: q, the sums, and p and the chain nodes whose values are
/// kept; the others are marked as evaluated without a value.
pub(crate) fn run(g: &Graph, r: &RowRegion, values: &mut Values) -> Result<(), EvalError> {
    // Arguments from outside the region first (they come before p, or are constants).
    for &a in &r.outside {
        values.ensure(g, a)?;
    }
    let matrix = r.layout.matrix();
    let z = values.arc(r.z)?.clone();
    let c = values.arc(matrix)?.clone();
    let n = z.data().len();
    let m = g.shape(r.p).numel();
    let block = match r.layout {
        Layout::Adjoint(_) => BLOCK_BYTES / (16 * n.max(1)),
        Layout::Columns(_) => (COLUMN_BLOCK_BYTES / (16 * n.max(1))).max(MIN_PIECE_ROWS),
    }
    .max(8)
        / 8
        * 8;
    // Aᴴw: from the stored Aᴴ in two real accumulators (against the packed z); from A's
    // columns, one conjugate dot per column and block, added up in place in q.
    let (packed, mut acc, mut q) = match r.layout {
        Layout::Adjoint(_) => (Packed::new(z.data()), Accumulator::new(n), Vec::new()),
        Layout::Columns(_) => (
            Packed::new(&[]),
            Accumulator::new(0),
            vec![C64::new(0.0, 0.0); n],
        ),
    };

    // A kept node's buffer has all its entries (a sum's running total is entry 0); a scratch
    // buffer holds one block of rows.
    let mut bufs: Vec<Vec<C64>> = r
        .nodes()
        .zip(&r.stored)
        .map(|(id, &kept)| {
            let len = if kept { g.shape(id).numel() } else { block };
            vec![C64::new(0.0, 0.0); len]
        })
        .collect();
    // The outside arguments' values, read below while `values` is not borrowed.
    let outside: Vec<Arc<Tensor>> = r
        .outside
        .iter()
        .map(|&a| values.arc(a).cloned())
        .collect::<Result<_, _>>()?;
    let w_slot = r.slot(r.w).unwrap_or(0);
    // The entries of `rows` in a slot's buffer.
    let part = |s: usize, rows: &Range<usize>| {
        if r.stored[s] {
            rows.clone()
        } else {
            0..rows.len()
        }
    };

    let mut start = 0;
    while start < m {
        let rows = start..(start + block).min(m);
        let cols = match r.layout {
            Layout::Adjoint(_) => Columns::of(c.data(), n, 0..n, rows.clone()),
            Layout::Columns(_) => Columns::of(c.data(), m, rows.clone(), 0..n),
        };
        let p = &mut bufs[0][part(0, &rows)];
        match r.layout {
            Layout::Adjoint(_) => conj_dots(&cols, &packed, p, false),
            Layout::Columns(_) => {
                let mut rows_of_p = Accumulator::new(rows.len());
                accumulate(&cols, z.data(), &mut rows_of_p);
                p.copy_from_slice(&rows_of_p.finish());
            }
        }
        for (k, &id) in r.chain.iter().enumerate() {
            let node = g.node(id);
            let mut out = std::mem::take(&mut bufs[k + 1]);
            {
                let arg = |j: usize| -> &[C64] {
                    match r.args[k].get(j) {
                        Some(&Arg::Slot(s)) => &bufs[s][part(s, &rows)],
                        Some(&Arg::Outside(o)) => &outside[o].data()[rows.clone()],
                        None => &[],
                    }
                };
                if matches!(node.op, Op::Sum) {
                    out[0] += sum_entries(arg(0));
                } else {
                    elementwise_into(g, node, [arg(0), arg(1)], &mut out[part(k + 1, &rows)]);
                }
            }
            bufs[k + 1] = out;
        }
        let w = &bufs[w_slot][part(w_slot, &rows)];
        match r.layout {
            Layout::Adjoint(_) => accumulate(&cols, w, &mut acc),
            Layout::Columns(_) => conj_dots(&cols, &Packed::new(w), &mut q, true),
        }
        start = rows.end;
    }
    if let Layout::Adjoint(_) = r.layout {
        q = acc.finish();
    }

    for ((id, data), &kept) in r.nodes().zip(bufs).zip(&r.stored) {
        if kept {
            values.set(id, Tensor::from_parts(g.shape(id), data));
        } else {
            values.set_absent(id);
        }
    }
    values.set(r.q, Tensor::from_parts(g.shape(r.q), q));
    Ok(())
}
