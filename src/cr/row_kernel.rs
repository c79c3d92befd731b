//! SIMD kernels for the fused row pass of [`super::row_fusion`]: the rows of a product Az and
//! the accumulation of Aᴴw, both read from one stored copy C = Aᴴ (n × m, column-major, so
//! column i of C holds conj(row i of A) contiguously).
//!
//! Complex arithmetic on interleaved (re, im) pairs without shuffles, 8 doubles per register:
//! - the row dot pᵢ = Σⱼ Aᵢⱼ zⱼ = Σⱼ conj(cⱼ) zⱼ (c = column i of C) is
//!   Re pᵢ = Σ (c_re z_re + c_im z_im) = Σ c ∘ [z_re, z_im] and
//!   Im pᵢ = Σ (c_re z_im − c_im z_re) = Σ c ∘ [z_im, −z_re],
//!   two fused multiply–adds per register of c against the two packings of z made once
//!   ([`Packed`]), and one horizontal sum per row;
//! - the accumulation q = C w = Σᵢ cᵢ wᵢ keeps the two real products
//!   Q₁ = Σᵢ cᵢ Re wᵢ and Q₂ = Σᵢ cᵢ Im wᵢ (again two multiply–adds per register, with wᵢ's
//!   parts broadcast) and combines them once at the end ([`Accumulator::finish`]):
//!   Re qⱼ = Q₁[re] − Q₂[im], Im qⱼ = Q₁[im] + Q₂[re].
//!
//! Rows go in groups of 8, so one load of z serves 8 rows and one load–store of Q serves 8
//! rows. The AVX-512 kernels run when the processor has AVX-512F (checked at run time);
//! elsewhere [`available`] is false and the engine keeps faer's two separate products
//! (the portable loops below exist for correctness on every machine and for tests, and are
//! slower than faer).
//!
//! Why not `pulp` (which faer uses): its AVX-512 level is behind the `x86-v4` feature, which
//! would also switch faer's own kernels; these two kernels need only a handful of intrinsics.

use num_complex::Complex64 as C64;
use std::ops::Range;

/// Doubles per register (AVX-512).
const LANES: usize = 8;

/// Whether the SIMD kernels run on this processor (x86-64 with AVX-512F).
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// z ∈ Cⁿ packed twice as interleaved doubles, [z_re, z_im] and [z_im, −z_re], zero-padded to
/// whole registers.
pub(crate) struct Packed {
    n: usize,
    direct: Vec<f64>,
    swapped: Vec<f64>,
}

impl Packed {
    pub(crate) fn new(z: &[C64]) -> Packed {
        let len = padded(z.len());
        let mut direct = vec![0.0; len];
        let mut swapped = vec![0.0; len];
        for (j, v) in z.iter().enumerate() {
            direct[2 * j] = v.re;
            direct[2 * j + 1] = v.im;
            swapped[2 * j] = v.im;
            swapped[2 * j + 1] = -v.re;
        }
        Packed {
            n: z.len(),
            direct,
            swapped,
        }
    }
}

/// The two real accumulators Q₁ = Σᵢ cᵢ Re wᵢ, Q₂ = Σᵢ cᵢ Im wᵢ of q = C w, zero-padded.
pub(crate) struct Accumulator {
    n: usize,
    re: Vec<f64>,
    im: Vec<f64>,
}

impl Accumulator {
    pub(crate) fn new(n: usize) -> Accumulator {
        Accumulator {
            n,
            re: vec![0.0; padded(n)],
            im: vec![0.0; padded(n)],
        }
    }
    /// q = C w from the two real accumulators.
    pub(crate) fn finish(&self) -> Vec<C64> {
        (0..self.n)
            .map(|j| {
                C64::new(
                    self.re[2 * j] - self.im[2 * j + 1],
                    self.re[2 * j + 1] + self.im[2 * j],
                )
            })
            .collect()
    }
}

/// Doubles of n complex numbers rounded up to whole registers.
fn padded(n: usize) -> usize {
    (2 * n).div_ceil(LANES) * LANES
}

/// The columns `rows` of C (n × m, column-major) as interleaved doubles.
fn columns<'a>(c: &'a [C64], n: usize, rows: &Range<usize>) -> &'a [f64] {
    let s = &c[rows.start * n..rows.end * n];
    // SAFETY: Complex<f64> is #[repr(C)] { re, im }, so a slice of k complex numbers is a slice
    // of 2k doubles with the same address and alignment of f64.
    unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<f64>(), 2 * s.len()) }
}

/// pᵢ = Σⱼ conj(C[j, i]) zⱼ for i in `rows` (that is (A z)ᵢ for C = Aᴴ), into `p`.
///
/// Panics unless C holds at least `rows.end` columns of length z's n and `p` has one entry
/// per row (internal invariants of the caller).
pub(crate) fn dot_rows(c: &[C64], rows: Range<usize>, z: &Packed, p: &mut [C64]) {
    let n = z.n;
    assert!(c.len() >= rows.end * n && p.len() == rows.len());
    let cols = columns(c, n, &rows);
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: AVX-512F is present; `cols` holds p.len() columns of 2n doubles and the
        // packings hold padded(n) ≥ 2n doubles (the kernel masks the columns' tails).
        unsafe { avx512::dot_rows(cols, n, z, p) };
        return;
    }
    dot_rows_portable(cols, z, p);
}

/// [`dot_rows`] in plain loops, on the columns as doubles.
fn dot_rows_portable(cols: &[f64], z: &Packed, p: &mut [C64]) {
    let n = z.n;
    for (i, out) in p.iter_mut().enumerate() {
        let col = &cols[2 * n * i..2 * n * (i + 1)];
        let (mut re, mut im) = (0.0, 0.0);
        for ((x, d), s) in col.iter().zip(&z.direct).zip(&z.swapped) {
            re += x * d;
            im += x * s;
        }
        *out = C64::new(re, im);
    }
}

/// acc += Σ_{i ∈ rows} C[:, i] wᵢ (that is Aᴴ w restricted to `rows`).
///
/// Panics unless C holds at least `rows.end` columns of length acc's n and `w` has one entry
/// per row (internal invariants of the caller).
pub(crate) fn accumulate_rows(c: &[C64], rows: Range<usize>, w: &[C64], acc: &mut Accumulator) {
    let n = acc.n;
    assert!(c.len() >= rows.end * n && w.len() == rows.len());
    let cols = columns(c, n, &rows);
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: AVX-512F is present; `cols` holds w.len() columns of 2n doubles and the
        // accumulators hold padded(n) ≥ 2n doubles (the kernel masks the columns' tails).
        unsafe { avx512::accumulate_rows(cols, n, w, acc) };
        return;
    }
    accumulate_rows_portable(cols, w, acc);
}

/// [`accumulate_rows`] in plain loops, on the columns as doubles.
fn accumulate_rows_portable(cols: &[f64], w: &[C64], acc: &mut Accumulator) {
    let n = acc.n;
    for (i, wi) in w.iter().enumerate() {
        let col = &cols[2 * n * i..2 * n * (i + 1)];
        for ((x, a), b) in col.iter().zip(&mut acc.re).zip(&mut acc.im) {
            *a += x * wi.re;
            *b += x * wi.im;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Accumulator, Packed, LANES};
    use num_complex::Complex64 as C64;
    use std::arch::x86_64::*;

    /// Rows per group: 16 accumulators of the dot plus z's two packings and one column
    /// register fit the 32 vector registers.
    const GROUP: usize = 8;

    /// Mask of the last, partial register of a column of `len` doubles (0 if there is none).
    fn tail_mask(len: usize) -> __mmask8 {
        ((1u16 << (len % LANES)) - 1) as __mmask8
    }

    /// Register `k` of a column at `col`, the lanes outside `mask` zero (no access to them).
    ///
    /// Safety: AVX-512F; the lanes in `mask` of register k lie inside the column.
    #[inline(always)]
    unsafe fn load(col: *const f64, k: usize, mask: __mmask8) -> __m512d {
        _mm512_maskz_loadu_pd(mask, col.add(k * LANES))
    }

    /// One register k of the dot of GROUP columns at `base` (stride `len`) against z.
    ///
    /// Safety: AVX-512F; the lanes in `mask` of register k lie inside each column, and
    /// register k of both packings is inside them.
    #[inline(always)]
    unsafe fn dot_step(
        base: *const f64,
        len: usize,
        k: usize,
        mask: __mmask8,
        z: (*const f64, *const f64),
        acc: &mut [__m512d; 2 * GROUP],
    ) {
        let d = _mm512_loadu_pd(z.0.add(k * LANES));
        let s = _mm512_loadu_pd(z.1.add(k * LANES));
        for r in 0..GROUP {
            let x = load(base.add(len * r), k, mask);
            acc[2 * r] = _mm512_fmadd_pd(x, d, acc[2 * r]);
            acc[2 * r + 1] = _mm512_fmadd_pd(x, s, acc[2 * r + 1]);
        }
    }

    /// Safety: AVX-512F; `cols` holds p.len() columns of 2n doubles; the packings hold
    /// 2n.div_ceil(LANES)·LANES doubles.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn dot_rows(cols: &[f64], n: usize, z: &Packed, p: &mut [C64]) {
        let len = 2 * n;
        let (full, mask) = (len / LANES, tail_mask(len));
        let zp = (z.direct.as_ptr(), z.swapped.as_ptr());
        let rows = p.len();
        let mut i = 0;
        while i + GROUP <= rows {
            let base = cols.as_ptr().add(len * i);
            let mut acc = [_mm512_setzero_pd(); 2 * GROUP];
            for k in 0..full {
                dot_step(base, len, k, 0xff, zp, &mut acc);
            }
            if mask != 0 {
                dot_step(base, len, full, mask, zp, &mut acc);
            }
            for r in 0..GROUP {
                p[i + r] = C64::new(
                    _mm512_reduce_add_pd(acc[2 * r]),
                    _mm512_reduce_add_pd(acc[2 * r + 1]),
                );
            }
            i += GROUP;
        }
        while i < rows {
            let col = cols.as_ptr().add(len * i);
            let (mut re, mut im) = (_mm512_setzero_pd(), _mm512_setzero_pd());
            for k in 0..len.div_ceil(LANES) {
                let x = load(col, k, if k < full { 0xff } else { mask });
                re = _mm512_fmadd_pd(x, _mm512_loadu_pd(zp.0.add(k * LANES)), re);
                im = _mm512_fmadd_pd(x, _mm512_loadu_pd(zp.1.add(k * LANES)), im);
            }
            p[i] = C64::new(_mm512_reduce_add_pd(re), _mm512_reduce_add_pd(im));
            i += 1;
        }
    }

    /// One register k of Q₁ += Σ_r c_r Re w_r, Q₂ += Σ_r c_r Im w_r over GROUP columns.
    ///
    /// Safety: as [`dot_step`], with register k of both accumulators inside them.
    #[inline(always)]
    unsafe fn accumulate_step(
        base: *const f64,
        len: usize,
        k: usize,
        mask: __mmask8,
        w: (&[__m512d; GROUP], &[__m512d; GROUP]),
        q: (*mut f64, *mut f64),
    ) {
        // Two chains per accumulator (even and odd rows) halve the dependent latency.
        let mut a = _mm512_loadu_pd(q.0.add(k * LANES));
        let mut b = _mm512_loadu_pd(q.1.add(k * LANES));
        let (mut a2, mut b2) = (_mm512_setzero_pd(), _mm512_setzero_pd());
        for r in (0..GROUP).step_by(2) {
            let x = load(base.add(len * r), k, mask);
            a = _mm512_fmadd_pd(x, w.0[r], a);
            b = _mm512_fmadd_pd(x, w.1[r], b);
            let y = load(base.add(len * (r + 1)), k, mask);
            a2 = _mm512_fmadd_pd(y, w.0[r + 1], a2);
            b2 = _mm512_fmadd_pd(y, w.1[r + 1], b2);
        }
        _mm512_storeu_pd(q.0.add(k * LANES), _mm512_add_pd(a, a2));
        _mm512_storeu_pd(q.1.add(k * LANES), _mm512_add_pd(b, b2));
    }

    /// Safety: AVX-512F; `cols` holds w.len() columns of 2n doubles; the accumulators hold
    /// 2n.div_ceil(LANES)·LANES doubles.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn accumulate_rows(cols: &[f64], n: usize, w: &[C64], acc: &mut Accumulator) {
        let len = 2 * n;
        let (full, mask) = (len / LANES, tail_mask(len));
        let q = (acc.re.as_mut_ptr(), acc.im.as_mut_ptr());
        let rows = w.len();
        let mut i = 0;
        while i + GROUP <= rows {
            let base = cols.as_ptr().add(len * i);
            let mut wr = [_mm512_setzero_pd(); GROUP];
            let mut wi = [_mm512_setzero_pd(); GROUP];
            for r in 0..GROUP {
                wr[r] = _mm512_set1_pd(w[i + r].re);
                wi[r] = _mm512_set1_pd(w[i + r].im);
            }
            for k in 0..full {
                accumulate_step(base, len, k, 0xff, (&wr, &wi), q);
            }
            if mask != 0 {
                accumulate_step(base, len, full, mask, (&wr, &wi), q);
            }
            i += GROUP;
        }
        while i < rows {
            let col = cols.as_ptr().add(len * i);
            let (wr, wi) = (_mm512_set1_pd(w[i].re), _mm512_set1_pd(w[i].im));
            for k in 0..len.div_ceil(LANES) {
                let x = load(col, k, if k < full { 0xff } else { mask });
                let a = _mm512_loadu_pd(q.0.add(k * LANES));
                let b = _mm512_loadu_pd(q.1.add(k * LANES));
                _mm512_storeu_pd(q.0.add(k * LANES), _mm512_fmadd_pd(x, wr, a));
                _mm512_storeu_pd(q.1.add(k * LANES), _mm512_fmadd_pd(x, wi, b));
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic entries in [−1, 1] + i[−1, 1].
    fn entries(len: usize, seed: u64) -> Vec<C64> {
        let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        };
        (0..len).map(|_| C64::new(next(), next())).collect()
    }

    /// Both kernels against the definitions pᵢ = Σⱼ conj(C[j, i]) zⱼ and q = Σᵢ C[:, i] wᵢ,
    /// summed entry by entry, for n with and without a partial register and for row counts
    /// with and without a partial group of 8; and the AVX-512 kernels (when they run) against
    /// the portable loops.
    #[test]
    fn kernels_match_their_definitions_on_every_tail() {
        for (n, m) in [(1, 1), (3, 5), (4, 8), (5, 17), (8, 16), (13, 29), (64, 9)] {
            let c = entries(n * m, (n * 31 + m) as u64);
            let z = entries(n, 7);
            let w = entries(m, 8);
            let packed = Packed::new(&z);
            // Two calls on split row ranges, as the fused pass makes them.
            let split = m / 2;
            let mut p = vec![C64::new(0.0, 0.0); m];
            dot_rows(&c, 0..split, &packed, &mut p[..split]);
            dot_rows(&c, split..m, &packed, &mut p[split..]);
            let mut acc = Accumulator::new(n);
            accumulate_rows(&c, 0..split, &w[..split], &mut acc);
            accumulate_rows(&c, split..m, &w[split..], &mut acc);
            let q = acc.finish();
            for i in 0..m {
                let want: C64 = (0..n).map(|j| c[i * n + j].conj() * z[j]).sum();
                assert!((p[i] - want).norm() < 1e-12, "n={n} m={m} p[{i}]");
            }
            for j in 0..n {
                let want: C64 = (0..m).map(|i| c[i * n + j] * w[i]).sum();
                assert!((q[j] - want).norm() < 1e-12, "n={n} m={m} q[{j}]");
            }
            let cols = columns(&c, n, &(0..m));
            let mut p2 = vec![C64::new(0.0, 0.0); m];
            dot_rows_portable(cols, &packed, &mut p2);
            let mut acc2 = Accumulator::new(n);
            accumulate_rows_portable(cols, &w, &mut acc2);
            let q2 = acc2.finish();
            assert!(p.iter().zip(&p2).all(|(a, b)| (a - b).norm() < 1e-12));
            assert!(q.iter().zip(&q2).all(|(a, b)| (a - b).norm() < 1e-12));
        }
    }
}
