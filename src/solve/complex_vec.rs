//! [`CVec`]: a complex parameter vector on which argmin's own solvers and line searches run.
//!
//! argmin is written for real vector spaces. Cⁿ is the real vector space R²ⁿ (z = x + iy), and
//! with the inner product ⟨a, b⟩ = Re(aᴴb) = Σ (Re aᵢ Re bᵢ + Im aᵢ Im bᵢ) it is exactly the
//! Euclidean R²ⁿ (DESIGN.md §1). So every argmin-math trait is implemented *as on the real
//! embedding*:
//!
//! - `dot` is Re(aᴴb), `l2_norm` is √(Σ|aᵢ|²) (the Euclidean norm of the embedding);
//! - scalars are real (`f64`): `a + s`, `a · s` act on both real and imaginary parts;
//! - elementwise operations (`mul` of two vectors, `min`/`max`, `signum`, `l1_norm`) act on the
//!   2n real coordinates separately (argmin uses them only for L1 regularization, which we do
//!   not enable; they are defined so that they mean the same as on `Vec<f64>` of the embedding).
//!
//! Because the gradient g = 2∂f/∂z̄ is the real gradient packed as a complex vector,
//! f(z + αd) ≈ f(z) + α⟨g, d⟩, which is all that L-BFGS (Nocedal & Wright, *Numerical
//! Optimization*, 2nd ed., Alg. 7.4), steepest descent and the Moré–Thuente, Hager–Zhang and
//! backtracking line searches use. They therefore run on complex parameters unchanged.

use argmin_math::{
    ArgminAdd, ArgminDot, ArgminL1Norm, ArgminL2Norm, ArgminMinMax, ArgminMul, ArgminScaledAdd,
    ArgminScaledSub, ArgminSignum, ArgminSub, ArgminZeroLike,
};
use num_complex::Complex64 as C64;

/// A complex vector seen as the real vector space R²ⁿ with ⟨a, b⟩ = Re(aᴴb).
///
/// ```
/// use argmin_math::{ArgminDot, ArgminL2Norm};
/// use num_complex::Complex64 as C64;
/// use wirtinger::solve::CVec;
/// let a = CVec(vec![C64::new(1.0, 2.0)]);
/// let b = CVec(vec![C64::new(3.0, -1.0)]);
/// assert_eq!(a.dot(&b), 1.0); // Re(conj(1+2i)(3−i)) = 3 − 2
/// assert_eq!(a.l2_norm(), 5f64.sqrt());
/// ```
#[derive(Debug, Default, PartialEq)]
pub struct CVec(pub Vec<C64>);

/// Buffers of dropped [`CVec`]s at most this many per thread, reused by the next ones.
///
/// argmin's solvers make a new vector for every operation (its two-loop recursion alone makes
/// about 40 per L-BFGS iteration) and drop it soon after. Vectors above 1 KiB (n > 64) miss
/// glibc's per-thread cache, and each allocation and release then goes through the shared
/// bins. An L-BFGS solve of phase retrieval with n = 128 made 17,000 allocations of 21.8 MB in
/// all; with the pool it makes 9,500 of 6.5 MB (counted by a counting global allocator), and
/// runs 4.87 → 4.67 ms.
const POOL_BUFFERS: usize = 32;

thread_local! {
    static POOL: std::cell::RefCell<Vec<Vec<C64>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An empty vector with room for n entries, from the pool when it has one.
fn buffer(n: usize) -> Vec<C64> {
    let reused = POOL
        .try_with(|p| {
            let mut p = p.borrow_mut();
            let k = p.iter().rposition(|b| b.capacity() >= n)?;
            Some(p.swap_remove(k))
        })
        .ok()
        .flatten();
    let mut v = reused.unwrap_or_else(|| Vec::with_capacity(n));
    v.clear();
    v
}

impl Drop for CVec {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        if v.capacity() > 0 {
            // Past the thread's end (no pool any more) the buffer is simply freed.
            let _ = POOL.try_with(|p| {
                let mut p = p.borrow_mut();
                if p.len() < POOL_BUFFERS {
                    p.push(v);
                }
            });
        }
    }
}

impl Clone for CVec {
    fn clone(&self) -> CVec {
        CVec::from_slice(&self.0)
    }
}

impl CVec {
    /// A zero vector of length n.
    pub fn zeros(n: usize) -> CVec {
        let mut v = buffer(n);
        v.resize(n, C64::new(0.0, 0.0));
        CVec(v)
    }
    /// A copy of `s`, in a pooled buffer.
    ///
    /// ```
    /// use num_complex::Complex64 as C64;
    /// use wirtinger::solve::complex_vec::CVec;
    /// let v = CVec::from_slice(&[C64::new(1.0, -2.0)]);
    /// assert_eq!(v.as_slice(), &[C64::new(1.0, -2.0)]);
    /// ```
    pub fn from_slice(s: &[C64]) -> CVec {
        let mut v = buffer(s.len());
        v.extend_from_slice(s);
        CVec(v)
    }
    /// The entries.
    pub fn as_slice(&self) -> &[C64] {
        &self.0
    }
    /// Length n.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn zip(&self, other: &CVec, f: impl Fn(C64, C64) -> C64) -> CVec {
        let mut v = buffer(self.0.len().min(other.0.len()));
        let fill = |v: &mut Vec<C64>| v.extend(self.0.iter().zip(&other.0).map(|(a, b)| f(*a, *b)));
        wide(fill, &mut v);
        CVec(v)
    }
    fn map(&self, f: impl Fn(C64) -> C64) -> CVec {
        let mut v = buffer(self.0.len());
        wide(
            |v: &mut Vec<C64>| v.extend(self.0.iter().map(|a| f(*a))),
            &mut v,
        );
        CVec(v)
    }
}

/// Runs `fill` compiled for AVX-512 when the processor has it, so that its loop over the
/// entries uses 512-bit registers; the crate is built for baseline x86-64 (SSE2), whose
/// 128-bit loops take four times the instructions. argmin's L-BFGS makes about 40 such
/// vectors per iteration.
fn wide(fill: impl FnOnce(&mut Vec<C64>), v: &mut Vec<C64>) {
    #[cfg(target_arch = "x86_64")]
    if crate::cr::simd_available() {
        // Safety: AVX-512F is present (checked at run time just above).
        unsafe { fill_avx512(fill, v) };
        return;
    }
    fill(v)
}

/// `fill(v)`, compiled with AVX-512F enabled.
///
/// Safety: the processor has AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn fill_avx512(fill: impl FnOnce(&mut Vec<C64>), v: &mut Vec<C64>) {
    fill(v)
}

/// Re(aᴴb), in eight partial sums: one running sum makes every term wait for the previous
/// addition, and argmin's L-BFGS takes about 35 of these per iteration (its two-loop
/// recursion), which then cost more than their arithmetic (phase retrieval n = 128: 5.58 →
/// 5.36 ms for the whole L-BFGS solve).
///
/// ```
/// use num_complex::Complex64 as C64;
/// use wirtinger::solve::complex_vec::re_dot;
/// // Seven entries: one chunk of four and a tail of three.
/// let a: Vec<C64> = (0..7).map(|k| C64::new(k as f64, 1.0 - k as f64)).collect();
/// let b: Vec<C64> = (0..7).map(|k| C64::new(2.0, k as f64 * 0.5)).collect();
/// let plain: f64 = a.iter().zip(&b).map(|(x, y)| (x.conj() * y).re).sum();
/// assert_eq!(re_dot(&a, &b), plain); // small integers and halves: both sums are exact
/// assert_eq!(re_dot(&a[..3], &b[..3]), (0..3).map(|k| (a[k].conj() * b[k]).re).sum::<f64>());
/// ```
pub fn re_dot(a: &[C64], b: &[C64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if crate::cr::simd_available() {
        // Safety: AVX-512F is present (checked at run time just above).
        return unsafe { re_dot_avx512(a, b) };
    }
    re_dot_portable(a, b)
}

/// [`re_dot`] without SIMD intrinsics.
fn re_dot_portable(a: &[C64], b: &[C64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x.re * y.re + x.im * y.im)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[2 * k] += x[k].re * y[k].re;
            acc[2 * k + 1] += x[k].im * y[k].im;
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// [`re_dot`] with AVX-512: Re(aᴴb) = Σ (Re aᵢ Re bᵢ + Im aᵢ Im bᵢ) is the real dot product
/// of the two vectors read as interleaved doubles, summed in four registers of eight partial
/// sums (32 in all, so that the FMAs do not wait on each other), with a masked last register.
///
/// Safety: the processor has AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn re_dot_avx512(a: &[C64], b: &[C64]) -> f64 {
    use std::arch::x86_64::*;
    let n = 2 * a.len().min(b.len());
    // C64 is repr(C) {re, im}: the entries are 2·len contiguous doubles.
    let (pa, pb) = (a.as_ptr().cast::<f64>(), b.as_ptr().cast::<f64>());
    let mut acc = [_mm512_setzero_pd(); 4];
    let mut k = 0;
    while k + 32 <= n {
        for (r, s) in acc.iter_mut().enumerate() {
            let (x, y) = (pa.add(k + 8 * r), pb.add(k + 8 * r));
            *s = _mm512_fmadd_pd(_mm512_loadu_pd(x), _mm512_loadu_pd(y), *s);
        }
        k += 32;
    }
    while k < n {
        let mask = if n - k >= 8 {
            0xff
        } else {
            (1u8 << (n - k)) - 1
        };
        let (x, y) = (
            _mm512_maskz_loadu_pd(mask, pa.add(k)),
            _mm512_maskz_loadu_pd(mask, pb.add(k)),
        );
        acc[0] = _mm512_fmadd_pd(x, y, acc[0]);
        k += 8;
    }
    let s = _mm512_add_pd(_mm512_add_pd(acc[0], acc[1]), _mm512_add_pd(acc[2], acc[3]));
    _mm512_reduce_add_pd(s)
}

/// √(Σ|aᵢ|²), without overflow or underflow of the squares: when the plain sum of squares is
/// not a normal finite number (entries beyond ~1e154 or below ~1e-154), the entries are scaled
/// by their largest magnitude first, ‖a‖ = s·√(Σ|aᵢ/s|²) (the idea of LAPACK's dnrm2;
/// Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §27.5). A NaN entry
/// gives NaN, an infinite one ∞.
///
/// ```
/// use num_complex::Complex64 as C64;
/// use wirtinger::solve::complex_vec::norm;
/// assert_eq!(norm(&[C64::new(3.0, 4.0)]), 5.0);
/// // The plain sum of squares would overflow to ∞.
/// assert!((norm(&[C64::new(3e200, 4e200)]) / 5e200 - 1.0).abs() < 1e-15);
/// ```
pub fn norm(a: &[C64]) -> f64 {
    // Σ|aᵢ|² = Re(aᴴa), in re_dot's partial sums.
    let plain = re_dot(a, a);
    if plain.is_normal() || plain == 0.0 && a.iter().all(|x| *x == C64::new(0.0, 0.0)) {
        return plain.sqrt();
    }
    scaled_norm(a.iter().flat_map(|x| [x.re, x.im]))
}

/// ‖a − b‖ = √(Σ|aᵢ − bᵢ|²), in eight partial sums (as [`re_dot`]; the solvers' termination
/// tests take two or three distances per iteration).
///
/// ```
/// use num_complex::Complex64 as C64;
/// use wirtinger::solve::complex_vec::dist;
/// let a = vec![C64::new(1.0, 1.0); 9];
/// let b = vec![C64::new(1.0, -1.0); 9];
/// assert_eq!(dist(&a, &b), 6.0); // √(9 · 4)
/// ```
pub fn dist(a: &[C64], b: &[C64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| (x - y).norm_sqr())
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += (x[k] - y[k]).norm_sqr();
        }
    }
    (acc.iter().sum::<f64>() + tail).sqrt()
}

/// The 2-norm of real numbers by scaling with the largest magnitude (see [`norm`]).
pub fn scaled_norm(xs: impl Iterator<Item = f64> + Clone) -> f64 {
    let mut s = 0.0f64;
    for x in xs.clone() {
        if x.is_nan() {
            return f64::NAN;
        }
        s = s.max(x.abs());
    }
    if s == 0.0 || s.is_infinite() {
        return s;
    }
    s * xs.map(|x| (x / s) * (x / s)).sum::<f64>().sqrt()
}

impl ArgminDot<CVec, f64> for CVec {
    fn dot(&self, other: &CVec) -> f64 {
        re_dot(&self.0, &other.0)
    }
}

impl ArgminL2Norm<f64> for CVec {
    fn l2_norm(&self) -> f64 {
        norm(&self.0)
    }
}

impl ArgminL1Norm<f64> for CVec {
    fn l1_norm(&self) -> f64 {
        self.0.iter().map(|x| x.re.abs() + x.im.abs()).sum()
    }
}

impl ArgminAdd<CVec, CVec> for CVec {
    fn add(&self, other: &CVec) -> CVec {
        self.zip(other, |a, b| a + b)
    }
}

impl ArgminAdd<f64, CVec> for CVec {
    fn add(&self, other: &f64) -> CVec {
        self.map(|a| C64::new(a.re + other, a.im + other))
    }
}

impl ArgminSub<CVec, CVec> for CVec {
    fn sub(&self, other: &CVec) -> CVec {
        self.zip(other, |a, b| a - b)
    }
}

impl ArgminSub<f64, CVec> for CVec {
    fn sub(&self, other: &f64) -> CVec {
        self.map(|a| C64::new(a.re - other, a.im - other))
    }
}

impl ArgminMul<f64, CVec> for CVec {
    fn mul(&self, other: &f64) -> CVec {
        self.map(|a| a * *other)
    }
}

impl ArgminMul<CVec, CVec> for CVec {
    /// Coordinatewise on the real embedding: (Re a·Re b) + i(Im a·Im b).
    fn mul(&self, other: &CVec) -> CVec {
        self.zip(other, |a, b| C64::new(a.re * b.re, a.im * b.im))
    }
}

impl ArgminScaledAdd<CVec, f64, CVec> for CVec {
    fn scaled_add(&self, factor: &f64, vec: &CVec) -> CVec {
        self.zip(vec, |a, b| a + b * *factor)
    }
}

impl ArgminScaledSub<CVec, f64, CVec> for CVec {
    fn scaled_sub(&self, factor: &f64, vec: &CVec) -> CVec {
        self.zip(vec, |a, b| a - b * *factor)
    }
}

impl ArgminZeroLike for CVec {
    fn zero_like(&self) -> CVec {
        CVec::zeros(self.0.len())
    }
}

impl ArgminMinMax for CVec {
    fn min(x: &CVec, y: &CVec) -> CVec {
        x.zip(y, |a, b| C64::new(a.re.min(b.re), a.im.min(b.im)))
    }
    fn max(x: &CVec, y: &CVec) -> CVec {
        x.zip(y, |a, b| C64::new(a.re.max(b.re), a.im.max(b.im)))
    }
}

impl ArgminSignum for CVec {
    fn signum(self) -> CVec {
        self.map(|a| C64::new(a.re.signum(), a.im.signum()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX-512 path (when the processor has it) and the portable loop against the plain
    /// sum, on every length of the last register and of the last chunk.
    #[test]
    fn re_dot_agrees_with_its_portable_loop_on_every_tail() {
        for n in 0..70 {
            let a: Vec<C64> = (0..n)
                .map(|k| C64::new((k as f64 * 0.7).sin(), (k as f64 * 1.3).cos()))
                .collect();
            let b: Vec<C64> = (0..n)
                .map(|k| C64::new((k as f64 * 0.4).cos() - 0.2, (k as f64 * 0.9).sin()))
                .collect();
            let scale: f64 = a.iter().zip(&b).map(|(x, y)| x.norm() * y.norm()).sum();
            let (fast, plain) = (re_dot(&a, &b), re_dot_portable(&a, &b));
            let exact: f64 = a.iter().zip(&b).map(|(x, y)| (x.conj() * y).re).sum();
            assert!(
                (fast - exact).abs() <= 1e-14 * scale.max(1.0),
                "n = {n}: {fast} vs {exact}"
            );
            assert!(
                (plain - exact).abs() <= 1e-14 * scale.max(1.0),
                "n = {n}: {plain} vs {exact}"
            );
        }
    }

    /// Reused buffers carry no stale entries or lengths: vectors made after others of other
    /// lengths were dropped have exactly their own entries.
    #[test]
    fn pooled_buffers_start_empty() {
        let long = CVec((0..300).map(|k| C64::new(k as f64, 1.0)).collect());
        let copies: Vec<CVec> = (0..2 * POOL_BUFFERS).map(|_| long.clone()).collect();
        assert!(copies.iter().all(|c| *c == long));
        drop(copies);
        let z = CVec::zeros(5);
        assert_eq!(z.0, vec![C64::new(0.0, 0.0); 5]);
        let a = CVec(vec![C64::new(1.0, 2.0), C64::new(-1.0, 0.5)]);
        let b = a.scaled_add(&2.0, &a);
        assert_eq!(b.0, vec![C64::new(3.0, 6.0), C64::new(-3.0, 1.5)]);
        assert_eq!(
            a.mul(&-1.0).0,
            vec![C64::new(-1.0, -2.0), C64::new(1.0, -0.5)]
        );
        let big = CVec::zeros(1000);
        assert!(big.len() == 1000 && big.0.iter().all(|v| *v == C64::new(0.0, 0.0)));
        assert_eq!(big.clone(), big);
    }
}
