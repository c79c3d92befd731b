//! The noise level of computed objective values, for the floating-point test of stalls
//! ([`super::termination`], test (3)).
//!
//! A value f(z) computed in floating point carries a rounding error that can be far above
//! ε|f| when the evaluation cancels: the output power wᴴRw of a beamformer that nulls strong
//! interferers is a small difference of terms of size ‖R‖‖w‖². A method that stalls there has
//! reached the limit of what values of f can tell, although ‖g‖²/(2L̂) is well above ε|f|.
//!
//! The noise is measured, not guessed, by ECnoise (J. J. Moré and S. M. Wild, "Estimating
//! computational noise", SIAM J. Sci. Comput. 33(3), 2011): f is evaluated at
//! [`POINTS`] equally spaced points z + (i − ½(POINTS − 1))·h·p on a line through z, and the
//! k-th differences Δᵏf of these values are formed. The smooth part of f contributes about
//! hᵏf⁽ᵏ⁾ to Δᵏf, which vanishes quickly with k, while noise of standard deviation σ gives
//! E[(Δᵏf)²] = σ²·(2k)!/(k!)². So
//!
//! ```text
//!     σ_k = √(γ_k · mean((Δᵏf)²)),   γ_k = (k!)²/(2k)!
//! ```
//!
//! estimates σ once the differences are noise: three consecutive σ_k within a factor 4 of each
//! other with a sign change among the Δᵏf. The paper's test for the step h is kept: h is too
//! large when the values spread by more than 10% of |f| or no level is found, too small when
//! half of the first differences are exactly zero; it is then divided or multiplied by 100.

use crate::rng::SplitMix64;
use num_complex::Complex64 as C64;

/// Number of values on the line (the paper uses 7 to 9).
pub const POINTS: usize = 8;

/// First step length, relative to max(1, ‖z‖).
const H0: f64 = 1e-6;

/// Tries of h (h₀, then by factors of 100 up or down).
const TRIES: usize = 5;

/// What the difference table of one set of values says.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Table {
    /// The noise level σ (0 when every value is equal: no noise seen at this h).
    Noise(f64),
    /// h is too small: half of the first differences are zero.
    TooSmall,
    /// h is too large: the values spread by more than 10% or no level is consistent.
    TooLarge,
}

/// ECnoise's decision on values at equally spaced points of a line (at least 4).
///
/// ```
/// use wirtinger::solve::noise::{from_values, Table};
/// // A quadratic plus alternating noise of size 1e-12.
/// let f: Vec<f64> = (0..8)
///     .map(|i| {
///         let t = i as f64 * 1e-3;
///         1.0 + t + t * t + if i % 2 == 0 { 1e-12 } else { -1e-12 }
///     })
///     .collect();
/// match from_values(&f) {
///     Table::Noise(s) => assert!(s > 3e-13 && s < 3e-12, "{s}"),
///     other => panic!("{other:?}"),
/// }
/// ```
pub fn from_values(values: &[f64]) -> Table {
    let nf = values.len();
    if nf < 4 || values.iter().any(|v| !v.is_finite()) {
        return Table::TooLarge;
    }
    let fmin = values.iter().copied().fold(f64::INFINITY, f64::min);
    let fmax = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if fmax == fmin {
        return Table::Noise(0.0);
    }
    if (fmax - fmin) > 0.1 * fmax.abs().max(fmin.abs()) {
        return Table::TooLarge;
    }
    let mut d = values.to_vec();
    let mut level = vec![0.0; nf - 1];
    let mut sign_change = vec![false; nf - 1];
    let mut gamma = 1.0;
    for j in 1..nf {
        for i in 0..nf - j {
            d[i] = d[i + 1] - d[i];
        }
        let diffs = &d[..nf - j];
        if j == 1 && 2 * diffs.iter().filter(|&&x| x == 0.0).count() >= nf {
            return Table::TooSmall;
        }
        gamma *= 0.5 * (j as f64 / (2 * j - 1) as f64);
        let mean_sq = diffs.iter().map(|x| x * x).sum::<f64>() / diffs.len() as f64;
        level[j - 1] = (gamma * mean_sq).sqrt();
        let lo = diffs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = diffs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        sign_change[j - 1] = lo * hi < 0.0;
    }
    for k in 0..nf.saturating_sub(3) {
        let w = &level[k..k + 3];
        let lo = w.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if hi <= 4.0 * lo && sign_change[k] {
            return Table::Noise(level[k]);
        }
    }
    Table::TooLarge
}

/// The noise level σ of f at z, or None when the values on the line are not finite or no h
/// gives a consistent level. `mask` marks real parameters (the line keeps them real); `f`
/// evaluates the objective. The direction is a fixed pseudo-random unit vector, so the
/// estimate (and with it the solve) is reproducible.
pub fn estimate(z: &[C64], mask: &[bool], f: impl Fn(&[C64]) -> Option<f64>) -> Option<f64> {
    let p = direction(z.len(), mask);
    let scale = z.iter().map(|x| x.norm_sqr()).sum::<f64>().sqrt().max(1.0);
    let mut h = H0 * scale;
    let mut went = None;
    for _ in 0..TRIES {
        let mid = 0.5 * (POINTS - 1) as f64;
        let values: Option<Vec<f64>> = (0..POINTS)
            .map(|i| {
                let t = (i as f64 - mid) * h;
                let zi: Vec<C64> = z.iter().zip(&p).map(|(x, d)| x + d * t).collect();
                f(&zi)
            })
            .collect();
        let step = match from_values(&values?) {
            Table::Noise(s) => return Some(s),
            Table::TooSmall => 100.0,
            Table::TooLarge => 0.01,
        };
        // Reversing direction means the right h lies between two tried ones: give up.
        if went.is_some_and(|w: f64| w != step) {
            return None;
        }
        went = Some(step);
        h *= step;
    }
    None
}

/// A unit vector with entries from a fixed pseudo-random sequence ([`SplitMix64`], seed 1),
/// real where `mask` is set.
fn direction(n: usize, mask: &[bool]) -> Vec<C64> {
    let mut rng = SplitMix64::new(1);
    let mut next = || rng.symmetric();
    let mut p: Vec<C64> = (0..n)
        .map(|i| {
            let re = next();
            let im = next();
            C64::new(
                re,
                if mask.get(i).copied().unwrap_or(false) {
                    0.0
                } else {
                    im
                },
            )
        })
        .collect();
    let norm = p.iter().map(|x| x.norm_sqr()).sum::<f64>().sqrt();
    if norm > 0.0 {
        p.iter_mut().for_each(|x| *x /= norm);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_smooth_function_without_noise_has_none() {
        // Exact in floating point: every value equal.
        assert_eq!(from_values(&[2.0; 8]), Table::Noise(0.0));
    }

    #[test]
    fn steps_far_too_large_are_reported() {
        let f: Vec<f64> = (0..8).map(|i| (i as f64).exp()).collect();
        assert_eq!(from_values(&f), Table::TooLarge);
    }

    #[test]
    fn the_estimate_sees_cancellation() {
        // f(z) = (1e8 + |z|²) − 1e8: rounding of size ε·1e8 ≈ 1e-8, far above ε|f|.
        let f = |z: &[C64]| Some((1e8 + z[0].norm_sqr()) - 1e8);
        let s = estimate(&[C64::new(0.3, 0.1)], &[false], f).expect("a noise level");
        assert!(s > 1e-10 && s < 1e-7, "{s}");
    }
}
