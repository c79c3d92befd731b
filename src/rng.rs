//! The crate's one seeded pseudo-random generator, for the places that need reproducible
//! "generic" numbers: Lanczos start blocks, the probe points of the affinity check, the
//! direction of the noise estimate, randomized unit tests.
//!
//! splitmix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators",
//! OOPSLA 2014; the constants of Vigna's reference implementation): a Weyl sequence
//! s ← s + 0x9E3779B97F4A7C15 passed through a bijective 64-bit mixer. Every seed (0 too) gives
//! a full-period sequence that passes BigCrush, which is more than these uses need: they need
//! numbers without structure that could align with a problem's (a start vector orthogonal to
//! the wanted eigenvectors, a probe point on a kink), the same on every run and machine.
//! Written out (ten lines) rather than taken from `rand_chacha`, so that the Lanczos start
//! blocks and the affinity probes, which used two inline copies of it, stay bit-for-bit what
//! they were, and with them every measured iteration count of the bundle method.

/// splitmix64: `next_u64` for integers, `symmetric` for numbers in [−1, 1).
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    /// The generator started at `seed`.
    pub(crate) fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in [−1, 1) on the grid of 2⁻⁵², from the top 53 bits.
    pub(crate) fn symmetric(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference values of splitmix64 from seed 1234567 (Vigna's splitmix64.c), and the
    /// range and mean of `symmetric`.
    #[test]
    fn matches_the_reference_sequence() {
        let mut r = SplitMix64::new(1_234_567);
        let want: [u64; 5] = [
            6_457_827_717_110_365_317,
            3_203_168_211_198_807_973,
            9_817_491_932_198_370_423,
            4_593_380_528_125_082_431,
            16_408_922_859_458_223_821,
        ];
        for w in want {
            assert_eq!(r.next_u64(), w);
        }
        let mut r = SplitMix64::new(0);
        let v: Vec<f64> = (0..100_000).map(|_| r.symmetric()).collect();
        assert!(v.iter().all(|x| (-1.0..1.0).contains(x)));
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
    }
}
