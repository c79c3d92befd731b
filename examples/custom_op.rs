//! Register a custom operation with its own forward (JVP) and reverse (VJP) rules, and its
//! second-order rule, then differentiate through it: the engine's gradient and Hessian of
//! f(z) = Σ |softsat(z) − y|² agree with finite differences.
//!
//! softsat(u) = u / (1 + |u|²) is not holomorphic: with s = 1 + |u|²,
//! ∂w/∂u = 1/s − |u|²/s² = 1/s², ∂w/∂ū = −u²/s².
//!
//! Run: `cargo run --example custom_op`

use num_complex::Complex64 as C64;
use std::sync::Arc;
use wirtinger::cr::{check_derivatives, random_point, CustomOp};
use wirtinger::model::builder::{fns::*, ProblemBuilder, E};
use wirtinger::model::{Shape, Tensor, Ty};

struct SoftSat;

fn partials(u: C64) -> (C64, C64) {
    let s = 1.0 + u.norm_sqr();
    (C64::new(1.0 / (s * s), 0.0), -(u * u) / (s * s))
}

fn map(t: &Tensor, f: impl Fn(usize, C64) -> C64) -> Result<Tensor, String> {
    let d = t.data().iter().enumerate().map(|(i, &x)| f(i, x)).collect();
    Tensor::new(t.shape(), d).ok_or_else(|| "size mismatch".to_string())
}

impl CustomOp for SoftSat {
    fn name(&self) -> &str {
        "softsat"
    }
    fn output_type(&self, inputs: &[Ty]) -> Result<Ty, String> {
        match inputs {
            [t] => Ok(Ty {
                shape: t.shape,
                real: false,
            }),
            _ => Err("takes one argument".into()),
        }
    }
    fn eval(&self, x: &[&Tensor]) -> Result<Tensor, String> {
        map(x[0], |_, u| u / (1.0 + u.norm_sqr()))
    }
    // dw = (∂w/∂u) du + (∂w/∂ū) conj(du)
    fn jvp(&self, x: &[&Tensor], dx: &[Option<&Tensor>]) -> Result<Tensor, String> {
        let du = dx[0].ok_or("missing tangent")?;
        map(x[0], |i, u| {
            let (a, b) = partials(u);
            a * du.data()[i] + b * du.data()[i].conj()
        })
    }
    // ḡ_u = conj(∂w/∂u) ḡ_w + (∂w/∂ū) conj(ḡ_w)
    fn vjp(&self, x: &[&Tensor], g: &Tensor, _which: usize) -> Result<Tensor, String> {
        map(x[0], |i, u| {
            let (a, b) = partials(u);
            a.conj() * g.data()[i] + b * g.data()[i].conj()
        })
    }
    // The tangent of the reverse rule along (du, dḡ): with a = 1/s², b = −u²/s² and
    // ds = 2Re(ū du): da = −2 ds/s³, db = −2u du/s² + 2u² ds/s³.
    fn vjp_jvp(
        &self,
        x: &[&Tensor],
        g: &Tensor,
        dx: &[Option<&Tensor>],
        dg: Option<&Tensor>,
        _which: usize,
    ) -> Result<Tensor, String> {
        map(x[0], |i, u| {
            let gi = g.data()[i];
            let du = dx[0].map_or(C64::new(0.0, 0.0), |t| t.data()[i]);
            let dgi = dg.map_or(C64::new(0.0, 0.0), |t| t.data()[i]);
            let s = 1.0 + u.norm_sqr();
            let ds = 2.0 * (u.conj() * du).re;
            let (a, b) = partials(u);
            let da = C64::new(-2.0 * ds / (s * s * s), 0.0);
            let db = -2.0 * u * du / (s * s) + 2.0 * u * u * ds / (s * s * s);
            da.conj() * gi + a.conj() * dgi + db * gi.conj() + b * dgi.conj()
        })
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut p = ProblemBuilder::new();
    p.register(Arc::new(SoftSat));
    let z = p.complex_var("z", &[3]);
    let y = p.data(
        "y",
        Tensor::new(
            Shape::Vector(3),
            vec![C64::new(0.2, 0.1), C64::new(-0.3, 0.4), C64::new(0.1, -0.2)],
        )
        .ok_or("size")?,
        false,
    );
    p.minimize(sum(abs2(E::call("softsat", vec![z]) - y)));
    let f = p.build()?.function()?;
    let z0 = random_point(&f, 7);
    let report = check_derivatives(&f, &z0, 7)?;
    println!(
        "gradient error {:.2e}, Hessian error {:.2e}",
        report.gradient_error, report.hessian_error
    );
    assert!(report.gradient_error < 1e-6 && report.hessian_error < 1e-5);
    Ok(())
}
