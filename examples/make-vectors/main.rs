//! Writes tests/vectors/ from fixed seeds (docs/FORMAT.md#test-vectors).
//!
//! `cargo run --example make-vectors --features hazmat [DIR]`. Output is deterministic:
//! `make test-rust` regenerates into build/vectors and fails on any difference (format drift).

#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use base64ct::Encoding as _;
use confide::rng::seeded_rng;
use confide::{ContentType, EncryptOptions, MemberSecretKey, RecordContext, Role, Workspace};

mod cases;
mod integrity;

struct Vector {
    name: &'static str,
    fields: Vec<(String, String)>,
}

impl Vector {
    fn new(name: &'static str, expect: &str, kind: &str, comment: &str) -> Self {
        let fields = [("expect", expect), ("kind", kind), ("comment", comment)]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .to_vec();
        Self { name, fields }
    }

    /// Sets `key`, replacing an earlier value: each name appears once per file.
    fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        match self.fields.iter_mut().find(|(k, _)| k == key) {
            Some(field) => field.1 = value,
            None => self.fields.push((key.to_string(), value)),
        }
        self
    }

    fn hex(self, key: &str, bytes: &[u8]) -> Self {
        self.with(key, hex::encode(bytes))
    }

    fn write(&self, dir: &Path) {
        let mut out = String::new();
        for (k, v) in &self.fields {
            let _ = writeln!(out, "{k}: {v}");
        }
        fs::write(dir.join(format!("{}.txt", self.name)), out).expect("write vector");
    }
}

fn flip(bytes: &[u8], index: usize) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[index] ^= 0x01;
    b
}

/// The Unix time every vector is made at (2026-09-21).
const T0: u64 = 1_790_000_000;

fn main() {
    // Default: tests/vectors; `make test` writes to build/vectors and diffs the two.
    let dir = std::env::args().nth(1).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors"),
        std::path::PathBuf::from,
    );
    fs::create_dir_all(&dir).expect("create tests/vectors");
    let alice = MemberSecretKey::generate_with_rng(&mut seeded_rng([1; 32]));
    let bob = MemberSecretKey::generate_with_rng(&mut seeded_rng([2; 32]));
    let alice_seed = *alice.seed().expose_secret();
    let bob_seed = *bob.seed().expose_secret();
    let alice_bundle = alice.public_bundle().as_bytes().to_vec();
    let bob_bundle = bob.public_bundle().as_bytes().to_vec();

    Vector::new(
        "bundle",
        "success",
        "bundle",
        "a member's public bundle and fingerprint, derived from a fixed seed",
    )
    .hex("member seed", &alice_seed)
    .hex("bundle", &alice_bundle)
    .with("fingerprint", alice.fingerprint().to_digits())
    .hex("fingerprint id", &alice.fingerprint().id())
    .write(&dir);
    Vector::new(
        "bundle_bad_signature",
        "malformed",
        "bundle",
        "the last byte of the self-signature is altered",
    )
    .hex("bundle", &flip(&alice_bundle, alice_bundle.len() - 1))
    .write(&dir);
    Vector::new(
        "bundle_swapped_kem_key",
        "malformed",
        "bundle",
        "one byte of the X-Wing key is altered; the self-signature no longer covers it",
    )
    .hex("bundle", &flip(&alice_bundle, 100))
    .write(&dir);
    let mut v2 = alice_bundle.clone();
    v2[3] = 2;
    Vector::new(
        "bundle_unsupported_version",
        "unsupported_version",
        "bundle",
        "version byte 0x02",
    )
    .hex("bundle", &v2)
    .write(&dir);

    let ws =
        Workspace::create_with_rng(alice.rederive(), T0, &mut seeded_rng([3; 32])).expect("create");
    let key = ws.hazmat_content_key(0).expect("epoch 0 key");
    let grant = ws
        .grant_with_rng(&bob_bundle, &mut seeded_rng([4; 32]))
        .expect("grant");
    Vector::new(
        "grant",
        "success",
        "grant",
        "alice grants epoch 0 of her workspace to bob",
    )
    .hex("member seed", &bob_seed)
    .hex("granter bundle", &alice_bundle)
    .hex("grant", &grant)
    .hex("workspace id", ws.id().as_bytes())
    .with("epoch", "0")
    .hex("content key", &key)
    .write(&dir);
    Vector::new(
        "grant_not_for_this_member",
        "not_for_this_member",
        "grant",
        "alice tries to open the grant addressed to bob",
    )
    .hex("member seed", &alice_seed)
    .hex("granter bundle", &alice_bundle)
    .hex("grant", &grant)
    .write(&dir);
    Vector::new(
        "grant_wrong_granter",
        "bad_signature",
        "grant",
        "the grant is checked against bob's bundle, but alice signed it",
    )
    .hex("member seed", &bob_seed)
    .hex("granter bundle", &bob_bundle)
    .hex("grant", &grant)
    .write(&dir);
    Vector::new(
        "grant_bad_signature",
        "bad_signature",
        "grant",
        "one byte of the sealed key is altered, so the signature fails first",
    )
    .hex("member seed", &bob_seed)
    .hex("granter bundle", &alice_bundle)
    .hex("grant", &flip(&grant, 88 + 1120 + 3))
    .write(&dir);
    let mut g2 = grant.clone();
    g2[3] = 9;
    Vector::new(
        "grant_unsupported_version",
        "unsupported_version",
        "grant",
        "version byte 0x09",
    )
    .hex("member seed", &bob_seed)
    .hex("granter bundle", &alice_bundle)
    .hex("grant", &g2)
    .write(&dir);

    Vector::new(
        "grant_xwing_zero_x25519",
        "success",
        "grant",
        "the X25519 half of the X-Wing ciphertext is 32 zero bytes, so the X25519 shared secret is all zero: decapsulation must not reject it (FORMAT.md#x-wing)",
    )
    .hex("member seed", &bob_seed)
    .hex("granter bundle", &alice_bundle)
    .hex("grant", &grant_with_zero_x25519(&alice_seed, &bob_seed, &ws, &key))
    .hex("workspace id", ws.id().as_bytes())
    .with("epoch", "0")
    .hex("content key", &key)
    .write(&dir);

    let ctx = RecordContext {
        record_id: "n-42",
        field: "body",
    };
    let record_vector = |name: &'static str,
                         expect: &str,
                         comment: &str,
                         record: &[u8],
                         plaintext: Option<&[u8]>,
                         ctx: RecordContext<'_>| {
        let mut v = Vector::new(name, expect, "record", comment)
            .hex("member seed", &bob_seed)
            .hex("granter bundle", &alice_bundle)
            .hex("grant", &grant)
            .hex("content key", &key)
            .with("record id", ctx.record_id)
            .with("field", ctx.field)
            .hex("record", record);
        if let Some(p) = plaintext {
            v = v.hex("plaintext", p);
        }
        v.write(&dir);
    };
    let note = "Client reported better sleep.".as_bytes();
    let text_padded = EncryptOptions {
        content_type: ContentType::Text,
        pad: true,
    };
    let bytes_unpadded = EncryptOptions {
        content_type: ContentType::Bytes,
        pad: false,
    };
    let seal = |pt: &[u8], opts, salt_seed: u8| {
        ws.encrypt_with_rng(pt, &ctx, opts, &mut seeded_rng([salt_seed; 32]))
            .expect("encrypt")
    };

    let padded_note = seal(note, text_padded, 10);
    record_vector(
        "record_note",
        "success",
        "a short UTF-8 note, padded to 256 bytes",
        &padded_note,
        Some(note),
        ctx,
    );
    record_vector(
        "record_empty",
        "success",
        "an empty byte record, unpadded: one empty chunk",
        &seal(b"", bytes_unpadded, 11),
        Some(b""),
        ctx,
    );
    let full: Vec<u8> = (0..16384u32).map(|i| (i % 251) as u8).collect();
    record_vector(
        "record_one_full_chunk",
        "success",
        "16384 bytes: one full chunk and an empty final chunk",
        &seal(&full, bytes_unpadded, 12),
        Some(&full),
        ctx,
    );
    let multi: Vec<u8> = (0..40000u32).map(|i| (i * 7 % 256) as u8).collect();
    let multi_record = seal(&multi, bytes_unpadded, 13);
    record_vector(
        "record_multi_chunk",
        "success",
        "40000 bytes: two full chunks and a 7232-byte final chunk",
        &multi_record,
        Some(&multi),
        ctx,
    );
    // FORMAT.md#streaming: pushed in uneven pieces through the stream API; same bytes as one-shot.
    let mut enc = ws
        .encrypt_stream_with_rng(&ctx, bytes_unpadded, &mut seeded_rng([15; 32]))
        .expect("stream");
    let mut streamed = Vec::new();
    for piece in multi.chunks(5003) {
        streamed.extend(enc.push(piece).expect("push"));
    }
    streamed.extend(enc.finish().expect("finish"));
    record_vector(
        "record_streamed_multi_chunk",
        "success",
        "40000 bytes encrypted through the stream API in 5003-byte pushes: three chunks",
        &streamed,
        Some(&multi),
        ctx,
    );
    let unicode = "Séance — 睡眠が改善 🌙".as_bytes();
    record_vector(
        "record_unicode_padded_bytes",
        "success",
        "non-ASCII text stored as bytes, padded",
        &seal(
            unicode,
            EncryptOptions {
                content_type: ContentType::Bytes,
                pad: true,
            },
            14,
        ),
        Some(unicode),
        ctx,
    );

    record_vector(
        "record_wrong_record_id",
        "decryption_failed",
        "the record is opened under recordId n-43",
        &padded_note,
        None,
        RecordContext {
            record_id: "n-43",
            field: "body",
        },
    );
    record_vector(
        "record_wrong_field",
        "decryption_failed",
        "the record is opened under field title",
        &padded_note,
        None,
        RecordContext {
            record_id: "n-42",
            field: "title",
        },
    );
    record_vector(
        "record_bad_commitment",
        "decryption_failed",
        "one commitment byte altered",
        &flip(&padded_note, 26 + 24 + 5),
        None,
        ctx,
    );
    record_vector(
        "record_bad_tag",
        "decryption_failed",
        "the last tag byte altered",
        &flip(&padded_note, padded_note.len() - 1),
        None,
        ctx,
    );
    record_vector(
        "record_truncated_at_chunk_boundary",
        "decryption_failed",
        "the final chunk is dropped: two full chunks remain",
        &multi_record[..26 + 56 + 2 * 16400],
        None,
        ctx,
    );
    record_vector(
        "record_final_chunk_dropped_after_full",
        "decryption_failed",
        "the empty final chunk of a 16384-byte record is dropped",
        &seal(&full, bytes_unpadded, 12)[..26 + 56 + 16400],
        None,
        ctx,
    );
    let mut appended = multi_record.clone();
    appended.extend_from_slice(&[0u8; 16]);
    record_vector(
        "record_extended",
        "decryption_failed",
        "16 zero bytes appended",
        &appended,
        None,
        ctx,
    );
    record_vector(
        "record_header_content_type_changed",
        "decryption_failed",
        "the content type byte changed from text to bytes",
        &{
            let mut r = padded_note.clone();
            r[4] = 0;
            r
        },
        None,
        ctx,
    );
    record_vector(
        "record_header_padded_flag_cleared",
        "decryption_failed",
        "the padded flag cleared",
        &{
            let mut r = padded_note.clone();
            r[5] = 0;
            r
        },
        None,
        ctx,
    );
    record_vector(
        "record_bad_flags",
        "malformed",
        "a reserved flag bit set",
        &{
            let mut r = padded_note.clone();
            r[5] |= 0x80;
            r
        },
        None,
        ctx,
    );
    record_vector(
        "record_bad_content_type",
        "malformed",
        "content type 0x07",
        &{
            let mut r = padded_note.clone();
            r[4] = 7;
            r
        },
        None,
        ctx,
    );
    record_vector(
        "record_unsupported_version",
        "unsupported_version",
        "version byte 0x09",
        &{
            let mut r = padded_note.clone();
            r[3] = 9;
            r
        },
        None,
        ctx,
    );
    record_vector(
        "record_version_changed",
        "decryption_failed",
        "a version-2 record relabelled as version 1: the header is bound, and version 1 derives its keys with SHA-256",
        &{
            let mut r = padded_note.clone();
            r[3] = 1;
            r
        },
        None,
        ctx,
    );
    record_vector(
        "record_wrong_tag",
        "malformed",
        "tag CFX",
        &{
            let mut r = padded_note.clone();
            r[2] = b'X';
            r
        },
        None,
        ctx,
    );
    record_vector(
        "record_wrong_workspace",
        "wrong_workspace",
        "the workspace id's first byte altered",
        &flip(&padded_note, 6),
        None,
        ctx,
    );
    record_vector(
        "record_unknown_epoch",
        "unknown_epoch",
        "epoch 7, which this member holds no key for",
        &{
            let mut r = padded_note.clone();
            r[25] = 7;
            r
        },
        None,
        ctx,
    );
    record_vector(
        "record_too_short",
        "malformed",
        "a header and 10 bytes",
        &padded_note[..36],
        None,
        ctx,
    );
    membership_vectors(&dir, &alice, &bob);
    backup_vectors(&dir, &alice);
    cases::case_vectors(&dir);
    println!("wrote {}", dir.display());
}

fn hexes(items: &[&[u8]]) -> String {
    items.iter().map(hex::encode).collect::<Vec<_>>().join(" ")
}

/// FORMAT.md#membership-log, #invites, #history-link: one workspace's life, loaded by Carol.
fn membership_vectors(dir: &Path, alice: &MemberSecretKey, bob: &MemberSecretKey) {
    const WEEK: u64 = 7 * 86_400;
    let carol = MemberSecretKey::generate_with_rng(&mut seeded_rng([20; 32]));
    let carol_seed = *carol.seed().expose_secret();
    let bob_seed = *bob.seed().expose_secret();
    let mut team = Workspace::create_with_rng(alice.rederive(), T0, &mut seeded_rng([30; 32]))
        .expect("create");
    let inv_bob = team
        .create_invite_with_rng(Role::Member, T0 + 60, WEEK, &mut seeded_rng([32; 32]))
        .expect("invite bob");
    let acceptance_bob = inv_bob.link.accept(bob);
    let admit_bob = team
        .admit_with_rng(&acceptance_bob, T0 + 120, &mut seeded_rng([33; 32]))
        .expect("admit bob");
    let inv_carol = team
        .create_invite_with_rng(Role::Admin, T0 + 180, WEEK, &mut seeded_rng([34; 32]))
        .expect("invite carol");
    let carol_link = inv_carol.link.to_fragment();
    let admit_carol = team
        .admit_with_rng(
            &inv_carol.link.accept(&carol),
            T0 + 240,
            &mut seeded_rng([35; 32]),
        )
        .expect("admit carol");
    let rotation = team
        .rotate_with_rng(T0 + 300, &mut seeded_rng([36; 32]))
        .expect("rotate");
    let removal = team
        .remove_with_rng(&bob.fingerprint().id(), T0 + 360, &mut seeded_rng([37; 32]))
        .expect("remove bob");
    let log: Vec<&[u8]> = team.membership().expect("log").entries().collect();
    let head = team.head().expect("head").to_base64url();
    let grant_to = |grants: &[confide::MemberGrant], who: &MemberSecretKey| -> Vec<u8> {
        let id = who.fingerprint().id();
        grants
            .iter()
            .find(|g| g.member_id == id)
            .expect("grant")
            .grant
            .clone()
    };
    let carol_grants = [
        admit_carol.grant.clone(),
        grant_to(&rotation.grants, &carol),
        grant_to(&removal.grants, &carol),
    ];
    let history = [
        rotation.history_link.as_slice(),
        removal.history_link.as_slice(),
    ];
    let members = team
        .membership()
        .expect("log")
        .members()
        .map(|m| {
            let role = if m.role() == Role::Admin {
                "admin"
            } else {
                "member"
            };
            format!("{}:{role}", hex::encode(m.id()))
        })
        .collect::<Vec<_>>()
        .join(" ");
    let workspace = |name: &'static str, expect: &str, comment: &str| {
        Vector::new(name, expect, "workspace", comment).hex("member seed", &carol_seed)
    };
    let with_keys = |v: Vector| {
        let mut v = v
            .with("head", head.as_str())
            .with("epoch", "2")
            .with("members", members.as_str());
        for (epoch, name) in [
            (0, "content key 0"),
            (1, "content key 1"),
            (2, "content key 2"),
        ] {
            v = v.hex(name, &team.hazmat_content_key(epoch).expect("key"));
        }
        v
    };
    with_keys(
        workspace(
            "workspace_log",
            "success",
            "create, invite and admit bob (member) and carol (admin), rotate, remove bob; \
             carol loads with her invite link, her epoch-2 grant and both history links",
        )
        .with("log", hexes(&log))
        .with("grants", hexes(&[&carol_grants[2]]))
        .with("history", hexes(&history))
        .with("invite link", carol_link.as_str()),
    )
    .write(dir);
    with_keys(
        workspace(
            "workspace_grants_only",
            "success",
            "the same log, loaded with carol's grants for epochs 0, 1 and 2, no history \
             links, anchored by the head she pinned",
        )
        .with("log", hexes(&log))
        .with(
            "grants",
            hexes(&[&carol_grants[0], &carol_grants[1], &carol_grants[2]]),
        )
        .with("history", "")
        .with("pinned head", head.as_str()),
    )
    .write(dir);
    let failing = |name: &'static str, expect: &str, comment: &str, log: &[&[u8]]| {
        workspace(name, expect, comment)
            .with("log", hexes(log))
            .with("grants", hexes(&[&carol_grants[2]]))
            .with("history", hexes(&history))
    };
    failing(
        "workspace_no_trust_anchor",
        "no_trust_anchor",
        "carol loads with neither a pinned head nor her invite link",
        &log,
    )
    .write(dir);
    failing(
        "workspace_missing_grant",
        "missing_grant",
        "carol has only her epoch-0 grant; the log is at epoch 2",
        &log,
    )
    .with("grants", hexes(&[&carol_grants[0]]))
    .with("invite link", carol_link.as_str())
    .write(dir);
    let last = log.len() - 1;
    let bad_signature = flip(log[last], log[last].len() - 1);
    let mut altered = log.clone();
    altered[last] = &bad_signature;
    failing(
        "workspace_bad_signature",
        "bad_signature",
        "the last bit of the removal entry's signature is flipped",
        &altered,
    )
    .with("invite link", carol_link.as_str())
    .write(dir);
    let mut holed = log.clone();
    holed.remove(2);
    failing(
        "workspace_broken_chain",
        "broken_chain",
        "entry 2 (bob's admission) is missing",
        &holed,
    )
    .with("invite link", carol_link.as_str())
    .write(dir);
    failing(
        "workspace_rollback",
        "rollback_detected",
        "the log is cut after entry 5 but carol pinned the head at entry 6",
        &log[..6],
    )
    .with("pinned head", head.as_str())
    .write(dir);
    let mut forked = confide::Head::from_base64url(&head)
        .expect("head")
        .to_bytes();
    forked[51] ^= 1;
    failing(
        "workspace_fork",
        "fork_detected",
        "carol pinned a head at entry 6 whose hash differs from the log's entry 6",
        &log,
    )
    .with(
        "pinned head",
        base64ct::Base64UrlUnpadded::encode_string(&forked),
    )
    .write(dir);
    let mut mismatch =
        base64ct::Base64UrlUnpadded::decode_vec(carol_link.trim_start_matches("#confide-invite="))
            .expect("link");
    mismatch[49..81].copy_from_slice(&bob.fingerprint().id());
    failing(
        "workspace_inviter_mismatch",
        "inviter_mismatch",
        "carol's link names bob as the inviter; the log says alice",
        &log,
    )
    .with(
        "invite link",
        format!(
            "#confide-invite={}",
            base64ct::Base64UrlUnpadded::encode_string(&mismatch)
        ),
    )
    .write(dir);
    Vector::new(
        "workspace_removed_member",
        "not_a_member",
        "workspace",
        "bob, removed in entry 6, loads with his invite link and his grants",
    )
    .hex("member seed", &bob_seed)
    .with("log", hexes(&log))
    .with(
        "grants",
        hexes(&[&admit_bob.grant, &grant_to(&rotation.grants, bob)]),
    )
    .with("history", hexes(&history))
    .with("invite link", inv_bob.link.to_fragment().as_str())
    .write(dir);

    // FORMAT.md#invite-link, #acceptance: bob's link and his acceptance of it.
    let bob_link = inv_bob.link.to_fragment();
    let payload =
        base64ct::Base64UrlUnpadded::decode_vec(bob_link.trim_start_matches("#confide-invite="))
            .expect("link");
    Vector::new(
        "invite",
        "success",
        "invite",
        "alice's invite link for bob, and bob's acceptance of it",
    )
    .with("invite link", bob_link.as_str())
    .hex("workspace id", team.id().as_bytes())
    .hex("invite secret", &payload[17..49])
    .hex("inviter id", &alice.fingerprint().id())
    .hex("inviter seed", alice.seed().expose_secret())
    .hex("invite nonce", &log[1][97 + 32..97 + 48])
    .hex("invite id", &inv_bob.invite_id)
    .hex("invitee seed", &bob_seed)
    .hex("acceptance", &acceptance_bob)
    .write(dir);
    let mut v2 = payload.clone();
    v2[0] = 2;
    Vector::new(
        "invite_unsupported_version",
        "unsupported_version",
        "invite",
        "the link's version byte is 0x02",
    )
    .with(
        "invite link",
        format!(
            "#confide-invite={}",
            base64ct::Base64UrlUnpadded::encode_string(&v2)
        ),
    )
    .write(dir);
}

/// FORMAT.md#passphrase-backup and #recovery-kit: alice's seed as a backup and as a kit.
fn backup_vectors(dir: &Path, alice: &MemberSecretKey) {
    use confide::identity::backup::{self, KdfParams, limits};
    use confide::identity::recovery_kit;
    let seed = alice.seed().expose_secret();
    let passphrase = "correct horse battery staple";
    let least = KdfParams {
        memory_kib: limits::MIN_MEMORY_KIB,
        iterations: limits::MIN_ITERATIONS,
        parallelism: 1,
    };
    let bytes = backup::export_with_rng(alice, passphrase, least, &mut seeded_rng([40; 32]))
        .expect("backup");
    let vector = |name, expect, comment, b: &[u8], p: &str| {
        Vector::new(name, expect, "backup", comment)
            .hex("backup", b)
            .with("passphrase", p)
    };
    vector(
        "backup",
        "success",
        "alice's seed under a passphrase, Argon2id at the least accepted cost (64 MiB, 3 passes)",
        &bytes,
        passphrase,
    )
    .hex("member seed", seed)
    .write(dir);
    vector(
        "backup_wrong_passphrase",
        "wrong_passphrase",
        "one letter added to the passphrase",
        &bytes,
        "correct horse battery stapler",
    )
    .write(dir);
    vector(
        "backup_tampered",
        "decryption_failed",
        "one bit of the sealed seed flipped; the passphrase check still passes",
        &flip(&bytes, bytes.len() - 20),
        passphrase,
    )
    .write(dir);
    let mut huge = bytes.clone();
    huge[5..9].copy_from_slice(&(limits::MAX_MEMORY_KIB + 1).to_be_bytes());
    vector(
        "backup_memory_too_large",
        "malformed",
        "memory 1 GiB + 1 KiB: refused before any derivation",
        &huge,
        passphrase,
    )
    .write(dir);
    let mut passes = bytes.clone();
    passes[9..13].copy_from_slice(&u32::MAX.to_be_bytes());
    vector(
        "backup_too_many_passes",
        "malformed",
        "2^32 - 1 passes: refused before any derivation",
        &passes,
        passphrase,
    )
    .write(dir);
    let mut salt = bytes.clone();
    salt[14] = 15;
    vector(
        "backup_short_salt",
        "malformed",
        "a salt length of 15 bytes",
        &salt,
        passphrase,
    )
    .write(dir);
    let mut v2 = bytes.clone();
    v2[3] = 2;
    vector(
        "backup_unsupported_version",
        "unsupported_version",
        "version byte 0x02",
        &v2,
        passphrase,
    )
    .write(dir);

    let kit = recovery_kit::encode(alice.seed());
    let kit_vector = |name, expect, comment, text: &str| {
        Vector::new(name, expect, "recovery kit", comment).with("kit", text)
    };
    kit_vector("kit", "success", "alice's recovery kit", &kit)
        .hex("member seed", seed)
        .write(dir);
    let sloppy = kit
        .to_lowercase()
        .replace(' ', "-")
        .replace('0', "o")
        .replace('1', "l");
    kit_vector(
        "kit_sloppy",
        "success",
        "the same kit in lower case, hyphens for spaces, o for 0 and l for 1",
        &sloppy,
    )
    .hex("member seed", seed)
    .write(dir);
    let mut typo: Vec<char> = kit.chars().collect();
    typo[7] = if typo[7] == 'X' { 'Y' } else { 'X' };
    kit_vector(
        "kit_typo",
        "bad_recovery_kit",
        "one character changed",
        &typo.into_iter().collect::<String>(),
    )
    .write(dir);
    let mut swap: Vec<char> = kit.chars().collect();
    let i = (1..swap.len() - 1)
        .find(|&i| swap[i] != ' ' && swap[i + 1] != ' ' && swap[i] != swap[i + 1])
        .expect("two different neighbours");
    swap.swap(i, i + 1);
    kit_vector(
        "kit_swap",
        "bad_recovery_kit",
        "two neighbouring characters swapped",
        &swap.into_iter().collect::<String>(),
    )
    .write(dir);
}

/// A grant whose X-Wing ciphertext carries `ct_X = 0^32`, which no honest encapsulation
/// produces (a clamped scalar times the base point is never zero). Built below the API: an
/// honest ML-KEM half, the X25519 half zeroed, the shared secret from X-Wing's own
/// decapsulation (which must not reject it), then HPKE's key schedule and AEAD as in
/// FORMAT.md#sealing-a-grant, and alice's signature.
fn grant_with_zero_x25519(
    alice_seed: &[u8; 32],
    bob_seed: &[u8; 32],
    ws: &Workspace,
    key: &[u8; 32],
) -> Vec<u8> {
    use ed25519_dalek::Signer as _;
    use hpke::kdf::Kdf as _;
    use hpke::{Deserializable as _, Kem as _, Serializable as _};
    type XWing = hpke::kem::XWing;
    type Kdf = hpke::kdf::HkdfSha256;
    type Aead = hpke::aead::AesGcm256;
    let hkdf32 = |seed: &[u8; 32], info: &[u8]| {
        let mut out = [0u8; 32];
        hkdf::Hkdf::<sha2::Sha256>::new(Some(&[]), seed)
            .expand(info, &mut out)
            .expect("32 bytes");
        out
    };
    let bob_sk = <XWing as hpke::Kem>::PrivateKey::from_bytes(&hkdf32(
        bob_seed,
        b"confide/v1/member/x-wing",
    ))
    .expect("x-wing key");
    let bob_pk = XWing::sk_to_pk(&bob_sk);
    let (_, honest) =
        XWing::encap_with_rng(&bob_pk, None, &mut seeded_rng([5; 32])).expect("encap");
    let mut enc = honest.to_bytes().to_vec();
    enc[1088..].fill(0);
    let enc_key = <XWing as hpke::Kem>::EncappedKey::from_bytes(&enc).expect("enc");
    let shared = XWing::decap(&bob_sk, None, &enc_key).expect("decapsulation accepts ct_X = 0");
    let bob = MemberSecretKey::derive(confide::MemberSeed::from_bytes(*bob_seed));
    let alice = MemberSecretKey::derive(confide::MemberSeed::from_bytes(*alice_seed));
    let mut header = b"CFG\x01".to_vec();
    header.extend_from_slice(ws.id().as_bytes());
    header.extend_from_slice(&0u32.to_be_bytes());
    header.extend_from_slice(&bob.fingerprint().id());
    header.extend_from_slice(&alice.fingerprint().id());
    let mut info = b"confide/v1/grant\x00".to_vec();
    info.extend_from_slice(ws.id().as_bytes());
    info.extend_from_slice(&0u32.to_be_bytes());
    info.extend_from_slice(&bob.fingerprint().id());
    let mut aead: hpke::aead::AeadCtxS<Aead, Kdf, XWing> =
        Kdf::combine_secrets::<Aead, XWing, hpke::OpModeS<XWing>>(
            &hpke::OpModeS::Base,
            shared,
            &info,
        )
        .into();
    let sealed = aead.seal(key, &header).expect("seal");
    let mut grant = header;
    grant.extend_from_slice(&enc);
    grant.extend_from_slice(&sealed);
    let mut signed = b"confide/v1/grant-signature\x00".to_vec();
    signed.extend_from_slice(&grant);
    let signing =
        ed25519_dalek::SigningKey::from_bytes(&hkdf32(alice_seed, b"confide/v1/member/ed25519"));
    grant.extend_from_slice(&signing.sign(&signed).to_bytes());
    grant
}
