//! The real coordinates of the variables: one per entry of a real variable, two (real part, then
//! imaginary part) per entry of a complex one — the coordinates in which a real-valued function
//! of complex variables is an ordinary function of ℝᴺ.

use super::sparse::SparseBatch;
use super::tangent::{Batch, Tangent};
use crate::model::{Tensor, Ty};
use num_complex::Complex64 as C64;
use std::sync::Arc;

/// The real coordinates of the variables, in stacking order.
#[derive(Clone, Debug)]
pub struct Coords {
    /// One entry per coordinate: (variable, entry of the variable, imaginary part?).
    pub dirs: Vec<(usize, usize, bool)>,
    /// The variables' names and types.
    pub vars: Vec<(String, Ty)>,
}

impl Coords {
    /// The coordinates of these variables: real entries give one coordinate, complex two
    /// (real part, then imaginary part).
    pub fn new(vars: &[(String, Ty)]) -> Coords {
        let mut dirs = Vec::new();
        for (i, (_, t)) in vars.iter().enumerate() {
            for k in 0..t.shape.numel() {
                dirs.push((i, k, false));
                if !t.real {
                    dirs.push((i, k, true));
                }
            }
        }
        Coords {
            dirs,
            vars: vars.to_vec(),
        }
    }
    /// The unit directions of every coordinate as forward-mode tangents, one batch per variable
    /// (column j is eⱼ: 1 for a real part, i for an imaginary part), for
    /// [`super::propagate`]: the tangents of a node are then its partial derivatives ∂/∂xⱼ.
    pub fn unit_tangents(&self) -> Vec<Option<Batch>> {
        let k = self.dirs.len();
        self.vars
            .iter()
            .enumerate()
            .map(|(i, (_, t))| {
                let m = t.shape.numel();
                let mut b = Batch::zeros(m, k);
                for (j, &(v, e, im)) in self.dirs.iter().enumerate() {
                    if v == i {
                        b.data[e + j * m] = if im {
                            C64::new(0.0, 1.0)
                        } else {
                            C64::new(1.0, 0.0)
                        };
                    }
                }
                Some(b)
            })
            .collect()
    }
    /// [`Coords::unit_tangents`] stored sparsely (one entry per direction of the variable it
    /// moves), for [`super::propagate_tangents`]: memory O(N), not N × (total entries).
    pub fn sparse_unit_tangents(&self) -> Vec<Option<Tangent>> {
        let k = self.dirs.len();
        self.vars
            .iter()
            .enumerate()
            .map(|(i, (_, t))| {
                let cols = self
                    .dirs
                    .iter()
                    .map(|&(v, e, im)| {
                        if v != i {
                            return Vec::new();
                        }
                        let one = if im {
                            C64::new(0.0, 1.0)
                        } else {
                            C64::new(1.0, 0.0)
                        };
                        vec![(e, one)]
                    })
                    .collect::<Vec<_>>();
                debug_assert_eq!(cols.len(), k);
                Some(Tangent::Sparse(SparseBatch::from_columns(
                    t.shape.numel(),
                    cols,
                )))
            })
            .collect()
    }
    /// Number of real coordinates N.
    pub fn len(&self) -> usize {
        self.dirs.len()
    }
    /// True when there are no coordinates.
    pub fn is_empty(&self) -> bool {
        self.dirs.is_empty()
    }
    /// The variables' values at x, one tensor per variable.
    pub fn tensors(&self, x: &[f64]) -> Vec<Arc<Tensor>> {
        let mut ts: Vec<Tensor> = self
            .vars
            .iter()
            .map(|(_, t)| Tensor::zeros(t.shape))
            .collect();
        for (&(v, e, im), &xj) in self.dirs.iter().zip(x) {
            let d = &mut ts[v].data_mut()[e];
            if im {
                d.im = xj;
            } else {
                d.re = xj;
            }
        }
        ts.into_iter().map(Arc::new).collect()
    }
    /// The stacked complex point (as in [`crate::model::Problem::initial_point`]) of x.
    pub fn point(&self, x: &[f64]) -> Vec<C64> {
        self.tensors(x)
            .iter()
            .flat_map(|t| t.data().to_vec())
            .collect()
    }
    /// The real coordinates of a stacked complex point.
    pub fn coordinates(&self, z: &[C64]) -> Vec<f64> {
        let mut offsets = Vec::with_capacity(self.vars.len());
        let mut off = 0;
        for (_, t) in &self.vars {
            offsets.push(off);
            off += t.shape.numel();
        }
        self.dirs
            .iter()
            .map(|&(v, e, im)| {
                let w = z.get(offsets[v] + e).copied().unwrap_or_default();
                if im {
                    w.im
                } else {
                    w.re
                }
            })
            .collect()
    }
}
