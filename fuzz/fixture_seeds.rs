//! Writes seed corpora made from the fixtures, for what tests/vectors has no vectors of
//! (cases: FORMAT.md#cases), beside the ones `fuzz/seeds.mjs` makes from the vectors.
//! Usage: fixture_seeds OUT_DIR   (make fuzz writes build/fuzz/corpus/<target>/)
//!
//! Not a fuzz target: `cargo fuzz build` builds it with the targets' instrumentation, whose
//! coverage callbacks libFuzzer's runtime provides, hence the `libfuzzer_sys` import; its own
//! `main` keeps libFuzzer's out.

use std::fs;
use std::path::Path;

use confide_fuzz::{integrity, practice};
use libfuzzer_sys as _;

/// `u16 length || bytes` per item: the framing of the list targets (`confide_fuzz::framed`).
fn framed(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for item in items {
        let len = u16::try_from(item.len()).expect("an entry is shorter than 64 KiB");
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(item);
    }
    out
}

fn main() {
    let out = std::env::args()
        .nth(1)
        .expect("usage: fixture_seeds OUT_DIR");
    let p = practice();
    let mut seeds: Vec<(&str, String, Vec<u8>)> = Vec::new();
    for (name, log) in ["case", "fork", "deleted"].into_iter().zip(p.logs()) {
        for (i, entry) in log.iter().enumerate() {
            seeds.push(("case_entry", format!("{name}-{i}"), entry.clone()));
        }
        seeds.push(("case_log", name.to_string(), framed(log)));
    }
    for (name, states) in ["case", "fork", "deleted"].into_iter().zip(&p.states) {
        for (i, state) in states.iter().enumerate() {
            let text = state.head.to_base64url().into_bytes();
            seeds.push(("case_head", format!("{name}-{i}"), text));
        }
    }
    for (name, grants) in ["case", "fork", "deleted"].into_iter().zip(&p.grants) {
        for (i, (to, grant)) in grants.iter().enumerate() {
            if name == "fork" && p.grants[0].iter().any(|(_, g)| g == grant) {
                continue; // the fork shares the case's first grants
            }
            seeds.push(("case_grant", format!("{name}-{i}-to-{to}"), grant.clone()));
        }
    }
    for (i, (record, _)) in p.records.iter().enumerate() {
        seeds.push(("record", format!("case-{i}"), record.clone()));
        for size in [1u8, 170] {
            let mut framed = vec![size];
            framed.extend_from_slice(record);
            seeds.push(("record_stream", format!("case-{i}-{size}"), framed));
        }
        let mut ranged = vec![0u8];
        ranged.extend_from_slice(record);
        seeds.push(("record_range", format!("case-{i}"), ranged));
    }
    // Record integrity: histories with each pin, the fork, the sign-off, the trail.
    let fx = integrity();
    let h = &fx.history;
    for (name, list) in [
        ("whole", h.clone()),
        ("two", h[..2].to_vec()),
        ("one", h[..1].to_vec()),
        ("after-1", h[1..].to_vec()),
        ("fork", vec![h[0].clone(), fx.fork.0.clone()]),
    ] {
        for pick in 0u8..3 {
            let mut seed = vec![pick];
            seed.extend_from_slice(&framed(&list));
            seeds.push(("revision_history", format!("{name}-{pick}"), seed));
        }
    }
    seeds.push(("sign_off", "genuine".to_string(), fx.sign_off.clone()));
    for k in 1..=fx.audit.len() {
        seeds.push(("audit_trail", format!("prefix-{k}"), framed(&fx.audit[..k])));
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for (target, name, bytes) in &seeds {
        let dir = Path::new(&out).join(target);
        fs::create_dir_all(&dir).expect("create the corpus directory");
        fs::write(dir.join(name), bytes).expect("write a seed");
        match counts.iter_mut().find(|(t, _)| t == target) {
            Some((_, n)) => *n += 1,
            None => counts.push((target, 1)),
        }
    }
    let summary: Vec<String> = counts.iter().map(|(t, n)| format!("{t}: {n}")).collect();
    println!("from fixtures: {}", summary.join(", "));
}
