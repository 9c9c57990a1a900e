//! Fixtures shared by the fuzz targets: the members, workspace and log of tests/vectors, so
//! that the seed corpus (made from the vectors by `fuzz/seeds.mjs`) reaches past the cheap
//! checks into key derivation, signatures and AEADs.

use std::sync::OnceLock;

use confide::rng::seeded_rng;
use confide::{Head, MemberSecretKey, RecordContext, Workspace};

/// The Unix time the vectors are made at.
pub const T0: u64 = 1_790_000_000;

/// The context of every record vector.
pub const CTX: RecordContext<'static> = RecordContext {
    record_id: "n-42",
    field: "body",
};

/// Alice, who creates the vectors' workspace (seeded as in examples/make-vectors.rs).
pub fn alice() -> MemberSecretKey {
    MemberSecretKey::generate_with_rng(&mut seeded_rng([1; 32]))
}

/// Bob, to whom the vectors' grant is addressed.
pub fn bob() -> MemberSecretKey {
    MemberSecretKey::generate_with_rng(&mut seeded_rng([2; 32]))
}

/// The vectors' workspace, as Alice sees it: it opens the record vectors.
pub fn workspace() -> &'static Workspace {
    static WS: OnceLock<Workspace> = OnceLock::new();
    WS.get_or_init(|| {
        Workspace::create_with_rng(alice(), T0, &mut seeded_rng([3; 32]))
            .unwrap_or_else(|_| unreachable!("the genesis entry of a fixed workspace verifies"))
    })
}

/// A workspace three epochs old, as its server holds it: the log, Alice's grant of the
/// current epoch only (so a load walks back through history links), the genuine links, and
/// Alice's pinned head.
pub struct Rotated {
    /// Every log entry.
    pub log: Vec<Vec<u8>>,
    /// Alice's grant of the current epoch.
    pub grant: Vec<u8>,
    /// The history links of epochs 1 and 2.
    pub history: Vec<Vec<u8>>,
    /// The head Alice pinned.
    pub head: Head,
}

/// See [`Rotated`].
pub fn rotated() -> &'static Rotated {
    static R: OnceLock<Rotated> = OnceLock::new();
    R.get_or_init(|| {
        let mut ws = Workspace::create_with_rng(alice(), T0, &mut seeded_rng([3; 32]))
            .unwrap_or_else(|_| unreachable!("genesis verifies"));
        let mut history = Vec::new();
        let mut grant = Vec::new();
        for seed in [5u8, 6] {
            let rotation = ws
                .rotate_with_rng(T0 + u64::from(seed), &mut seeded_rng([seed; 32]))
                .unwrap_or_else(|_| unreachable!("the creator may rotate"));
            history.push(rotation.history_link);
            grant = rotation
                .grants
                .into_iter()
                .next()
                .map(|g| g.grant)
                .unwrap_or_default();
        }
        let membership = ws
            .membership()
            .unwrap_or_else(|| unreachable!("a created workspace has a log"));
        Rotated {
            log: membership.entries().map(<[u8]>::to_vec).collect(),
            grant,
            history,
            head: membership.head(),
        }
    })
}

/// Splits fuzz input into items framed as `u16 length || bytes` (big-endian), the framing
/// `fuzz/seeds.mjs` writes lists of vectors in; a short tail is the last item.
pub fn framed(mut data: &[u8]) -> Vec<&[u8]> {
    let mut items = Vec::new();
    while let [hi, lo, rest @ ..] = data {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
        let (item, tail) = rest.split_at(len);
        items.push(item);
        data = tail;
    }
    items
}
