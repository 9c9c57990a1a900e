//! The wasm layer in Node, headless Chromium and headless Firefox: round trips, typed
//! errors with stable codes, and the instance still working after every failure.

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use confide_wasm::{Member, Workspace, record_length};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

fn code(e: JsValue) -> String {
    js_sys::Reflect::get(&e, &JsValue::from_str("code"))
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_default()
}

fn err<T>(r: Result<T, JsValue>) -> JsValue {
    match r {
        Ok(_) => JsValue::from_str("unexpected success"),
        Err(e) => e,
    }
}

fn name(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &JsValue::from_str("name"))
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
fn note_round_trip_and_grant() {
    let alice = Member::generate().unwrap();
    let bob = Member::generate().unwrap();
    assert_eq!(
        Member::fingerprint_of(&bob.public_bundle()).unwrap(),
        bob.fingerprint()
    );
    let ws = Workspace::create(&alice, 1_790_000_000.0).unwrap();
    assert_eq!(ws.epoch(), 0);
    assert_eq!(ws.id_bytes().len(), 16);
    let record = ws
        .encrypt(
            b"Client reported better sleep.".to_vec(),
            true,
            "n-42",
            "body",
            true,
        )
        .unwrap();
    assert_eq!(record.len() as f64, record_length(29.0, true));
    let grant = ws.grant(&bob.public_bundle()).unwrap();
    let ws_bob = Workspace::open_grant(&bob, &grant, &alice.public_bundle()).unwrap();
    let plain = ws_bob.decrypt(&record, "n-42", "body").unwrap();
    assert_eq!(plain.to_vec(), b"Client reported better sleep.");
}

#[wasm_bindgen_test]
fn failures_are_typed_and_the_module_keeps_working() {
    let alice = Member::generate().unwrap();
    let bob = Member::generate().unwrap();
    let ws = Workspace::create(&alice, 1_790_000_000.0).unwrap();
    let record = ws
        .encrypt(b"note".to_vec(), true, "n-1", "body", true)
        .unwrap();

    let e = ws.decrypt(&record, "n-2", "body").unwrap_err();
    assert_eq!(name(&e), "ConfideError");
    assert_eq!(code(e), "decryption_failed");
    assert_eq!(
        code(ws.decrypt(&record[..20], "n-1", "body").unwrap_err()),
        "malformed"
    );
    assert_eq!(
        code(ws.decrypt(&[], "n-1", "body").unwrap_err()),
        "malformed"
    );
    assert_eq!(
        code(
            ws.encrypt(b"x".to_vec(), true, "", "body", true)
                .unwrap_err()
        ),
        "invalid_argument"
    );
    assert_eq!(
        code(Member::fingerprint_of(&[1, 2, 3]).unwrap_err()),
        "malformed"
    );
    let grant = ws.grant(&bob.public_bundle()).unwrap();
    assert_eq!(
        code(err(Workspace::open_grant(
            &alice,
            &grant,
            &alice.public_bundle()
        ))),
        "not_for_this_member"
    );
    assert_eq!(
        code(err(Workspace::open_grant(
            &bob,
            &grant,
            &bob.public_bundle()
        ))),
        "bad_signature"
    );
    let other = Workspace::create(&bob, 1_790_000_000.0).unwrap();
    assert_eq!(
        code(other.decrypt(&record, "n-1", "body").unwrap_err()),
        "wrong_workspace"
    );
    let mut tampered = record.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(
        code(ws.decrypt(&tampered, "n-1", "body").unwrap_err()),
        "decryption_failed"
    );
    assert_eq!(record_length(-1.0, true), -1.0);
    assert_eq!(record_length(f64::NAN, true), -1.0);

    // Still alive: a full round trip after all of the above.
    assert_eq!(
        ws.decrypt(&record, "n-1", "body").unwrap().to_vec(),
        b"note"
    );
}

#[wasm_bindgen_test]
fn multi_chunk_records_round_trip() {
    let ws = Workspace::create(&Member::generate().unwrap(), 1_790_000_000.0).unwrap();
    for len in [0usize, 16383, 16384, 16385, 100_000] {
        let data: Vec<u8> = (0..len).map(|i| u8::try_from(i % 253).unwrap()).collect();
        let record = ws
            .encrypt(data.clone(), false, "rec-7", "audio", false)
            .unwrap();
        assert_eq!(record.len() as f64, record_length(len as f64, false));
        assert_eq!(
            ws.decrypt(&record, "rec-7", "audio").unwrap().to_vec(),
            data
        );
    }
}

#[wasm_bindgen_test]
fn stream_exports_fail_typed_after_finish_or_failure_and_the_module_keeps_working() {
    use confide_wasm::{ChunkReader, Decryptor, MessageKeys};
    let ws = Workspace::create(&Member::generate().unwrap(), 1_790_000_000.0).unwrap();
    let mut enc = ws.encrypt_stream(false, "rec-7", "audio", false).unwrap();
    let mut record = enc.push(vec![5u8; 40_000]).unwrap();
    record.extend(enc.finish().unwrap());
    assert_eq!(code(enc.finish().unwrap_err()), "invalid_argument");
    assert_eq!(code(enc.push(vec![1]).unwrap_err()), "invalid_argument");

    let mut dec = Decryptor::new("rec-7", "audio").unwrap();
    let mut tampered = record.clone();
    tampered[200] ^= 1;
    assert_eq!(code(err(dec.push(&ws, &tampered))), "decryption_failed");
    assert_eq!(code(err(dec.push(&ws, &[]))), "decryption_failed");
    assert_eq!(code(err(Decryptor::new("", "audio"))), "invalid_argument");

    let reader = ChunkReader::new(&ws, &record[..98], "rec-7", "audio").unwrap();
    for bad in [-1.0, 0.5, f64::NAN, f64::INFINITY, 2f64.powi(38)] {
        assert_eq!(
            code(err(reader.open_chunk(bad, &record[82..82 + 16400], false))),
            "invalid_argument"
        );
    }
    assert_eq!(
        reader
            .open_chunk(0.0, &record[82..82 + 16400], false)
            .unwrap()
            .length(),
        16384
    );
    assert_eq!(
        code(err(MessageKeys::for_decryption(
            &ws,
            &record[..40],
            "rec-7",
            "audio"
        ))),
        "malformed"
    );
    let keys = MessageKeys::for_decryption(&ws, &record[..98], "rec-7", "audio").unwrap();
    assert!(!keys.padded() && !keys.text());

    let mut dec = Decryptor::new("rec-7", "audio").unwrap();
    let mut out = dec.push(&ws, &record).unwrap().to_vec();
    out.extend(dec.finish().unwrap().to_vec());
    assert_eq!(out, vec![5u8; 40_000]);
}
