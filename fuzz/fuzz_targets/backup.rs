//! Passphrase backups (FORMAT.md#passphrase-backup): parsing, and opening with a fixed
//! stretched key (Argon2id itself is not fuzzed: it is the argon2 crate's, and slow).
#![no_main]
use confide::identity::backup;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = backup::parse(data) {
        assert!(
            (backup::limits::MIN_SALT_LEN..=backup::limits::MAX_SALT_LEN)
                .contains(&parsed.salt().len())
        );
        let _ = backup::open_with_stretched(&parsed, &[7u8; 32]);
    }
});
