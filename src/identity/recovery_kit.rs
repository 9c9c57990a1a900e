//! The recovery kit: a member seed as text a person can copy by hand and type back
//! (docs/FORMAT.md#recovery-kit).
//!
//! 55 symbols of Crockford's base32 alphabet in 11 groups of 5: a version symbol, the seed
//! (52 symbols), and two check symbols that make a position-weighted sum vanish modulo 37.
//! Because 37 is prime, every weight is non-zero and neighbouring weights differ, any single
//! substituted symbol and any swap of two adjacent different symbols changes the sum: both
//! are always detected, not just with high probability.

use zeroize::{Zeroize, Zeroizing};

use crate::error::BackupError;
use crate::identity::{MemberSeed, SEED_LEN};

/// Crockford's base32 alphabet: digits and letters without I, L, O and U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// The version symbol's value.
const KIT_VERSION: u8 = 1;
/// Symbols of the seed: 256 bits in 5-bit symbols, the last 4 bits zero.
const SEED_SYMBOLS: usize = 52;
/// Every symbol: version, seed, two check symbols.
pub const KIT_SYMBOLS: usize = 1 + SEED_SYMBOLS + 2;
/// Symbols per group.
const GROUP: usize = 5;
/// The checksum's modulus, a prime above the alphabet size.
const MODULUS: u32 = 37;

/// The weight of position `i`: 1 to 36, cycling, so never 0 modulo 37.
fn weight(i: usize) -> u32 {
    // i % 36 < 36, so the cast cannot truncate.
    u32::try_from(i % 36).unwrap_or(0) + 1
}

fn weighted_sum(symbols: &[u8]) -> u32 {
    symbols
        .iter()
        .enumerate()
        .fold(0, |acc, (i, &v)| (acc + weight(i) * u32::from(v)) % MODULUS)
}

/// Encodes `seed` as a recovery kit: `"1XXXX XXXXX ..."`, 11 groups of 5 symbols.
pub fn encode(seed: &MemberSeed) -> Zeroizing<String> {
    let mut symbols = Zeroizing::new([0u8; KIT_SYMBOLS]);
    // Big-endian bits of the seed, 5 at a time; 4 zero bits pad the last symbol.
    let bytes = seed.expose_secret();
    let bit = |i: usize| bytes.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0);
    for (k, slot) in symbols.iter_mut().enumerate() {
        *slot = match k {
            0 => KIT_VERSION,
            1..=SEED_SYMBOLS => (0..5).fold(0, |v, b| (v << 1) | u8::from(bit((k - 1) * 5 + b))),
            _ => 0,
        };
    }
    // Two check symbols x, y in 0..32 with sum + w·x + w'·y ≡ 0 (mod 37): for each y,
    // x is fixed; at most 5 of the 32 choices of y give an x outside the alphabet.
    let partial = weighted_sum(symbols.get(..KIT_SYMBOLS - 2).unwrap_or_default());
    let (wx, wy) = (weight(KIT_SYMBOLS - 2), weight(KIT_SYMBOLS - 1));
    let inverse_wx = (1..MODULUS).find(|k| (k * wx) % MODULUS == 1).unwrap_or(1);
    for y in 0..32u32 {
        let need = (2 * MODULUS * MODULUS - partial - wy * y) % MODULUS;
        let x = (need * inverse_wx) % MODULUS;
        if let (Ok(x), Ok(y)) = (u8::try_from(x), u8::try_from(y))
            && x < 32
        {
            if let [.., cx, cy] = symbols.as_mut_slice() {
                (*cx, *cy) = (x, y);
            }
            break;
        }
    }
    let mut out = Zeroizing::new(String::with_capacity(KIT_SYMBOLS + KIT_SYMBOLS / GROUP));
    for (i, &v) in symbols.iter().enumerate() {
        if i > 0 && i % GROUP == 0 {
            out.push(' ');
        }
        if let Some(&a) = ALPHABET.get(usize::from(v)) {
            out.push(char::from(a));
        }
    }
    out
}

/// The value of one typed character: case-insensitive, with O read as 0 and I, L as 1.
/// `None` for separators (whitespace, `-`), `Some(Err)` for anything else.
fn symbol(c: char) -> Option<Result<u8, BackupError>> {
    if c.is_whitespace() || c == '-' {
        return None;
    }
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    Some(
        ALPHABET
            .iter()
            .position(|&a| char::from(a) == c)
            .and_then(|p| u8::try_from(p).ok())
            .ok_or(BackupError::BadRecoveryKit),
    )
}

/// Decodes a recovery kit typed back by a person: whitespace, hyphens and case are
/// forgiven; anything else wrong is `bad_recovery_kit`.
///
/// # Errors
/// [`BackupError::BadRecoveryKit`] for a wrong length, a character outside the alphabet,
/// an unknown version, non-zero padding bits or a checksum that does not vanish.
pub fn decode(text: &str) -> Result<MemberSeed, BackupError> {
    let mut symbols = Zeroizing::new([0u8; KIT_SYMBOLS]);
    let mut n = 0;
    for c in text.chars() {
        let Some(v) = symbol(c) else { continue };
        let slot = symbols.get_mut(n).ok_or(BackupError::BadRecoveryKit)?;
        *slot = v?;
        n += 1;
    }
    if n != KIT_SYMBOLS
        || weighted_sum(symbols.as_slice()) != 0
        || symbols.first() != Some(&KIT_VERSION)
        // The last seed symbol carries 1 bit of the seed and 4 zero bits.
        || symbols.get(SEED_SYMBOLS).is_none_or(|v| v & 0x0f != 0)
    {
        return Err(BackupError::BadRecoveryKit);
    }
    let mut seed = [0u8; SEED_LEN];
    for bit in 0..SEED_LEN * 8 {
        let set = symbols
            .get(1 + bit / 5)
            .is_some_and(|v| v & (0x10 >> (bit % 5)) != 0);
        if let Some(byte) = seed.get_mut(bit / 8)
            && set
        {
            *byte |= 0x80 >> (bit % 8);
        }
    }
    let out = MemberSeed::from_bytes(seed);
    seed.zeroize();
    Ok(out)
}
