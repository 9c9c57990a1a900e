//! Memory hygiene across the boundary (docs/SECURITY.md#memory).

use wasm_bindgen::prelude::*;

/// Bytes of wasm stack [`wipe_stack`] overwrites: more than the deepest call of this module
/// uses (the JS suite's memory scan checks that no secret survives below it).
const STACK_WIPE_BYTES: usize = 128 * 1024;

/// Overwrites the stack region the previous call from JS used. Called from JS right after
/// every call that handled a secret: values that Rust moved (a seed, a derived member, an
/// invite secret) leave copies in the frames they passed through, and a frame's memory is
/// not cleared when it returns. This call's own frame starts where the previous call's did,
/// so zeroing it clears theirs (docs/SECURITY.md#memory).
#[wasm_bindgen(js_name = wipeStack)]
pub fn wipe_stack() {
    let mut scratch = [0u64; STACK_WIPE_BYTES / 8];
    zeroize::Zeroize::zeroize(&mut scratch);
    core::hint::black_box(&scratch);
}
