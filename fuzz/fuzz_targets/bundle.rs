//! Public bundles (FORMAT.md#public-bundle): a bundle that parses keeps its exact bytes.
#![no_main]
use confide::MemberPublicBundle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = MemberPublicBundle::from_bytes(data) {
        assert_eq!(bundle.as_bytes(), data);
        assert_eq!(bundle.fingerprint().to_digits().len(), 71);
    }
});
