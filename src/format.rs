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
    check_tag_versions(bytes, tag, &[version], object).map(|_| ())
}

/// Checks the tag of an object that has several versions, and returns the version byte if it
/// is one of `versions`: `malformed` for a short or mistagged object, `unsupported_version`
/// for another version.
pub(crate) fn check_tag_versions(
    bytes: &[u8],
    tag: &[u8; 3],
    versions: &[u8],
    object: &'static str,
) -> Result<u8, ParseError> {
    match bytes {
        [a, b, c, v, ..] if [*a, *b, *c] == *tag => {
            if versions.contains(v) {
                Ok(*v)
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
