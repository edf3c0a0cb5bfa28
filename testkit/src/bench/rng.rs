//! splitmix64: a tiny deterministic generator for synthetic benchmark data (no dependency).

/// The generator state.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A random 40-hex-digit (lower-case) info-hash.
    pub fn hash(&mut self) -> String {
        let (a, b, c) = (self.next_u64(), self.next_u64(), self.next_u64());
        format!("{a:016x}{b:016x}{:08x}", c as u32)
    }
}
