//! Passphrase backups of a member seed (docs/FORMAT.md#passphrase-backup).
//!
//! Argon2id (RFC 9106) stretches the passphrase; HKDF splits its output into a passphrase
//! check and a wrapping key; AES-256-GCM seals the seed with the whole header as AAD. The
//! parameters travel in the header and are bounded before any work is done, so a hostile
//! backup cannot make a client allocate gigabytes or spin for minutes.
//!
//! The Argon2id step itself ([`stretch`], and [`export`]/[`import`] which call it) needs the
//! `argon2` feature (on by default). Without it the rest still plans, finishes and opens
//! backups around a key stretched elsewhere: the wasm bindings do that, with Argon2id in a
//! module of its own (SECURITY.md#memory).

#[cfg(feature = "argon2")]
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{ArgumentError, BackupError, ParseError};
use crate::format::check_tag;
use crate::identity::{MemberSecretKey, MemberSeed, SEED_LEN};
use crate::primitives::{Aes256GcmKey, hkdf_sha256_32, labels};
use crate::rng::{random_array, system_rng};

const BACKUP_TAG: &[u8; 3] = b"CFP";
const BACKUP_VERSION: u8 = 1;
/// Algorithm byte: Argon2id, version 0x13.
const ARGON2ID_13: u8 = 1;
/// Bytes before the salt: tag, version, algorithm, m (KiB), t, p, salt length.
const FIXED_HEADER_LEN: usize = 4 + 1 + 4 + 4 + 1 + 1;
const CHECK_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const SEALED_LEN: usize = SEED_LEN + Aes256GcmKey::TAG_LEN;
/// Salt length written by this version.
const SALT_LEN: usize = 32;
const SALT_LEN_BYTE: u8 = 32;

/// The bounds a backup's parameters must meet before any work (FORMAT.md#backup-limits).
pub mod limits {
    /// Least memory, in KiB: 64 MiB.
    pub const MIN_MEMORY_KIB: u32 = 64 * 1024;
    /// Most memory, in KiB: 1 GiB.
    pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
    /// Fewest passes.
    pub const MIN_ITERATIONS: u32 = 3;
    /// Most passes.
    pub const MAX_ITERATIONS: u32 = 16;
    /// Most lanes (Argon2 runs them one after another in wasm).
    pub const MAX_PARALLELISM: u8 = 4;
    /// Shortest salt.
    pub const MIN_SALT_LEN: usize = 16;
    /// Longest salt.
    pub const MAX_SALT_LEN: usize = 64;
    /// Shortest passphrase, in Unicode scalar values.
    pub const MIN_PASSPHRASE_CHARS: usize = 12;
}

/// How costly a new backup is to open (FORMAT.md#backup-strength).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strength {
    /// 64 MiB, 9 passes: about half a second in a browser (BENCHMARKS.md).
    Interactive,
    /// 256 MiB, 4 passes: about a second and a half, for backups rarely opened.
    Sensitive,
}

/// Argon2id parameters of a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u8,
}

impl Strength {
    /// The parameters of this strength.
    pub fn params(self) -> KdfParams {
        match self {
            Self::Interactive => KdfParams {
                memory_kib: 64 * 1024,
                iterations: 9,
                parallelism: 1,
            },
            Self::Sensitive => KdfParams {
                memory_kib: 256 * 1024,
                iterations: 4,
                parallelism: 1,
            },
        }
    }
}

impl KdfParams {
    fn check(self) -> Result<(), ParseError> {
        let field = |what| Err(ParseError::Field { what });
        if !(limits::MIN_MEMORY_KIB..=limits::MAX_MEMORY_KIB).contains(&self.memory_kib) {
            return field("argon2 memory");
        }
        if !(limits::MIN_ITERATIONS..=limits::MAX_ITERATIONS).contains(&self.iterations) {
            return field("argon2 iterations");
        }
        if !(1..=limits::MAX_PARALLELISM).contains(&self.parallelism) {
            return field("argon2 parallelism");
        }
        Ok(())
    }
}

/// A parsed backup whose parameters are within bounds; nothing has been derived yet.
pub struct ParsedBackup<'a> {
    /// The Argon2id parameters.
    pub params: KdfParams,
    salt: &'a [u8],
    check: &'a [u8],
    nonce: [u8; NONCE_LEN],
    /// Everything before the sealed seed: the AES-GCM AAD.
    header: &'a [u8],
    sealed: &'a [u8],
}

impl ParsedBackup<'_> {
    /// The Argon2id salt.
    pub fn salt(&self) -> &[u8] {
        self.salt
    }
}

/// Parses a backup and checks its parameters and lengths (FORMAT.md#passphrase-backup,
/// steps 1 to 4). Cheap: runs before any key derivation.
///
/// # Errors
/// `Malformed` or `UnsupportedVersion`.
pub fn parse(bytes: &[u8]) -> Result<ParsedBackup<'_>, ParseError> {
    let object = "backup";
    check_tag(bytes, BACKUP_TAG, BACKUP_VERSION, object)?;
    let short = || ParseError::Length {
        what: object,
        expected: "123 to 171",
        got: bytes.len(),
    };
    let fixed = bytes.get(..FIXED_HEADER_LEN).ok_or_else(short)?;
    let u32_at = |i: usize| -> Result<u32, ParseError> {
        fixed
            .get(i..i + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
            .ok_or_else(short)
    };
    if fixed.get(4) != Some(&ARGON2ID_13) {
        return Err(ParseError::Field {
            what: "backup algorithm",
        });
    }
    let params = KdfParams {
        memory_kib: u32_at(5)?,
        iterations: u32_at(9)?,
        parallelism: *fixed.get(13).ok_or_else(short)?,
    };
    params.check()?;
    let salt_len = usize::from(*fixed.get(14).ok_or_else(short)?);
    if !(limits::MIN_SALT_LEN..=limits::MAX_SALT_LEN).contains(&salt_len) {
        return Err(ParseError::Field {
            what: "backup salt length",
        });
    }
    let header_len = FIXED_HEADER_LEN + salt_len + CHECK_LEN + NONCE_LEN;
    if bytes.len() != header_len + SEALED_LEN {
        return Err(short());
    }
    let (header, sealed) = bytes.split_at(header_len);
    let salt = header
        .get(FIXED_HEADER_LEN..FIXED_HEADER_LEN + salt_len)
        .ok_or_else(short)?;
    let rest = header
        .get(FIXED_HEADER_LEN + salt_len..)
        .ok_or_else(short)?;
    let (check, nonce) = rest.split_at(CHECK_LEN);
    Ok(ParsedBackup {
        params,
        salt,
        check,
        nonce: nonce.try_into().map_err(|_| short())?,
        header,
        sealed,
    })
}

/// Argon2id over the passphrase (FORMAT.md#passphrase-backup, `k`), into a 32-byte key; the
/// working memory is zeroized after. Parameters and salt outside the limits are refused first.
/// In wasm the memory stays allocated to the instance, which is why the JS package runs this
/// in a throwaway instance (SECURITY.md#memory).
///
/// # Errors
/// `InvalidArgument` for parameters or a salt outside the limits.
#[cfg(feature = "argon2")]
pub fn stretch(
    passphrase: &str,
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, BackupError> {
    let out_of_range = |_| ArgumentError::OutOfRange {
        what: "argon2 parameters",
    };
    params.check().map_err(out_of_range)?;
    if !(limits::MIN_SALT_LEN..=limits::MAX_SALT_LEN).contains(&salt.len()) {
        return Err(ArgumentError::OutOfRange {
            what: "argon2 salt",
        }
        .into());
    }
    let passphrase = passphrase.as_bytes();
    let argon_params = Params::new(
        params.memory_kib,
        params.iterations,
        u32::from(params.parallelism),
        Some(32),
    )
    .map_err(|_| BackupError::Internal)?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut memory = vec![Block::default(); argon.params().block_count()];
    let mut out = Zeroizing::new([0u8; 32]);
    let result = argon.hash_password_into_with_memory(
        passphrase,
        salt,
        out.as_mut_slice(),
        memory.as_mut_slice(),
    );
    memory.zeroize();
    result.map_err(|_| BackupError::Internal)?;
    Ok(out)
}

/// `(check, wrapping key)` from the stretched passphrase.
fn split_key(stretched: &[u8; 32]) -> ([u8; CHECK_LEN], Aes256GcmKey) {
    let check = hkdf_sha256_32(stretched, &[], labels::BACKUP_CHECK);
    let key = Zeroizing::new(hkdf_sha256_32(stretched, &[], labels::BACKUP_KEY));
    (check, Aes256GcmKey::new(&key))
}

/// Rejects passphrases too short or too guessable to protect a member seed
/// (FORMAT.md#passphrase-policy). A floor, not a strength meter.
///
/// # Errors
/// [`BackupError::WeakPassphrase`].
pub fn check_passphrase(passphrase: &str) -> Result<(), BackupError> {
    // ASCII classification only: Unicode case and letter tables would cost the wasm ~20 KB,
    // and every non-ASCII character simply counts as a letter.
    let weak = |reason| Err(BackupError::WeakPassphrase { reason });
    let chars: Zeroizing<Vec<char>> = Zeroizing::new(passphrase.chars().collect());
    if chars.len() < limits::MIN_PASSPHRASE_CHARS {
        return weak("use at least 12 characters");
    }
    let mut distinct: Zeroizing<Vec<char>> = Zeroizing::new(Vec::new());
    for c in chars.iter() {
        if !distinct.contains(c) {
            distinct.push(*c);
        }
    }
    if distinct.len() < 5 {
        return weak("use more different characters");
    }
    // One shorter piece said over and over: "hunter2hunter2", "abcabcabcabc".
    let repeats = |period: usize| {
        chars
            .iter()
            .zip(chars.iter().skip(period))
            .all(|(a, b)| a == b)
    };
    if (1..=chars.len() / 2).any(|p| chars.len().is_multiple_of(p) && repeats(p)) {
        return weak("avoid repeating one word");
    }
    // Letters and digits only, lower case: "Qwerty-1234!" -> "qwerty1234".
    let plain: Zeroizing<Vec<u8>> = Zeroizing::new(
        passphrase
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_lowercase())
            .collect(),
    );
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    const SEQUENCES: [&[u8]; 4] = [
        b"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
        b"012345678901234567890123456789",
        b"qwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjklzxcvbnm",
        b"1234567890qwertyuiopasdfghjklzxcvbnm",
    ];
    let reversed: Zeroizing<Vec<u8>> = Zeroizing::new(plain.iter().rev().copied().collect());
    if plain.len() >= 6
        && SEQUENCES
            .iter()
            .any(|s| contains(s, &plain) || contains(s, &reversed))
    {
        return weak("avoid keyboard and alphabet sequences");
    }
    // What is left once common words and digits are taken out must still be long.
    const COMMON: [&[u8]; 16] = [
        b"password",
        b"passwort",
        b"passphrase",
        b"letmein",
        b"welcome",
        b"qwerty",
        b"iloveyou",
        b"admin",
        b"login",
        b"secret",
        b"confide",
        b"therapy",
        b"therapist",
        b"practice",
        b"monkey",
        b"dragon",
    ];
    let mut letters: Zeroizing<Vec<u8>> = Zeroizing::new(
        plain
            .iter()
            .copied()
            .filter(u8::is_ascii_alphabetic)
            .collect(),
    );
    for word in COMMON {
        while let Some(at) = letters.windows(word.len()).position(|w| w == word) {
            letters.drain(at..at + word.len());
        }
    }
    let non_ascii = chars.iter().filter(|c| !c.is_ascii()).count();
    if letters.len() + non_ascii < 4 && chars.len() < 24 {
        return weak("avoid common passwords and digits alone");
    }
    Ok(())
}

/// Seals `member`'s seed under `passphrase` (FORMAT.md#passphrase-backup). The caller
/// normalizes the passphrase to NFC first, as the JS package does.
///
/// # Errors
/// `WeakPassphrase`; `InvalidArgument` if randomness is unavailable.
#[cfg(feature = "argon2")]
pub fn export(
    member: &MemberSecretKey,
    passphrase: &str,
    strength: Strength,
) -> Result<Vec<u8>, BackupError> {
    export_with_rng(member, passphrase, strength.params(), &mut system_rng()?)
}

/// [`export`] with explicit parameters and generator (tests and vectors).
///
/// # Errors
/// `WeakPassphrase`, or `InvalidArgument` for parameters outside the bounds.
#[cfg(feature = "argon2")]
pub fn export_with_rng(
    member: &MemberSecretKey,
    passphrase: &str,
    params: KdfParams,
    rng: &mut impl CryptoRng,
) -> Result<Vec<u8>, BackupError> {
    let plan = prepare_export_with_rng(passphrase, params, rng)?;
    let stretched = stretch(passphrase, &plan.salt, plan.params)?;
    Ok(finish_export(member, &plan, &stretched))
}

/// What a backup will be made with, chosen before the passphrase is stretched: exporting
/// steps 1 to 3 of FORMAT.md#passphrase-backup. Lets the Argon2id step run elsewhere.
pub struct ExportPlan {
    /// The Argon2id parameters.
    pub params: KdfParams,
    /// The Argon2id salt.
    pub salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
}

/// Checks the passphrase policy and picks salt and nonce for a new backup.
///
/// # Errors
/// `WeakPassphrase`; `InvalidArgument` if randomness is unavailable.
pub fn prepare_export(passphrase: &str, strength: Strength) -> Result<ExportPlan, BackupError> {
    prepare_export_with_rng(passphrase, strength.params(), &mut system_rng()?)
}

/// [`prepare_export`] with explicit parameters and generator.
///
/// # Errors
/// `WeakPassphrase`, or `InvalidArgument` for parameters outside the bounds.
pub fn prepare_export_with_rng(
    passphrase: &str,
    params: KdfParams,
    rng: &mut impl CryptoRng,
) -> Result<ExportPlan, BackupError> {
    check_passphrase(passphrase)?;
    // Exporting step 2: a caller's mistake, not bad bytes.
    params.check().map_err(|_| ArgumentError::OutOfRange {
        what: "argon2 parameters",
    })?;
    Ok(ExportPlan {
        params,
        salt: random_array(rng),
        nonce: random_array(rng),
    })
}

/// Writes the backup from a plan and the passphrase stretched with its salt and parameters
/// ([`stretch`]): exporting step 4.
pub fn finish_export(member: &MemberSecretKey, plan: &ExportPlan, stretched: &[u8; 32]) -> Vec<u8> {
    let (check, key) = split_key(stretched);
    let mut out =
        Vec::with_capacity(FIXED_HEADER_LEN + SALT_LEN + CHECK_LEN + NONCE_LEN + SEALED_LEN);
    out.extend_from_slice(BACKUP_TAG);
    out.push(BACKUP_VERSION);
    out.push(ARGON2ID_13);
    out.extend_from_slice(&plan.params.memory_kib.to_be_bytes());
    out.extend_from_slice(&plan.params.iterations.to_be_bytes());
    out.push(plan.params.parallelism);
    out.push(SALT_LEN_BYTE);
    out.extend_from_slice(&plan.salt);
    out.extend_from_slice(&check);
    out.extend_from_slice(&plan.nonce);
    let sealed = key.seal_with_aad(&plan.nonce, &out, member.seed().expose_secret());
    out.extend_from_slice(&sealed);
    out
}

/// Opens a backup with `passphrase` (FORMAT.md#passphrase-backup): parameters are checked
/// before any work.
///
/// # Errors
/// `Malformed`/`UnsupportedVersion` (before any work), `WrongPassphrase`, `DecryptionFailed`.
#[cfg(feature = "argon2")]
pub fn import(bytes: &[u8], passphrase: &str) -> Result<MemberSecretKey, BackupError> {
    let backup = parse(bytes)?;
    let stretched = stretch(passphrase, backup.salt, backup.params)?;
    open_with_stretched(&backup, &stretched)
}

/// Opening steps 5 to 7 of FORMAT.md#passphrase-backup, given the passphrase stretched with
/// the backup's salt and parameters ([`stretch`]).
///
/// # Errors
/// `WrongPassphrase`, `DecryptionFailed`.
pub fn open_with_stretched(
    backup: &ParsedBackup<'_>,
    stretched: &[u8; 32],
) -> Result<MemberSecretKey, BackupError> {
    let (check, key) = split_key(stretched);
    if !bool::from(check.as_slice().ct_eq(backup.check)) {
        return Err(BackupError::WrongPassphrase);
    }
    let seed = key
        .open_with_aad(&backup.nonce, backup.header, backup.sealed)
        .ok_or(BackupError::DecryptionFailed)?;
    let mut bytes: [u8; SEED_LEN] = seed
        .as_slice()
        .try_into()
        .map_err(|_| BackupError::DecryptionFailed)?;
    let member = MemberSecretKey::derive(MemberSeed::from_bytes(bytes));
    bytes.zeroize();
    Ok(member)
}
