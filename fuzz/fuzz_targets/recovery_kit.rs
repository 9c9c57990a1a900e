//! Recovery kits (FORMAT.md#recovery-kit): any text; a kit that decodes encodes back to a
//! text that decodes to the same seed.
#![no_main]
use confide::identity::recovery_kit;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(seed) = recovery_kit::decode(&text) {
        let written = recovery_kit::encode(&seed);
        let again = recovery_kit::decode(&written).expect("a written kit decodes");
        assert_eq!(again.expose_secret(), seed.expose_secret());
    }
});
