//! Passphrase backups and recovery kits (docs/FORMAT.md#passphrase-backup,
//! docs/FORMAT.md#recovery-kit), including hostile backups and every typo of a kit.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::{Duration, Instant};

use confide::identity::backup::{self, KdfParams, Strength, limits};
use confide::identity::recovery_kit::{self, KIT_SYMBOLS};
use confide::rng::seeded_rng;
use confide::{ErrorCode, MemberSecretKey, MemberSeed};

const PASSPHRASE: &str = "correct horse battery staple";
/// The least a backup may cost: tests use it to stay fast.
const LEAST: KdfParams = KdfParams {
    memory_kib: limits::MIN_MEMORY_KIB,
    iterations: limits::MIN_ITERATIONS,
    parallelism: 1,
};

fn member() -> MemberSecretKey {
    MemberSecretKey::derive(MemberSeed::from_bytes([7; 32]))
}

fn code<T>(r: Result<T, confide::BackupError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

fn backup_of(m: &MemberSecretKey) -> Vec<u8> {
    backup::export_with_rng(m, PASSPHRASE, LEAST, &mut seeded_rng([9; 32])).unwrap()
}

#[test]
fn a_backup_opens_with_its_passphrase_to_the_same_member() {
    let m = member();
    let bytes = backup_of(&m);
    assert_eq!(bytes.len(), 139);
    let back = backup::import(&bytes, PASSPHRASE).unwrap();
    assert_eq!(back.fingerprint(), m.fingerprint());
    // Two backups of the same member never share salt or nonce.
    let other = backup::export_with_rng(&m, PASSPHRASE, LEAST, &mut seeded_rng([10; 32])).unwrap();
    assert_ne!(other[15..47], bytes[15..47]);
}

#[test]
fn a_wrong_passphrase_is_wrong_passphrase() {
    let bytes = backup_of(&member());
    assert_eq!(
        code(backup::import(&bytes, "correct horse battery stapler")),
        "wrong_passphrase"
    );
    assert_eq!(code(backup::import(&bytes, "")), "wrong_passphrase");
}

#[test]
fn hostile_parameters_are_refused_before_any_work() {
    let bytes = backup_of(&member());
    let with = |offset: usize, value: &[u8]| {
        let mut b = bytes.clone();
        b[offset..offset + value.len()].copy_from_slice(value);
        b
    };
    let cases = [
        (
            "memory above 1 GiB",
            with(5, &(limits::MAX_MEMORY_KIB + 1).to_be_bytes()),
        ),
        ("memory of 4 GiB", with(5, &u32::MAX.to_be_bytes())),
        (
            "memory below 64 MiB",
            with(5, &(limits::MIN_MEMORY_KIB - 1).to_be_bytes()),
        ),
        ("17 passes", with(9, &17u32.to_be_bytes())),
        ("4 billion passes", with(9, &u32::MAX.to_be_bytes())),
        ("2 passes", with(9, &2u32.to_be_bytes())),
        ("255 lanes", with(13, &[255])),
        ("0 lanes", with(13, &[0])),
        ("a 15-byte salt", with(14, &[15])),
        ("a 200-byte salt", with(14, &[200])),
        ("another algorithm", with(4, &[2])),
        ("truncated", bytes[..100].to_vec()),
        ("extended", [bytes.clone(), vec![0]].concat()),
    ];
    // One honest open at the least cost, for scale.
    let t = Instant::now();
    backup::import(&bytes, PASSPHRASE).unwrap();
    let honest = t.elapsed();
    for (what, b) in cases {
        let t = Instant::now();
        assert_eq!(code(backup::import(&b, PASSPHRASE)), "malformed", "{what}");
        assert!(backup::parse(&b).is_err(), "{what}: parse alone refuses it");
        // Refused without running Argon2: far below one derivation at the least cost.
        assert!(
            t.elapsed() < honest / 10 + Duration::from_millis(2),
            "{what} took {:?}",
            t.elapsed()
        );
    }
}

#[test]
fn exporting_with_parameters_outside_the_limits_is_invalid_argument() {
    let m = member();
    for params in [
        KdfParams {
            memory_kib: limits::MIN_MEMORY_KIB - 1,
            ..LEAST
        },
        KdfParams {
            memory_kib: limits::MAX_MEMORY_KIB + 1,
            ..LEAST
        },
        KdfParams {
            iterations: limits::MIN_ITERATIONS - 1,
            ..LEAST
        },
        KdfParams {
            iterations: limits::MAX_ITERATIONS + 1,
            ..LEAST
        },
        KdfParams {
            parallelism: 0,
            ..LEAST
        },
        KdfParams {
            parallelism: limits::MAX_PARALLELISM + 1,
            ..LEAST
        },
    ] {
        let got = backup::export_with_rng(&m, PASSPHRASE, params, &mut seeded_rng([1; 32]));
        assert_eq!(code(got), "invalid_argument", "{params:?}");
    }
}

#[test]
fn stretching_alone_refuses_what_a_backup_could_not_hold_before_any_work() {
    // The entry the JS package's Argon2 worker calls: bounds checked here too, not only by parse.
    let salt = [7u8; 32];
    let cases = [
        (
            KdfParams {
                memory_kib: limits::MAX_MEMORY_KIB + 1,
                ..LEAST
            },
            &salt[..],
        ),
        (
            KdfParams {
                iterations: u32::MAX,
                ..LEAST
            },
            &salt[..],
        ),
        (
            KdfParams {
                parallelism: 0,
                ..LEAST
            },
            &salt[..],
        ),
        (LEAST, &salt[..limits::MIN_SALT_LEN - 1]),
        (LEAST, &[0u8; limits::MAX_SALT_LEN + 1][..]),
    ];
    for (params, salt) in cases {
        let t = Instant::now();
        let got = backup::stretch(PASSPHRASE, salt, params).map(|_| ());
        assert_eq!(
            code(got),
            "invalid_argument",
            "{params:?}, salt {}",
            salt.len()
        );
        assert!(t.elapsed() < Duration::from_millis(20));
    }
    // And what it returns is what export and import use: k of FORMAT.md#passphrase-backup.
    let m = member();
    let bytes = backup_of(&m);
    let parsed = backup::parse(&bytes).unwrap();
    let k = backup::stretch(PASSPHRASE, parsed.salt(), parsed.params).unwrap();
    let opened = backup::open_with_stretched(&parsed, &k).unwrap();
    assert_eq!(opened.seed().expose_secret(), m.seed().expose_secret());
}

#[test]
fn weak_passphrases_are_refused_with_weak_passphrase() {
    let m = member();
    for weak in [
        "",
        "short",
        "elevenchars",
        "aaaaaaaaaaaaaaaa",
        "abababababababab",
        "123456789012",
        "abcdefghijklmnop",
        "qwertyuiopasdf",
        "passwordpassword",
        "Password1234!",
        "password123456",
        "Therapy2024!!",
        "09876543210987",
    ] {
        assert_eq!(
            code(backup::export_with_rng(
                &m,
                weak,
                LEAST,
                &mut seeded_rng([1; 32])
            )),
            "weak_passphrase",
            "{weak:?} was accepted"
        );
    }
    for fine in [
        PASSPHRASE,
        "river ochre lantern 42",
        "Séance du mardi à 9h",
        "睡眠が改善した月曜日の朝",
    ] {
        let checked = backup::check_passphrase(fine);
        assert!(checked.is_ok(), "{fine:?} was refused: {checked:?}");
    }
}

#[test]
fn the_default_strengths_are_at_least_64_mib_and_3_passes() {
    for s in [Strength::Interactive, Strength::Sensitive] {
        let p = s.params();
        assert!(p.memory_kib >= 64 * 1024 && p.iterations >= 3, "{s:?}");
        assert!(p.memory_kib <= limits::MAX_MEMORY_KIB && p.iterations <= limits::MAX_ITERATIONS);
    }
}

#[test]
fn error_messages_never_hold_the_passphrase() {
    let m = member();
    let secret = "hunter2hunter2";
    let e = backup::export_with_rng(&m, secret, LEAST, &mut seeded_rng([1; 32])).unwrap_err();
    assert!(!e.to_string().contains("hunter"));
    let Err(e) = backup::import(&backup_of(&m), secret) else {
        panic!("opened with the wrong passphrase");
    };
    assert!(!e.to_string().contains("hunter"));
}

// ---------- recovery kit -----------------------------------------------------------------

const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[test]
fn a_kit_round_trips_and_forgives_case_whitespace_and_look_alikes() {
    let seed = MemberSeed::from_bytes(*member().seed().expose_secret());
    let kit = recovery_kit::encode(&seed);
    assert_eq!(kit.len(), KIT_SYMBOLS + 10);
    assert!(kit.split(' ').all(|g| g.len() == 5), "{}", kit.as_str());
    assert!(kit.starts_with('1'));
    let back = recovery_kit::decode(&kit).unwrap();
    assert_eq!(back.expose_secret(), seed.expose_secret());
    let sloppy = kit
        .to_lowercase()
        .replace(' ', "")
        .replace('0', "o")
        .replace('1', "l");
    let sloppy = format!("  {}\n-{}  ", &sloppy[..20], &sloppy[20..]);
    assert_eq!(
        recovery_kit::decode(&sloppy).unwrap().expose_secret(),
        seed.expose_secret()
    );
}

#[test]
fn every_single_typo_and_adjacent_swap_of_a_kit_is_detected() {
    for n in [0u8, 7, 255] {
        let seed = MemberSeed::from_bytes([n; 32]);
        let kit: String = recovery_kit::encode(&seed).replace(' ', "");
        let symbols: Vec<char> = kit.chars().collect();
        for i in 0..symbols.len() {
            for c in ALPHABET.chars().chain("U!".chars()) {
                if c == symbols[i] {
                    continue;
                }
                let mut typo = symbols.clone();
                typo[i] = c;
                let typo: String = typo.into_iter().collect();
                assert_eq!(
                    code(recovery_kit::decode(&typo)),
                    "bad_recovery_kit",
                    "{i} -> {c}"
                );
            }
            if i + 1 < symbols.len() && symbols[i] != symbols[i + 1] {
                let mut swap = symbols.clone();
                swap.swap(i, i + 1);
                let swap: String = swap.into_iter().collect();
                assert_eq!(
                    code(recovery_kit::decode(&swap)),
                    "bad_recovery_kit",
                    "swap {i}"
                );
            }
        }
        // A dropped or an extra symbol.
        assert_eq!(code(recovery_kit::decode(&kit[1..])), "bad_recovery_kit");
        assert_eq!(
            code(recovery_kit::decode(&format!("{kit}0"))),
            "bad_recovery_kit"
        );
    }
}

proptest::proptest! {
    #[test]
    fn any_seed_round_trips_through_a_kit(seed in proptest::array::uniform32(proptest::prelude::any::<u8>())) {
        let kit = recovery_kit::encode(&MemberSeed::from_bytes(seed));
        let back = recovery_kit::decode(&kit).unwrap();
        proptest::prop_assert_eq!(back.expose_secret(), &seed);
    }

    #[test]
    fn garbage_never_panics_the_kit_parser(text in ".{0,80}") {
        let _ = recovery_kit::decode(&text);
    }
}

/// Every changed byte of a backup is refused, and which changes read as a wrong passphrase is
/// what SECURITY.md's table says (issue 10, defect 6): this flips a bit of every byte and
/// checks each against its row.
#[test]
fn every_altered_byte_reads_as_security_md_says() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/SECURITY.md")).unwrap();
    let start = doc
        .find("<!-- backup-tampering-table -->")
        .expect("the table's start");
    let end = doc
        .find("<!-- /backup-tampering-table -->")
        .expect("the table's end");
    // Rows: "| first to last | field | codes in backticks |".
    let mut rows = Vec::new();
    for line in doc[start..end].lines().map(str::trim) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(range) = cells.get(1) else { continue };
        let bounds: Vec<usize> = range.split(" to ").filter_map(|n| n.parse().ok()).collect();
        let (first, last) = match bounds.as_slice() {
            [one] => (*one, *one),
            [first, last] => (*first, *last),
            _ => continue,
        };
        let codes: Vec<&str> = cells[3].split('`').skip(1).step_by(2).collect();
        rows.push((first, last, codes));
    }
    let bytes = backup_of(&member());
    let covered: usize = rows.iter().map(|(f, l, _)| l - f + 1).sum();
    assert_eq!(covered, bytes.len(), "the table covers every byte once");
    for (first, last, codes) in &rows {
        for i in *first..=*last {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            let got = code(backup::import(&b, PASSPHRASE));
            assert!(
                codes.contains(&got),
                "byte {i}: {got}, SECURITY.md says {codes:?}"
            );
        }
    }
}
