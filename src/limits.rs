//! Every documented cap on what Confide accepts (docs/FORMAT.md#limits). They sit at the
//! bottom of the crate so that errors can name them without importing the layers above.

/// Longest `recordId` or `field`, in UTF-8 bytes.
pub const MAX_CONTEXT_FIELD_LEN: usize = 1024;
/// Longest plaintext a one-shot record takes; larger inputs are streamed.
pub const MAX_ONE_SHOT_LEN: usize = 256 * 1024 * 1024;
