//! SIMD kernels for the fused row pass of [`super::row_fusion`], on equal pieces of consecutive
//! columns of a column-major matrix ([`Columns`]): conjugate dots of each piece with a vector,
//! and the sum of the pieces weighted by a vector. Read from the stored copy Aᴴ (its column i
//! is conj(row i of A)), the first gives rows of Az and the second adds to Aᴴw; read from a block
//! of rows of A itself, the roles swap.
//!
//! Complex arithmetic on interleaved (re, im) pairs without shuffles, 8 doubles per register:
//! - the conjugate dot Σₖ conj(cₖ) xₖ of a piece c is
//!   Re = Σ (c_re x_re + c_im x_im) = Σ c ∘ [x_re, x_im] and
//!   Im = Σ (c_re x_im − c_im x_re) = Σ c ∘ [x_im, −x_re],
//!   two fused multiply–adds per register of c against the two packings of x made once
//!   ([`Packed`]), and one horizontal sum per piece;
//! - the weighted sum q = Σⱼ cⱼ wⱼ keeps the two real sums Q₁ = Σⱼ cⱼ Re wⱼ and
//!   Q₂ = Σⱼ cⱼ Im wⱼ (again two multiply–adds per register, with wⱼ's parts broadcast) and
//!   combines them once at the end ([`Accumulator::finish`]):
//!   Re q = Q₁[re] − Q₂[im], Im q = Q₁[im] + Q₂[re].
//!
//! Pieces go in groups of 8, so one load of x serves 8 pieces and one load–store of Q serves 8
//! pieces. The AVX-512 kernels run when the processor has AVX-512F (checked at run time);
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

/// Equal-length pieces of consecutive columns of a column-major matrix: `count` columns of
/// `len` complex entries each, their starts `stride` entries apart. Rows of A are such columns
/// of the stored Aᴴ (`len` = n, `stride` = n); a block of rows of A itself is one piece of each
/// of its columns (`len` = the block's rows, `stride` = m).
pub(crate) struct Columns<'a> {
    /// From the first entry of the first piece to the last entry of the last, as doubles.
    data: &'a [f64],
    len: usize,
    stride: usize,
    count: usize,
}

impl<'a> Columns<'a> {
    /// The entries `rows` of the columns `cols` of a column-major matrix with `ld` rows
    /// stored in `m`.
    ///
    /// Panics if the rows or columns lie outside `m` (internal invariants of the caller).
    pub(crate) fn of(m: &'a [C64], ld: usize, rows: Range<usize>, cols: Range<usize>) -> Self {
        assert!(rows.start <= rows.end && rows.end <= ld);
        let start = cols.start * ld + rows.start;
        let end = match cols.end.checked_sub(1) {
            Some(last) if cols.start < cols.end => last * ld + rows.end,
            _ => start,
        };
        let s = &m[start..end.max(start)];
        // SAFETY: Complex<f64> is #[repr(C)] { re, im }, so a slice of k complex numbers is a
        // slice of 2k doubles with the same address and the alignment of f64.
        let data = unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<f64>(), 2 * s.len()) };
        Columns {
            data,
            len: rows.len(),
            stride: ld,
            count: cols.len(),
        }
    }
    /// Piece j as doubles.
    fn piece(&self, j: usize) -> &[f64] {
        &self.data[2 * self.stride * j..2 * (self.stride * j + self.len)]
    }
}

/// out_j (=, or += with `add`) Σₖ conj(c_jk) xₖ for every piece c_j: the rows of Az from the
/// stored Aᴴ, or the entries of Aᴴw from a block of rows of A.
///
/// Panics unless x has one entry per row of a piece and `out` one entry per piece.
pub(crate) fn conj_dots(cols: &Columns<'_>, x: &Packed, out: &mut [C64], add: bool) {
    assert!(x.n == cols.len && out.len() == cols.count);
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: AVX-512F is present; `cols` holds its pieces (checked when it was made) and
        // the packings hold padded(len) doubles (the kernel masks the pieces' tails).
        unsafe { avx512::conj_dots(cols, x, out, add) };
        return;
    }
    conj_dots_portable(cols, x, out, add);
}

/// [`conj_dots`] in plain loops.
fn conj_dots_portable(cols: &Columns<'_>, x: &Packed, out: &mut [C64], add: bool) {
    for (j, o) in out.iter_mut().enumerate() {
        let (mut re, mut im) = (0.0, 0.0);
        for ((c, d), s) in cols.piece(j).iter().zip(&x.direct).zip(&x.swapped) {
            re += c * d;
            im += c * s;
        }
        let v = C64::new(re, im);
        *o = if add { *o + v } else { v };
    }
}

/// acc += Σ_j c_j w_j over the pieces: Aᴴw from the stored Aᴴ's columns, or the rows of Az
/// from a block of rows of A.
///
/// Panics unless acc has one entry per row of a piece and `w` one entry per piece.
pub(crate) fn accumulate(cols: &Columns<'_>, w: &[C64], acc: &mut Accumulator) {
    assert!(acc.n == cols.len && w.len() == cols.count);
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: AVX-512F is present; `cols` holds its pieces and the accumulators hold
        // padded(len) doubles (the kernel masks the pieces' tails).
        unsafe { avx512::accumulate(cols, w, acc) };
        return;
    }
    accumulate_portable(cols, w, acc);
}

/// [`accumulate`] in plain loops.
fn accumulate_portable(cols: &Columns<'_>, w: &[C64], acc: &mut Accumulator) {
    for (j, wj) in w.iter().enumerate() {
        for ((c, a), b) in cols.piece(j).iter().zip(&mut acc.re).zip(&mut acc.im) {
            *a += c * wj.re;
            *b += c * wj.im;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Accumulator, Columns, Packed, LANES};
    use num_complex::Complex64 as C64;
    use std::arch::x86_64::*;

    /// Pieces per group: 16 accumulators of the dot plus x's two packings and one piece
    /// register fit the 32 vector registers.
    const GROUP: usize = 8;
    // `conj_dots` sums its 2·GROUP registers 8 at a time, 4 rows per `sum8`.
    const _: () = assert!(GROUP.is_multiple_of(4) && LANES == 8);

    /// Mask of the last, partial register of a piece of `len` doubles (0 if there is none).
    fn tail_mask(len: usize) -> __mmask8 {
        ((1u16 << (len % LANES)) - 1) as __mmask8
    }

    /// Register `k` of a piece at `col`, the lanes outside `mask` zero (no access to them).
    ///
    /// Safety: AVX-512F; the lanes in `mask` of register k lie inside the piece.
    #[inline(always)]
    unsafe fn load(col: *const f64, k: usize, mask: __mmask8) -> __m512d {
        _mm512_maskz_loadu_pd(mask, col.add(k * LANES))
    }

    /// One register k of the conjugate dots of GROUP pieces at `base` (`stride` doubles
    /// apart) against x.
    ///
    /// Safety: AVX-512F; the lanes in `mask` of register k lie inside each piece, and
    /// register k of both packings is inside them.
    #[inline(always)]
    unsafe fn dot_step(
        base: *const f64,
        stride: usize,
        k: usize,
        mask: __mmask8,
        x: (*const f64, *const f64),
        acc: &mut [__m512d; 2 * GROUP],
    ) {
        let d = _mm512_loadu_pd(x.0.add(k * LANES));
        let s = _mm512_loadu_pd(x.1.add(k * LANES));
        for r in 0..GROUP {
            let c = load(base.add(stride * r), k, mask);
            acc[2 * r] = _mm512_fmadd_pd(c, d, acc[2 * r]);
            acc[2 * r + 1] = _mm512_fmadd_pd(c, s, acc[2 * r + 1]);
        }
    }

    /// The sums of the entries of 8 registers, as the 8 lanes of one: [Σv₀, Σv₁, …, Σv₇].
    ///
    /// A transposing tree: the first level adds the even and odd lanes of neighbouring
    /// registers (unpack low/high), the next two add 128-bit halves of neighbouring partial
    /// results (`shuffle_f64x2`). That is 21 operations for the 8 sums, where one horizontal
    /// sum per register (`_mm512_reduce_add_pd`) takes 6 each, 48 in all: with two registers
    /// per row of the dot, that difference was a fifth of the work beside the 64 FMAs of a row
    /// at n = 128.
    ///
    /// Safety: AVX-512F; `v` holds at least 8 registers.
    #[inline(always)]
    unsafe fn sum8(v: &[__m512d]) -> __m512d {
        // [a₀+a₁, b₀+b₁, a₂+a₃, b₂+b₃, …]: pairs of lanes of a and b, interleaved.
        #[inline(always)]
        unsafe fn pairs(a: __m512d, b: __m512d) -> __m512d {
            _mm512_add_pd(_mm512_unpacklo_pd(a, b), _mm512_unpackhi_pd(a, b))
        }
        // Halves (0, 2 | 0, 2) plus halves (1, 3 | 1, 3) of a and b.
        #[inline(always)]
        unsafe fn halves(a: __m512d, b: __m512d) -> __m512d {
            _mm512_add_pd(
                _mm512_shuffle_f64x2::<0x88>(a, b),
                _mm512_shuffle_f64x2::<0xDD>(a, b),
            )
        }
        let (s01, s23) = (pairs(v[0], v[1]), pairs(v[2], v[3]));
        let (s45, s67) = (pairs(v[4], v[5]), pairs(v[6], v[7]));
        halves(halves(s01, s23), halves(s45, s67))
    }

    /// Safety: AVX-512F; `cols` holds out.len() pieces; the packings hold
    /// (2·len).div_ceil(LANES)·LANES doubles.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn conj_dots(cols: &Columns<'_>, x: &Packed, out: &mut [C64], add: bool) {
        let (len, stride) = (2 * cols.len, 2 * cols.stride);
        let (full, mask) = (len / LANES, tail_mask(len));
        let xp = (x.direct.as_ptr(), x.swapped.as_ptr());
        let put = |o: &mut C64, v: C64| *o = if add { *o + v } else { v };
        let count = out.len();
        let mut j = 0;
        while j + GROUP <= count {
            let base = cols.data.as_ptr().add(stride * j);
            let mut acc = [_mm512_setzero_pd(); 2 * GROUP];
            for k in 0..full {
                dot_step(base, stride, k, 0xff, xp, &mut acc);
            }
            if mask != 0 {
                dot_step(base, stride, full, mask, xp, &mut acc);
            }
            // The 16 sums are out[j..j + 8] as interleaved (re, im) pairs, in two registers.
            let o = out[j..j + GROUP].as_mut_ptr().cast::<f64>();
            for (h, half) in acc.chunks_exact(LANES).enumerate() {
                let mut sums = sum8(half);
                if add {
                    sums = _mm512_add_pd(_mm512_loadu_pd(o.add(h * LANES)), sums);
                }
                _mm512_storeu_pd(o.add(h * LANES), sums);
            }
            j += GROUP;
        }
        while j < count {
            let col = cols.data.as_ptr().add(stride * j);
            let (mut re, mut im) = (_mm512_setzero_pd(), _mm512_setzero_pd());
            for k in 0..len.div_ceil(LANES) {
                let c = load(col, k, if k < full { 0xff } else { mask });
                re = _mm512_fmadd_pd(c, _mm512_loadu_pd(xp.0.add(k * LANES)), re);
                im = _mm512_fmadd_pd(c, _mm512_loadu_pd(xp.1.add(k * LANES)), im);
            }
            put(
                &mut out[j],
                C64::new(_mm512_reduce_add_pd(re), _mm512_reduce_add_pd(im)),
            );
            j += 1;
        }
    }

    /// One register k of Q₁ += Σ_r c_r Re w_r, Q₂ += Σ_r c_r Im w_r over GROUP pieces.
    ///
    /// Safety: as [`dot_step`], with register k of both accumulators inside them.
    #[inline(always)]
    unsafe fn accumulate_step(
        base: *const f64,
        stride: usize,
        k: usize,
        mask: __mmask8,
        w: (&[__m512d; GROUP], &[__m512d; GROUP]),
        q: (*mut f64, *mut f64),
    ) {
        // Two chains per accumulator (even and odd pieces) halve the dependent latency.
        let mut a = _mm512_loadu_pd(q.0.add(k * LANES));
        let mut b = _mm512_loadu_pd(q.1.add(k * LANES));
        let (mut a2, mut b2) = (_mm512_setzero_pd(), _mm512_setzero_pd());
        for r in (0..GROUP).step_by(2) {
            let c = load(base.add(stride * r), k, mask);
            a = _mm512_fmadd_pd(c, w.0[r], a);
            b = _mm512_fmadd_pd(c, w.1[r], b);
            let e = load(base.add(stride * (r + 1)), k, mask);
            a2 = _mm512_fmadd_pd(e, w.0[r + 1], a2);
            b2 = _mm512_fmadd_pd(e, w.1[r + 1], b2);
        }
        _mm512_storeu_pd(q.0.add(k * LANES), _mm512_add_pd(a, a2));
        _mm512_storeu_pd(q.1.add(k * LANES), _mm512_add_pd(b, b2));
    }

    /// Safety: AVX-512F; `cols` holds w.len() pieces; the accumulators hold
    /// (2·len).div_ceil(LANES)·LANES doubles.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn accumulate(cols: &Columns<'_>, w: &[C64], acc: &mut Accumulator) {
        let (len, stride) = (2 * cols.len, 2 * cols.stride);
        let (full, mask) = (len / LANES, tail_mask(len));
        let q = (acc.re.as_mut_ptr(), acc.im.as_mut_ptr());
        let count = w.len();
        let mut j = 0;
        while j + GROUP <= count {
            let base = cols.data.as_ptr().add(stride * j);
            let mut wr = [_mm512_setzero_pd(); GROUP];
            let mut wi = [_mm512_setzero_pd(); GROUP];
            for r in 0..GROUP {
                wr[r] = _mm512_set1_pd(w[j + r].re);
                wi[r] = _mm512_set1_pd(w[j + r].im);
            }
            for k in 0..full {
                accumulate_step(base, stride, k, 0xff, (&wr, &wi), q);
            }
            if mask != 0 {
                accumulate_step(base, stride, full, mask, (&wr, &wi), q);
            }
            j += GROUP;
        }
        while j < count {
            let col = cols.data.as_ptr().add(stride * j);
            let (wr, wi) = (_mm512_set1_pd(w[j].re), _mm512_set1_pd(w[j].im));
            for k in 0..len.div_ceil(LANES) {
                let c = load(col, k, if k < full { 0xff } else { mask });
                let a = _mm512_loadu_pd(q.0.add(k * LANES));
                let b = _mm512_loadu_pd(q.1.add(k * LANES));
                _mm512_storeu_pd(q.0.add(k * LANES), _mm512_fmadd_pd(c, wr, a));
                _mm512_storeu_pd(q.1.add(k * LANES), _mm512_fmadd_pd(c, wi, b));
            }
            j += 1;
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

    /// Both kernels against their definitions, summed entry by entry, on pieces with and
    /// without a partial register and counts with and without a partial group of 8, in both
    /// uses (whole columns of a stored Aᴴ, and row blocks of A's columns with a stride); and
    /// the AVX-512 kernels (when they run) against the portable loops.
    #[test]
    fn kernels_match_their_definitions_on_every_tail() {
        let (m, n) = (29, 13);
        let a = entries(m * n, 5);
        for (rows, cols) in [
            (0..m, 0..n),
            (3..20, 0..n),
            (0..4, 2..11),
            (7..8, 1..13),
            (9..9, 0..3),
        ] {
            let v = Columns::of(&a, m, rows.clone(), cols.clone());
            let at = |i: usize, j: usize| a[i + j * m];
            let x = entries(rows.len(), 7);
            let w = entries(cols.len(), 8);
            let packed = Packed::new(&x);
            let mut out = entries(cols.len(), 9);
            let before = out.clone();
            conj_dots(&v, &packed, &mut out, true);
            let mut acc = Accumulator::new(rows.len());
            accumulate(&v, &w, &mut acc);
            let q = acc.finish();
            for (jj, j) in cols.clone().enumerate() {
                let want: C64 = rows
                    .clone()
                    .zip(&x)
                    .map(|(i, xi)| at(i, j).conj() * xi)
                    .sum();
                assert!(
                    (out[jj] - before[jj] - want).norm() < 1e-12,
                    "{rows:?} {cols:?} {jj}"
                );
            }
            for (ii, i) in rows.clone().enumerate() {
                let want: C64 = cols.clone().zip(&w).map(|(j, wj)| at(i, j) * wj).sum();
                assert!((q[ii] - want).norm() < 1e-12, "{rows:?} {cols:?} {ii}");
            }
            let mut plain = before.clone();
            conj_dots_portable(&v, &packed, &mut plain, true);
            let mut acc2 = Accumulator::new(rows.len());
            accumulate_portable(&v, &w, &mut acc2);
            assert!(out.iter().zip(&plain).all(|(p, r)| (p - r).norm() < 1e-12));
            assert!(q
                .iter()
                .zip(&acc2.finish())
                .all(|(p, r)| (p - r).norm() < 1e-12));
            let mut fresh = before.clone();
            conj_dots(&v, &packed, &mut fresh, false);
            assert!(fresh
                .iter()
                .zip(out.iter().zip(&before))
                .all(|(f, (o, b))| (f - (o - b)).norm() < 1e-12));
        }
    }
}
