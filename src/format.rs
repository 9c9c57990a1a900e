//! The framing every Confide object shares: a three-byte tag and a version byte
//! (docs/FORMAT.md#labels, the object table).

use crate::error::ParseError;

/// Checks `tag || version` at the start of `bytes`.
pub(crate) fn check_tag(
    bytes: &[u8],
    tag: &[u8; 3],
    version: u8,
    object: &'static str,
) -> Result<(), ParseError> {
    match bytes {
        [a, b, c, v, ..] if [*a, *b, *c] == *tag => {
            if *v == version {
                Ok(())
            } else {
                Err(ParseError::UnsupportedVersion { object, got: *v })
            }
        }
        _ if bytes.len() < 4 => Err(ParseError::Length {
            what: object,
            expected: "at least 4",
            got: bytes.len(),
        }),
        _ => Err(ParseError::WrongTag { object }),
    }
}
