//! The range reader (FORMAT.md#range-reads): chunks opened by index, the final one by its
//! length; a chunk opens only where the one-shot reader opens the whole record. With a
//! workspace's keys and with a case's (FORMAT.md#case-records).
#![no_main]
use confide::chunked::{ENCRYPTED_CHUNK_LEN, PREFIX_LEN};
use confide::{RecordChunkReader, RecordContext, RecordKeys};
use confide_fuzz::{CASE_CTX, CLEO, CTX, practice, workspace};
use libfuzzer_sys::fuzz_target;

const HEADER: usize = 26;

fn read(keys: &impl RecordKeys, ctx: &RecordContext<'_>, pick: u8, record: &[u8]) {
    let Ok(reader) = RecordChunkReader::new(keys, record, ctx) else {
        return;
    };
    let body = record.get(HEADER + PREFIX_LEN..).unwrap_or_default();
    let chunks: Vec<&[u8]> = body.chunks(ENCRYPTED_CHUNK_LEN).collect();
    let index = usize::from(pick) % chunks.len().max(1);
    if let Some(chunk) = chunks.get(index) {
        let is_final = index + 1 == chunks.len();
        let opened = reader.open_chunk(index as u64, chunk, is_final);
        // The wrong belief about finality never opens a chunk of the right length.
        let _ = reader.open_chunk(index as u64, chunk, !is_final);
        if opened.is_ok() && is_final && !reader.header().padded {
            // A final chunk that authenticates at its index ends a record of this length.
            assert!(body.len() % ENCRYPTED_CHUNK_LEN != 0);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, record)) = data.split_first() else {
        return;
    };
    read(workspace(), &CTX, pick, record);
    read(
        practice().case(CLEO).expect("on the case"),
        &CASE_CTX,
        pick,
        record,
    );
});
