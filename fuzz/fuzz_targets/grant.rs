//! Grants (FORMAT.md#opening-a-grant), opened by Bob against Alice's bundle.
#![no_main]
use confide::Workspace;
use confide_fuzz::{alice, bob};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    static ALICE: OnceLock<Vec<u8>> = OnceLock::new();
    let granter = ALICE.get_or_init(|| alice().public_bundle().as_bytes().to_vec());
    if let Ok(ws) = Workspace::open_grant(bob(), data, granter) {
        assert_eq!(
            ws.epoch(),
            u32::from_be_bytes([data[20], data[21], data[22], data[23]])
        );
    }
});
