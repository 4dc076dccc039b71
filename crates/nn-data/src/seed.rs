//! Seeds: every source of randomness derives its own seed from the run's, by purpose.

/// Derives an independent seed for a purpose (`"init"`, `"epoch-3"`, ...) from the run seed,
/// so every source of randomness is reproducible on its own (SplitMix64 finaliser).
pub fn derive_seed(seed: u64, purpose: &str) -> u64 {
    let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
    for byte in purpose.bytes() {
        h = (h ^ byte as u64).wrapping_mul(0x100_0000_01B3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

/// A seeded CPU random generator for a purpose (data order, augmentation, synthetic data).
pub fn rng(seed: u64, purpose: &str) -> rand::rngs::StdRng {
    use rand::SeedableRng;
    rand::rngs::StdRng::seed_from_u64(derive_seed(seed, purpose))
}
