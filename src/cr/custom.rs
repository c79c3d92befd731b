//! User-defined operations that bring their own derivative rules (the "frule/rrule" of
//! ChainRules, `custom_jvp`/`custom_vjp` of JAX). The engine differentiates through them.

use crate::model::{Tensor, Ty};

/// An operation with its own forward (JVP) and reverse (VJP) rules.
///
/// The rules follow the CR-calculus convention of DESIGN.md §1. For w = φ(u₁, …, u_m):
///
/// - forward: `dw = Σᵢ (∂φ/∂uᵢ)·duᵢ + (∂φ/∂ūᵢ)·conj(duᵢ)`;
/// - reverse, with the output adjoint ḡ_w = 2∂f/∂w̄:
///   `ḡ_uᵢ = (∂φ/∂uᵢ)ᴴ·ḡ_w + (∂φ/∂ūᵢ)ᵀ·conj(ḡ_w)`.
///
/// Values, gradients, Gauss–Newton Jacobians and `wirtinger check` need `eval`, `jvp` and
/// `vjp`. Hessians through the operation also need [`CustomOp::vjp_jvp`], the tangent of the
/// reverse rule; without it, Hessian requests fail with a clear error.
///
/// ```
/// use wirtinger::cr::CustomOp;
/// use wirtinger::model::{Tensor, Ty};
/// use num_complex::Complex64 as C64;
///
/// /// w = u³ elementwise (holomorphic: ∂w/∂u = 3u², ∂w/∂ū = 0).
/// struct Cube;
/// impl CustomOp for Cube {
///     fn name(&self) -> &str { "cube" }
///     fn output_type(&self, inputs: &[Ty]) -> Result<Ty, String> {
///         match inputs { [t] => Ok(*t), _ => Err("cube takes one argument".into()) }
///     }
///     fn eval(&self, x: &[&Tensor]) -> Result<Tensor, String> {
///         let d = x[0].data().iter().map(|u| u * u * u).collect();
///         Ok(Tensor::new(x[0].shape(), d).unwrap())
///     }
///     fn jvp(&self, x: &[&Tensor], dx: &[Option<&Tensor>]) -> Result<Tensor, String> {
///         let du = dx[0].ok_or("no tangent")?;
///         let d = x[0].data().iter().zip(du.data()).map(|(u, d)| 3.0 * u * u * d).collect();
///         Ok(Tensor::new(x[0].shape(), d).unwrap())
///     }
///     fn vjp(&self, x: &[&Tensor], g: &Tensor, _which: usize) -> Result<Tensor, String> {
///         let d = x[0].data().iter().zip(g.data()).map(|(u, g)| (3.0 * u * u).conj() * g).collect();
///         Ok(Tensor::new(x[0].shape(), d).unwrap())
///     }
/// }
/// ```
pub trait CustomOp: Send + Sync {
    /// The name used in messages.
    fn name(&self) -> &str;
    /// The output type for the given argument types, or a message saying why they are refused.
    fn output_type(&self, inputs: &[Ty]) -> Result<Ty, String>;
    /// The value.
    fn eval(&self, inputs: &[&Tensor]) -> Result<Tensor, String>;
    /// The forward rule for one direction; `None` tangents are zero.
    fn jvp(&self, inputs: &[&Tensor], tangents: &[Option<&Tensor>]) -> Result<Tensor, String>;
    /// The reverse rule: the adjoint of argument `which` given the output adjoint.
    fn vjp(&self, inputs: &[&Tensor], adjoint: &Tensor, which: usize) -> Result<Tensor, String>;
    /// The directional derivative of [`CustomOp::vjp`] when the inputs move along
    /// `input_tangents` and the output adjoint along `adjoint_tangent` (`None`: zero).
    fn vjp_jvp(
        &self,
        inputs: &[&Tensor],
        adjoint: &Tensor,
        input_tangents: &[Option<&Tensor>],
        adjoint_tangent: Option<&Tensor>,
        which: usize,
    ) -> Result<Tensor, String> {
        let _ = (inputs, adjoint, input_tangents, adjoint_tangent, which);
        Err("this operation has no second-order rule (implement CustomOp::vjp_jvp to get Hessians through it)".into())
    }
}
