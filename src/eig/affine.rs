//! Affine maps of graph nodes over the real coordinates of the variables.
//!
//! The SDP path works on real coordinates x ∈ ℝᴺ: one per entry of a real variable, two (the
//! real and the imaginary part) per entry of a complex one ([`Coords`], in `crate::cr`). A node whose value is
//! affine in x, A(x) = A₀ + Σⱼ xⱼ Aⱼ, is extracted by exact linearization
//! ([`affine_map`]): A₀ is the value at x = 0 and Aⱼ = ∂A/∂xⱼ its forward-mode tangent along
//! the coordinate direction eⱼ (for the imaginary part of a complex entry z = u + iv the
//! direction is dz = i), all N tangents propagated at once by [`crate::cr::propagate_tangents`].
//!
//! **Structure.** The unit directions start sparse (one entry each) and every operation with a
//! sparse forward rule keeps them sparse (`crate::cr::sparse`): sums, scalings, the Hermitian
//! part, transposes, products with constants, index maps, and `lincomb(x, S)` of a sparse stack,
//! whose tangent along eᵢ is the stack's own matrix Sᵢ. So for A(x) = A₀ + lincomb(x, S)
//! (plus data, scaling, sums, the Hermitian part) the coefficients come straight from the
//! stack: time and memory O(nnz(S) + n²) (the n² for the dense value A₀), where N dense
//! tangents would take N·n² (48 GB for n = 1000, N = 3000). An operation without a sparse
//! rule, or a tangent that fills up (more than a quarter of N × entries), falls back to dense
//! tangents, the generic path.
//!
//! Linearization at one point says nothing about affinity, so the map is then *checked*: the
//! node is evaluated at two seeded pseudo-random points x and compared with A₀ + Σ xⱼAⱼ; a
//! relative mismatch above [`AFFINE_TOL`] means the node is not affine (for a polynomial or an
//! analytic function, a generic point detects any nonlinearity; for piecewise-linear functions
//! such as |·| the derivative the engine uses at 0 is a subgradient that does not reproduce the
//! values elsewhere). A node that is not affine is not SDP-representable as an argument of an
//! atom (Boyd & Vandenberghe, *Convex Optimization*, §4.6.2: LMIs need affine matrix functions).
//! The check costs two evaluations and one pass over the map, O(nnz + n²) for a sparse stack.

pub use crate::cr::Coords;
use crate::cr::{propagate_tangents, Graph, NodeId, Tangent, Values};
use crate::model::Shape;
use crate::rng::SplitMix64;
use num_complex::Complex64 as C64;

/// Relative tolerance of the affinity check: max |A(x) − (A₀ + Σ xⱼAⱼ)| ≤ AFFINE_TOL · scale,
/// scale = max(1, max |A(x)|, Σⱼ |xⱼ| max |Aⱼ|).
pub const AFFINE_TOL: f64 = 1e-9;

/// A(x) = A₀ + Σⱼ xⱼ Aⱼ, stored by entry: `rows[e]` lists the nonzero (j, (Aⱼ)ₑ).
#[derive(Clone, Debug)]
pub struct AffineMap {
    /// Shape of the value.
    pub shape: Shape,
    /// A₀, column-major.
    pub c0: Vec<C64>,
    /// For each entry, its nonzero coefficients (coordinate, value).
    pub rows: Vec<Vec<(usize, C64)>>,
}

impl AffineMap {
    /// The value at x.
    pub fn eval(&self, x: &[f64]) -> Vec<C64> {
        self.c0
            .iter()
            .zip(&self.rows)
            .map(|(c, r)| r.iter().fold(*c, |s, &(j, a)| s + a * x[j]))
            .collect()
    }
    /// c·A(x) for a real c.
    pub fn scaled(mut self, c: f64) -> AffineMap {
        self.c0.iter_mut().for_each(|v| *v *= c);
        self.rows
            .iter_mut()
            .for_each(|r| r.iter_mut().for_each(|(_, a)| *a *= c));
        self
    }
    /// A(x) − B(x) (same number of entries).
    pub fn minus(&self, b: &AffineMap) -> AffineMap {
        let mut out = self.clone();
        for (e, (c, r)) in b.c0.iter().zip(&b.rows).enumerate() {
            out.c0[e] -= c;
            out.rows[e].extend(r.iter().map(|&(j, a)| (j, -a)));
        }
        out
    }
    /// Whether any entry has an imaginary constant or coefficient.
    pub fn is_complex(&self) -> bool {
        self.c0.iter().any(|c| c.im != 0.0) || self.rows.iter().flatten().any(|(_, a)| a.im != 0.0)
    }
    /// Whether entry e has an imaginary constant or coefficient.
    pub fn entry_is_complex(&self, e: usize) -> bool {
        self.c0[e].im != 0.0 || self.rows[e].iter().any(|(_, a)| a.im != 0.0)
    }
}

/// Extracts the affine map of `node` over `coords` and checks that the node is affine.
/// The error says why not (not affine, or evaluation failed).
pub fn affine_map(g: &Graph, node: NodeId, coords: &Coords) -> Result<AffineMap, String> {
    let n = coords.len();
    let zero = vec![0.0; n];
    let mut values = Values::new(g, &coords.tensors(&zero), &[]);
    let base = values.ensure_get(g, node).map_err(|e| e.message)?;
    let shape = base.shape();
    let numel = shape.numel();
    let mut rows: Vec<Vec<(usize, C64)>> = vec![Vec::new(); numel];
    if n > 0 {
        let tangents = coords.sparse_unit_tangents();
        let mut t =
            propagate_tangents(g, &[node], &mut values, &tangents, &[]).map_err(|e| e.message)?;
        let zero = C64::new(0.0, 0.0);
        match t.get_mut(node).and_then(Option::take) {
            Some(Tangent::Sparse(s)) => {
                for j in 0..n {
                    let (ix, vx) = s.col(j);
                    for (&e, &a) in ix.iter().zip(vx) {
                        if a != zero {
                            rows[e].push((j, a));
                        }
                    }
                }
            }
            Some(Tangent::Dense(batch)) => {
                for j in 0..n {
                    for (e, &a) in batch.col(j).iter().enumerate() {
                        if a != zero {
                            rows[e].push((j, a));
                        }
                    }
                }
            }
            None => {}
        }
    }
    let map = AffineMap {
        shape,
        c0: base.data().to_vec(),
        rows,
    };
    if n > 0 {
        for (seed, amp) in [(17u64, 1.0), (29u64, 3.0)] {
            let mut r = SplitMix64::new(seed);
            let x: Vec<f64> = (0..n).map(|_| amp * r.symmetric()).collect();
            let mut vals = Values::new(g, &coords.tensors(&x), &[]);
            let actual = vals.ensure_get(g, node).map_err(|e| e.message)?;
            let lin = map.eval(&x);
            let mut scale: f64 = 1.0;
            let mut diff: f64 = 0.0;
            for (e, (a, l)) in actual.data().iter().zip(&lin).enumerate() {
                let coef = map.rows[e].iter().map(|(_, c)| c.norm()).sum::<f64>() * amp;
                scale = scale.max(a.norm()).max(coef).max(map.c0[e].norm());
                diff = diff.max((a - l).norm());
            }
            if !diff.is_finite() || diff > AFFINE_TOL * scale {
                return Err(format!(
                    "it is not affine in the variables (its value differs from its linearization at 0 by {:.3e} relative)",
                    diff / scale
                ));
            }
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cr::Unary;
    use crate::model::Ty;

    #[test]
    fn affine_and_not_affine() {
        let vars = vec![("z".to_string(), Ty::complex(Shape::Vector(2)))];
        let coords = Coords::new(&vars);
        let mut g = Graph::default();
        let z = g.push(crate::cr::Op::Var(0), vec![], vars[0].1);
        let c = g.scale(C64::new(2.0, 1.0), z);
        let m = affine_map(&g, c, &coords).unwrap();
        // d/d(im z0) of (2 + i) z0 is (2 + i)·i = −1 + 2i.
        assert_eq!(
            m.rows[0],
            vec![(0, C64::new(2.0, 1.0)), (1, C64::new(-1.0, 2.0))]
        );
        let a = g.unary(Unary::Abs2, z);
        assert!(affine_map(&g, a, &coords).is_err());
        let x = [0.5, -1.0, 2.0, 0.25];
        assert_eq!(coords.coordinates(&coords.point(&x)), x.to_vec());
    }
}
