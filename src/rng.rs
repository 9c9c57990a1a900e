//! Randomness: every generating function has a `*_with_rng` twin that takes a
//! [`CryptoRng`], so test vectors can be made with fixed seeds.

use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, SeedableRng};

use crate::error::ArgumentError;

/// A CSPRNG seeded with 32 bytes from the operating system (`crypto.getRandomValues()`
/// in browsers and Node).
///
/// # Errors
/// [`ArgumentError::RandomUnavailable`] if the system source fails: an error, not a panic.
pub fn system_rng() -> Result<impl CryptoRng, ArgumentError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|_| ArgumentError::RandomUnavailable)?;
    let rng = ChaCha20Rng::from_seed(seed);
    zeroize::Zeroize::zeroize(&mut seed);
    Ok(rng)
}

/// A deterministic generator for tests and vectors only (a ChaCha20 stream over `seed`).
pub fn seeded_rng(seed: [u8; 32]) -> impl CryptoRng {
    ChaCha20Rng::from_seed(seed)
}

pub(crate) fn random_array<const N: usize>(rng: &mut impl CryptoRng) -> [u8; N] {
    let mut out = [0u8; N];
    rng.fill_bytes(&mut out);
    out
}
