//! Writes the membership log `make bench` loads (BENCHMARKS.md, "Loading a long log"):
//! 10,000 entries, with 100 admins admitted and then 9,899 rotations, the shape that kept a
//! copy of the admin list per epoch before. Also the creator's seed, her grant of the last
//! epoch and the head, so the bench can load it as her.
//!
//! `cargo run --release --example bench-log --features hazmat -- OUT_FILE`. Output: one JSON
//! object with hex fields.

#![allow(clippy::expect_used)]

use std::fmt::Write as _;

use confide::rng::seeded_rng;
use confide::{InviteLink, MemberSecretKey, MemberSeed, Role, Workspace};

const T0: u64 = 1_790_000_000;
const ADMINS: u8 = 100;
const ENTRIES: usize = 10_000;

fn main() {
    let out = std::env::args().nth(1).expect("usage: bench-log OUT_FILE");
    let seed = [42u8; 32];
    let creator = MemberSecretKey::derive(MemberSeed::from_bytes(seed));
    let bundle = creator.public_bundle().as_bytes().to_vec();
    let mut ws = Workspace::create_with_rng(creator, T0, &mut seeded_rng([1; 32])).expect("create");
    for n in 0..ADMINS {
        let invite = ws.create_invite(Role::Admin, T0 + 1, 3600).expect("invite");
        let link = InviteLink::parse(&invite.link.to_fragment()).expect("link");
        let invitee = MemberSecretKey::generate_with_rng(&mut seeded_rng([n; 32]));
        ws.admit(&link.accept(&invitee), T0 + 2).expect("admit");
    }
    let mut rng = seeded_rng([2; 32]);
    while ws.membership().expect("log").len() < ENTRIES {
        ws.hazmat_rotate_without_grants(T0 + 3, &mut rng)
            .expect("rotate");
    }
    let grant = ws.grant(&bundle).expect("grant of the last epoch");
    let log = ws.membership().expect("log");
    let mut json = String::from("{\"seed\":\"");
    json.push_str(&hex(&seed));
    let _ = write!(
        json,
        "\",\"head\":\"{}\",\"grant\":\"{}\",\"log\":[",
        log.head().to_base64url(),
        hex(&grant)
    );
    for (i, entry) in log.entries().enumerate() {
        let _ = write!(json, "{}\"{}\"", if i > 0 { "," } else { "" }, hex(entry));
    }
    json.push_str("]}");
    std::fs::write(&out, json).expect("write");
    eprintln!(
        "{} entries, {} bytes, epoch {}",
        log.len(),
        log.byte_len(),
        log.epoch()
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
