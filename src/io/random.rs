//! Seeded random arrays that are bit-identical on every machine.
//!
//! The generator is written out here instead of taken from a crate so that the
//! numbers for a given seed never change with a dependency upgrade or platform.
//!
//! # Algorithm
//!
//! **Generator.** ChaCha with 8 rounds (4 double rounds), in D. J. Bernstein's
//! original layout (the one `rand_chacha` 0.3 uses):
//!
//! * state words 0..3 are the constants of `"expand 32-byte k"`
//!   (`0x61707865, 0x3320646e, 0x79622d32, 0x6b206574`);
//! * words 4..11 are the 256-bit key as eight little-endian `u32`s;
//! * words 12, 13 are the 64-bit block counter (low, high);
//! * words 14, 15 are the 64-bit stream number (low, high).
//!
//! Each double round is four quarter rounds on the columns
//! `(0,4,8,12) (1,5,9,13) (2,6,10,14) (3,7,11,15)` followed by four on the
//! diagonals `(0,5,10,15) (1,6,11,12) (2,7,8,13) (3,4,9,14)`, where a quarter round
//! on `(a,b,c,d)` is `a+=b; d^=a; d<<<=16; c+=d; b^=c; b<<<=12; a+=b; d^=a; d<<<=8;
//! c+=d; b^=c; b<<<=7` (wrapping `u32` arithmetic, left rotations). The block is
//! the final state plus the input state, word by word.
//!
//! **Seeding.** A `u64` seed becomes the key: the seed's 8 little-endian bytes
//! followed by 24 zero bytes. The stream number is 0 and the counter starts at 0.
//!
//! **Integers.** `next_u32` returns the words of block 0 in order 0..15, then the
//! words of block 1 (counter 1), and so on. `next_u64` takes `lo = next_u32()`,
//! `hi = next_u32()` and returns `lo | hi << 32`. This equals
//! `rand_chacha::ChaCha8Rng::from_seed(key)` with `RngCore::next_u64`.
//!
//! **Uniform** (`uniform`): `u = (next_u64() >> 11) as f64 * 2^-53`, in `[0, 1)`.
//!
//! **Normal** (`normal`, Box–Muller): draw `x1 = next_u64()`, `x2 = next_u64()`;
//! `u1 = ((x1 >> 11) + 1) as f64 * 2^-53` in `(0, 1]`; `u2 = (x2 >> 11) as f64 * 2^-53`;
//! `r = sqrt(-2 * log(u1))`; `z0 = r * cos(τ u2)`, `z1 = r * sin(τ u2)` with
//! `τ = 2π = std::f64::consts::TAU`. Normals are emitted `z0, z1, z0', z1', ...`;
//! for an odd count the last `z1` is discarded. `log`, `cos` and `sin` are the
//! portable `libm` implementations (not the platform's), `sqrt` is IEEE-exact.
//!
//! **Complex normal** (`complex_normal`): every entry takes one Box–Muller pair,
//! `re = z0 / √2`, `im = z1 / √2` (multiplication by `FRAC_1_SQRT_2`), so that
//! `E|g|² = 1`.
//!
//! **Arrays.** [`generate`] accepts shapes of length 0 (one scalar), 1 or 2 and
//! draws the entries in column-major order, which is also the storage order of
//! [`RawArray`]: for an `m×n` matrix the first `m` draws fill column 0, the next
//! `m` column 1, and so on. So `[m, n]` and `[m*n]` with the same seed hold the same
//! numbers in the same order. Only `complex_normal` produces `is_complex == true`;
//! the other kinds have zero imaginary parts.

use super::array::{element_count, format_shape, RawArray, ReadError, ReadLimits};
use num_complex::Complex64;
use std::f64::consts::{FRAC_1_SQRT_2, TAU};

const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];
/// 2^-53.
const SCALE: f64 = 1.0 / 9_007_199_254_740_992.0;

#[inline(always)]
fn quarter(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(16);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(12);
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(8);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(7);
}

/// ChaCha block with `DOUBLE_ROUNDS` double rounds (4 for ChaCha8, 10 for ChaCha20).
fn chacha_block<const DOUBLE_ROUNDS: usize>(
    key: &[u32; 8],
    counter: u64,
    stream: u64,
) -> [u32; 16] {
    let mut input = [0u32; 16];
    input[..4].copy_from_slice(&CONSTANTS);
    input[4..12].copy_from_slice(key);
    input[12] = counter as u32;
    input[13] = (counter >> 32) as u32;
    input[14] = stream as u32;
    input[15] = (stream >> 32) as u32;
    let mut x = input;
    for _ in 0..DOUBLE_ROUNDS {
        quarter(&mut x, 0, 4, 8, 12);
        quarter(&mut x, 1, 5, 9, 13);
        quarter(&mut x, 2, 6, 10, 14);
        quarter(&mut x, 3, 7, 11, 15);
        quarter(&mut x, 0, 5, 10, 15);
        quarter(&mut x, 1, 6, 11, 12);
        quarter(&mut x, 2, 7, 8, 13);
        quarter(&mut x, 3, 4, 9, 14);
    }
    for (o, i) in x.iter_mut().zip(input.iter()) {
        *o = o.wrapping_add(*i);
    }
    x
}

/// The ChaCha block function with 8 rounds (4 double rounds).
///
/// State: constants `"expand 32-byte k"` in words 0..3, `key` in words 4..11,
/// `counter` in words 12..13 (low, high) and `stream` in words 14..15 (low, high),
/// the original Bernstein layout used by `rand_chacha`. Returns the 16 output words
/// (final state plus input state).
pub fn chacha8_block(key: &[u32; 8], counter: u64, stream: u64) -> [u32; 16] {
    chacha_block::<4>(key, counter, stream)
}

/// A ChaCha8 random number generator with a fixed, documented output sequence.
#[derive(Debug, Clone)]
pub struct ChaCha8 {
    key: [u32; 8],
    stream: u64,
    /// Counter of the next block to compute.
    counter: u64,
    block: [u32; 16],
    /// Index of the next unused word of `block` (16 = exhausted).
    index: usize,
}

impl ChaCha8 {
    /// Seeds the generator: the key is the seed's 8 little-endian bytes followed by
    /// 24 zero bytes, the stream is 0 and the block counter starts at 0.
    pub fn from_seed_u64(seed: u64) -> Self {
        let mut key = [0u32; 8];
        key[0] = seed as u32;
        key[1] = (seed >> 32) as u32;
        ChaCha8 {
            key,
            stream: 0,
            counter: 0,
            block: [0; 16],
            index: 16,
        }
    }

    /// Returns the next 32-bit word: words 0..15 of block 0, then of block 1, etc.
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= 16 {
            self.block = chacha8_block(&self.key, self.counter, self.stream);
            self.counter = self.counter.wrapping_add(1);
            self.index = 0;
        }
        let w = self.block[self.index % 16];
        self.index += 1;
        w
    }

    /// Returns `lo | hi << 32` where `lo = next_u32()` and then `hi = next_u32()`.
    pub fn next_u64(&mut self) -> u64 {
        let lo = u64::from(self.next_u32());
        let hi = u64::from(self.next_u32());
        lo | (hi << 32)
    }

    /// Uniform `f64` in `[0, 1)`: `(next_u64() >> 11) as f64 * 2^-53`.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * SCALE
    }

    /// One Box–Muller pair `(z0, z1)` of independent standard normals (see the module docs).
    pub fn normal_pair(&mut self) -> (f64, f64) {
        let x1 = self.next_u64();
        let x2 = self.next_u64();
        let u1 = ((x1 >> 11) + 1) as f64 * SCALE;
        let u2 = (x2 >> 11) as f64 * SCALE;
        let r = (-2.0 * libm::log(u1)).sqrt();
        let t = TAU * u2;
        (r * libm::cos(t), r * libm::sin(t))
    }
}

/// The distribution of a generated array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RandomKind {
    /// Real standard normal entries (Box–Muller), name `"normal"`.
    Normal,
    /// Circularly-symmetric complex normal entries with `E|g|² = 1`, name `"complex_normal"`.
    ComplexNormal,
    /// Real uniform entries in `[0, 1)`, name `"uniform"`.
    Uniform,
}

impl RandomKind {
    /// Parses `"normal"`, `"complex_normal"` or `"uniform"` (exact, lowercase).
    pub fn parse(name: &str) -> Option<RandomKind> {
        match name {
            "normal" => Some(RandomKind::Normal),
            "complex_normal" => Some(RandomKind::ComplexNormal),
            "uniform" => Some(RandomKind::Uniform),
            _ => None,
        }
    }

    /// The name accepted by [`RandomKind::parse`].
    pub fn name(&self) -> &'static str {
        match self {
            RandomKind::Normal => "normal",
            RandomKind::ComplexNormal => "complex_normal",
            RandomKind::Uniform => "uniform",
        }
    }
}

/// Generates a seeded random array of the given `shape` (length 0, 1 or 2).
///
/// Entries are drawn in column-major order, the storage order of [`RawArray`];
/// the algorithm is described in the module documentation. `is_complex` is true
/// only for [`RandomKind::ComplexNormal`].
///
/// # Errors
/// When `shape` has more than 2 dimensions, or its element count overflows or
/// exceeds `limits.max_elements` (checked before allocating).
pub fn generate(
    kind: RandomKind,
    shape: &[usize],
    seed: u64,
    limits: &ReadLimits,
) -> Result<RawArray, ReadError> {
    if shape.len() > 2 {
        return Err(ReadError::new(format!(
            "random arrays must have 0, 1 or 2 dimensions, got shape {}",
            format_shape(shape)
        )));
    }
    let count = element_count(shape, limits)?;
    let mut rng = ChaCha8::from_seed_u64(seed);
    let mut data = Vec::with_capacity(count);
    match kind {
        RandomKind::Uniform => {
            for _ in 0..count {
                data.push(Complex64::new(rng.uniform(), 0.0));
            }
        }
        RandomKind::Normal => {
            while data.len() < count {
                let (z0, z1) = rng.normal_pair();
                data.push(Complex64::new(z0, 0.0));
                if data.len() < count {
                    data.push(Complex64::new(z1, 0.0));
                }
            }
        }
        RandomKind::ComplexNormal => {
            for _ in 0..count {
                let (z0, z1) = rng.normal_pair();
                data.push(Complex64::new(z0 * FRAC_1_SQRT_2, z1 * FRAC_1_SQRT_2));
            }
        }
    }
    Ok(RawArray {
        shape: shape.to_vec(),
        data,
        is_complex: kind == RandomKind::ComplexNormal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::{RngCore, SeedableRng};

    fn key_bytes(seed: u64) -> [u8; 32] {
        let mut k = [0u8; 32];
        k[..8].copy_from_slice(&seed.to_le_bytes());
        k
    }

    #[test]
    fn matches_rand_chacha8() {
        for seed in [0u64, 1, 7, 42, 0xdead_beef_cafe_f00d, u64::MAX] {
            let mut ours = ChaCha8::from_seed_u64(seed);
            let mut theirs = rand_chacha::ChaCha8Rng::from_seed(key_bytes(seed));
            for n in 0..100 {
                assert_eq!(ours.next_u64(), theirs.next_u64(), "seed {seed} draw {n}");
            }
        }
    }

    #[test]
    fn next_u32_matches_rand_chacha8_with_odd_offsets() {
        let mut ours = ChaCha8::from_seed_u64(3);
        let mut theirs = rand_chacha::ChaCha8Rng::from_seed(key_bytes(3));
        for n in 0..200 {
            if n % 3 == 0 {
                assert_eq!(ours.next_u32(), theirs.next_u32());
            } else {
                assert_eq!(ours.next_u64(), theirs.next_u64());
            }
        }
    }

    #[test]
    fn chacha20_matches_rand_chacha20() {
        let seed = 0x0123_4567_89ab_cdef_u64;
        let k = key_bytes(seed);
        let mut key = [0u32; 8];
        for (w, c) in key.iter_mut().zip(k.chunks_exact(4)) {
            *w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        let mut theirs = rand_chacha::ChaCha20Rng::from_seed(k);
        for counter in 0..8u64 {
            let block = chacha_block::<10>(&key, counter, 0);
            for w in block {
                assert_eq!(w, theirs.next_u32());
            }
        }
    }

    #[test]
    fn chacha20_rfc7539_block() {
        // RFC 7539 §2.3.2: key 00..1f, block count 1, nonce 00000009 0000004a 00000000.
        // In the 64/64 layout: counter = words (1, 0x09000000), stream = words (0x4a000000, 0).
        let mut key = [0u32; 8];
        for (i, w) in key.iter_mut().enumerate() {
            let b = (4 * i) as u8;
            *w = u32::from_le_bytes([b, b + 1, b + 2, b + 3]);
        }
        let out = chacha_block::<10>(&key, 0x0900_0000_0000_0001, 0x4a00_0000);
        let want: [u32; 16] = [
            0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3, 0xc7f4d1c7, 0x0368c033, 0x9aaa2204,
            0x4e6cd4c3, 0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9, 0xd19c12b5, 0xb94e16de,
            0xe883d0cb, 0x4e3c50a2,
        ];
        assert_eq!(out, want);
    }

    #[test]
    fn chacha20_zero_key_keystream() {
        let out = chacha_block::<10>(&[0; 8], 0, 0);
        let bytes: Vec<u8> = out.iter().flat_map(|w| w.to_le_bytes()).collect();
        let want: [u8; 16] = [
            0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90, 0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86,
            0xbd, 0x28,
        ];
        assert_eq!(&bytes[..16], &want);
    }

    #[test]
    fn chacha8_block_is_the_generator_stream() {
        let mut key = [0u32; 8];
        key[0] = 7;
        let mut g = ChaCha8::from_seed_u64(7);
        for counter in 0..3 {
            for w in chacha8_block(&key, counter, 0) {
                assert_eq!(w, g.next_u32());
            }
        }
    }

    #[test]
    fn kinds_round_trip() {
        for k in [
            RandomKind::Normal,
            RandomKind::ComplexNormal,
            RandomKind::Uniform,
        ] {
            assert_eq!(RandomKind::parse(k.name()), Some(k));
        }
        assert_eq!(RandomKind::parse("gaussian"), None);
        assert_eq!(RandomKind::parse("Normal"), None);
    }

    #[test]
    fn shapes_and_limits() -> Result<(), ReadError> {
        let l = ReadLimits::default();
        let a = generate(RandomKind::Normal, &[], 1, &l)?;
        assert_eq!(a.data.len(), 1);
        let a = generate(RandomKind::Normal, &[3, 4], 1, &l)?;
        let b = generate(RandomKind::Normal, &[12], 1, &l)?;
        assert_eq!(a.shape, vec![3, 4]);
        assert_eq!(a.data, b.data);
        assert!(!a.is_complex);
        assert!(generate(RandomKind::Uniform, &[1, 2, 3], 1, &l).is_err());
        assert!(generate(RandomKind::Uniform, &[usize::MAX, 2], 1, &l).is_err());
        let small = ReadLimits {
            max_elements: 10,
            max_file_bytes: 0,
        };
        assert!(generate(RandomKind::Uniform, &[11], 1, &small).is_err());
        assert!(generate(RandomKind::Uniform, &[10], 1, &small).is_ok());
        let z = generate(RandomKind::ComplexNormal, &[0, 5], 1, &l)?;
        assert!(z.is_complex && z.data.is_empty());
        Ok(())
    }

    #[test]
    fn odd_normal_count_discards_last_z1() -> Result<(), ReadError> {
        let l = ReadLimits::default();
        let odd = generate(RandomKind::Normal, &[5], 9, &l)?;
        let even = generate(RandomKind::Normal, &[6], 9, &l)?;
        assert_eq!(odd.data[..], even.data[..5]);
        let mut g = ChaCha8::from_seed_u64(9);
        let (z0, z1) = g.normal_pair();
        assert_eq!(even.data[0].re, z0);
        assert_eq!(even.data[1].re, z1);
        Ok(())
    }

    #[test]
    fn complex_normal_uses_one_pair_per_entry() -> Result<(), ReadError> {
        let l = ReadLimits::default();
        let z = generate(RandomKind::ComplexNormal, &[3], 5, &l)?;
        let n = generate(RandomKind::Normal, &[6], 5, &l)?;
        for e in 0..3 {
            assert_eq!(z.data[e].re, n.data[2 * e].re * FRAC_1_SQRT_2);
            assert_eq!(z.data[e].im, n.data[2 * e + 1].re * FRAC_1_SQRT_2);
        }
        Ok(())
    }

    #[test]
    fn moments_are_sane() -> Result<(), ReadError> {
        let l = ReadLimits::default();
        let n = 100_000usize;
        let mean_var = |v: &[f64]| {
            let m = v.iter().sum::<f64>() / v.len() as f64;
            let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64;
            (m, var)
        };
        let u = generate(RandomKind::Uniform, &[n], 11, &l)?;
        let uv: Vec<f64> = u.data.iter().map(|z| z.re).collect();
        assert!(uv.iter().all(|&x| (0.0..1.0).contains(&x)));
        let (m, v) = mean_var(&uv);
        assert!((m - 0.5).abs() < 0.01, "uniform mean {m}");
        assert!((v - 1.0 / 12.0).abs() < 0.005, "uniform var {v}");

        let g = generate(RandomKind::Normal, &[n], 11, &l)?;
        let gv: Vec<f64> = g.data.iter().map(|z| z.re).collect();
        let (m, v) = mean_var(&gv);
        assert!(m.abs() < 0.02, "normal mean {m}");
        assert!((v - 1.0).abs() < 0.03, "normal var {v}");
        let frac_within_1 = gv.iter().filter(|x| x.abs() < 1.0).count() as f64 / n as f64;
        assert!((frac_within_1 - 0.6827).abs() < 0.01, "{frac_within_1}");

        let c = generate(RandomKind::ComplexNormal, &[n], 11, &l)?;
        assert!(c.is_complex);
        let re: Vec<f64> = c.data.iter().map(|z| z.re).collect();
        let im: Vec<f64> = c.data.iter().map(|z| z.im).collect();
        let (mr, vr) = mean_var(&re);
        let (mi, vi) = mean_var(&im);
        assert!(mr.abs() < 0.02 && mi.abs() < 0.02, "{mr} {mi}");
        assert!(
            (vr - 0.5).abs() < 0.02 && (vi - 0.5).abs() < 0.02,
            "{vr} {vi}"
        );
        let p = c.data.iter().map(|z| z.norm_sqr()).sum::<f64>() / n as f64;
        assert!((p - 1.0).abs() < 0.03, "E|g|^2 {p}");
        let cross = c.data.iter().map(|z| z.re * z.im).sum::<f64>() / n as f64;
        assert!(cross.abs() < 0.02, "re/im correlation {cross}");
        Ok(())
    }

    /// First four values for seed 7, pinned bit for bit. They were computed once by
    /// this implementation; the generator itself is cross-checked against
    /// `rand_chacha` and the RFC 7539 vector above, and the transforms against
    /// the moment tests.
    #[test]
    fn golden_seed_7() -> Result<(), ReadError> {
        let l = ReadLimits::default();
        let bits = |k: RandomKind| -> Result<Vec<(u64, u64)>, ReadError> {
            Ok(generate(k, &[4], 7, &l)?
                .data
                .iter()
                .map(|z| (z.re.to_bits(), z.im.to_bits()))
                .collect())
        };
        assert_eq!(
            bits(RandomKind::Normal)?,
            [
                (0xbfe6f01b7efb97c6, 0), // -0.7168099861271393
                (0x3fc3f12fb81a7224, 0), // 0.1557979248945155
                (0xbff052c1bdcb5c21, 0), // -1.0202042974322085
                (0x40086679a2772b9c, 0), // 3.0500366871469407
            ]
        );
        assert_eq!(
            bits(RandomKind::ComplexNormal)?,
            [
                (0xbfe03834fbc830b9, 0x3fbc33d2e7ccc495), // -0.5068612020127353 + 0.11016576918770433i
                (0xbfe715a7902c237d, 0x400140ecc7fe7c04), // -0.7213933769099722 + 2.1567016243493544i
                (0xbfe02b8ee0d466ce, 0x3feab38445c171c6), // -0.5053171530919032 + 0.8344136583723916i
                (0x3fd681e240a35eb8, 0x3fee8ff8825760a3), // 0.3516774779541083 + 0.9550745530823587i
            ]
        );
        assert_eq!(
            bits(RandomKind::Uniform)?,
            [
                (0x3fe87394ce458897, 0), // 0.764109042047738
                (0x3fddd1ec00baa766, 0), // 0.4659376151199609
                (0x3f773e28d72a7f80, 0), // 0.005674514325306634
                (0x3fd349b4e803c08c, 0), // 0.3013736978309758
            ]
        );
        // Independent recomputation of the first uniform and normal from rand_chacha's stream.
        let mut r = rand_chacha::ChaCha8Rng::from_seed(key_bytes(7));
        let x1 = r.next_u64();
        let x2 = r.next_u64();
        assert_eq!(
            (x1 >> 11) as f64 * SCALE,
            f64::from_bits(0x3fe87394ce458897)
        );
        let u1 = ((x1 >> 11) + 1) as f64 * SCALE;
        let u2 = (x2 >> 11) as f64 * SCALE;
        let z0 = (-2.0 * libm::log(u1)).sqrt() * libm::cos(TAU * u2);
        assert_eq!(z0.to_bits(), 0xbfe6f01b7efb97c6);
        Ok(())
    }
}
