//! Length hiding inside the plaintext: PADMÉ buckets with a 0x80 0x00* terminator
//! (docs/FORMAT.md#padding).

use crate::error::ParseError;

/// Padded records are never shorter than this, so every short note looks alike.
pub const MIN_PADDED_LEN: usize = 256;

/// PADMÉ (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
/// Communication with PURBs", PETS 2019, §4): rounds `len` up so that at most
/// `floor(log2 floor(log2 len)) + 1` low bits are dropped.
pub fn padme(len: usize) -> usize {
    if len < 2 {
        return len;
    }
    let e = usize::BITS - 1 - len.leading_zeros(); // floor(log2 len)
    let s = u32::BITS - e.leading_zeros(); // floor(log2 e) + 1
    let last_bits = e - s;
    let mask = (1usize << last_bits) - 1;
    (len + mask) & !mask
}

/// Length of the padded plaintext for a payload of `payload_len` bytes:
/// `max(256, padme(payload_len + 1))`.
pub fn padded_len(payload_len: usize) -> usize {
    padme(payload_len.saturating_add(1)).max(MIN_PADDED_LEN)
}

/// `payload || 0x80 || 0x00 * (padded_len - payload_len - 1)`.
pub fn pad(payload: &[u8]) -> Vec<u8> {
    let total = padded_len(payload.len());
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(payload);
    out.push(0x80);
    out.resize(total, 0);
    out
}

/// The payload length of a padded plaintext, checked to be canonical: the last non-zero
/// byte is 0x80 and the total is exactly `padded_len(payload_len)`.
///
/// # Errors
/// [`ParseError::Field`] on any other shape.
pub fn unpadded_len(padded: &[u8]) -> Result<usize, ParseError> {
    let bad = ParseError::Field { what: "padding" };
    let marker = padded.iter().rposition(|b| *b != 0).ok_or(bad.clone())?;
    if padded.get(marker) != Some(&0x80) || padded_len(marker) != padded.len() {
        return Err(bad);
    }
    Ok(marker)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padme_matches_the_paper() {
        // Values from the PADMÉ definition: exact below 8, then coarser buckets.
        assert_eq!(padme(0), 0);
        assert_eq!(padme(7), 7);
        assert_eq!(padme(9), 10);
        assert_eq!(padme(1025), 1088);
        assert_eq!(padme(1_000_000), 1_015_808);
    }

    #[test]
    fn short_notes_share_one_bucket() {
        assert_eq!(pad(b"").len(), 256);
        assert_eq!(pad(b"Client reported better sleep.").len(), 256);
        assert_eq!(pad(&[7u8; 255]).len(), 256);
        assert_eq!(pad(&[7u8; 256]).len(), 272); // padme(257): E = 8, S = 4, 4 low bits dropped
    }

    #[test]
    fn unpad_rejects_non_canonical_padding() {
        let mut p = pad(b"abc");
        assert_eq!(unpadded_len(&p), Ok(3));
        p.push(0);
        assert!(unpadded_len(&p).is_err());
        assert!(unpadded_len(&[0u8; 256]).is_err());
        let mut q = pad(b"abc");
        q[3] = 0x81;
        assert!(unpadded_len(&q).is_err());
    }
}
