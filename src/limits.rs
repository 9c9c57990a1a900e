//! Every documented cap on what Confide accepts (docs/FORMAT.md#limits). They sit at the
//! bottom of the crate so that errors can name them without importing the layers above.

/// Longest `recordId` or `field`, in UTF-8 bytes.
pub const MAX_CONTEXT_FIELD_LEN: usize = 1024;
/// Bytes of a revised record's id, and of its field (FORMAT.md#revision).
pub const MAX_REVISION_TEXT_LEN: usize = 255;
/// Longest plaintext a one-shot record takes; larger inputs are streamed.
pub const MAX_ONE_SHOT_LEN: usize = 256 * 1024 * 1024;
/// Most entries a membership log may have (FORMAT.md#limits): checked before any is parsed.
pub const MAX_LOG_ENTRIES: usize = 100_000;
/// Most bytes a membership log's entries may add up to (FORMAT.md#limits): 32 MiB.
pub const MAX_LOG_BYTES: usize = 32 * 1024 * 1024;
/// Most entries a case log may have (FORMAT.md#limits).
pub const MAX_CASE_LOG_ENTRIES: usize = 10_000;
/// Most bytes a case log's entries may add up to (FORMAT.md#limits): 4 MiB.
pub const MAX_CASE_LOG_BYTES: usize = 4 * 1024 * 1024;

/// Bytes of normalized text a blind index takes (FORMAT.md#blind-index).
pub const MAX_BLIND_INDEX_TEXT_LEN: usize = 1024;
