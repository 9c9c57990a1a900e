//! Records: lengths, streams, range reads, and message keys for the WebCrypto engine.

use crate::convert::*;
use crate::workspace::Workspace;
use confide::{ContentType, RecordContext, RecordKeys};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// Exact length of the record for `len` plaintext bytes, or -1 past the one-shot limit.
#[wasm_bindgen(js_name = recordLength)]
pub fn record_length(len: f64, padded: bool) -> f64 {
    if !(0.0..=confide::record::MAX_ONE_SHOT_LEN as f64).contains(&len) || len.fract() != 0.0 {
        return -1.0;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked range above
    let n = len as usize;
    confide::record::record_len(n, padded).map_or(-1.0, |l| l as f64)
}

/// An incremental record encryptor (FORMAT.md#streaming).
#[wasm_bindgen(js_name = WasmEncryptor)]
pub struct Encryptor(pub(crate) Option<confide::RecordEncryptor>);

#[wasm_bindgen(js_class = WasmEncryptor)]
impl Encryptor {
    /// Plaintext in (taken by value so its wasm copy is zeroized), ciphertext out.
    pub fn push(&mut self, data: Vec<u8>) -> Result<Vec<u8>, JsValue> {
        let data = Zeroizing::new(data);
        match &mut self.0 {
            Some(enc) => enc.push(&data).map_err(to_js),
            None => Err(js_error(
                "invalid_argument",
                "the stream has already finished",
            )),
        }
    }

    /// The final chunk. The encryptor cannot be used afterwards.
    pub fn finish(&mut self) -> Result<Vec<u8>, JsValue> {
        match self.0.take() {
            Some(enc) => enc.finish().map_err(to_js),
            None => Err(js_error(
                "invalid_argument",
                "the stream has already finished",
            )),
        }
    }
}

/// An incremental record decryptor (FORMAT.md#streaming).
#[wasm_bindgen(js_name = WasmDecryptor)]
pub struct Decryptor(Option<confide::RecordDecryptor>);

#[wasm_bindgen(js_class = WasmDecryptor)]
impl Decryptor {
    /// A decryptor for a record bound to `record_id` and `field`.
    #[wasm_bindgen(constructor)]
    pub fn new(record_id: &str, field: &str) -> Result<Decryptor, JsValue> {
        let ctx = RecordContext { record_id, field };
        confide::RecordDecryptor::new(&ctx)
            .map(|d| Decryptor(Some(d)))
            .map_err(to_js)
    }

    /// Ciphertext in; plaintext of every chunk that authenticated out.
    pub fn push(&mut self, workspace: &Workspace, data: &[u8]) -> Result<Uint8Array, JsValue> {
        self.push_with(&workspace.0, data)
    }

    /// Opens the final chunk and checks the record is complete.
    pub fn finish(&mut self) -> Result<Uint8Array, JsValue> {
        match self.0.take() {
            Some(dec) => dec.finish().map(|p| secret_to_js(&p)).map_err(to_js),
            None => Err(js_error(
                "invalid_argument",
                "the stream has already finished",
            )),
        }
    }
}

impl Decryptor {
    /// [`Decryptor::push`] with any record keys: a workspace's or a case's.
    pub(crate) fn push_with(
        &mut self,
        keys: &(impl RecordKeys + ?Sized),
        data: &[u8],
    ) -> Result<Uint8Array, JsValue> {
        match &mut self.0 {
            Some(dec) => dec
                .push(keys, data)
                .map(|p| secret_to_js(&p))
                .map_err(to_js),
            None => Err(js_error(
                "invalid_argument",
                "the stream has already finished",
            )),
        }
    }
}

/// Opens chunks of one record by index, for range reads (FORMAT.md#range-reads).
#[wasm_bindgen(js_name = WasmChunkReader)]
pub struct ChunkReader(confide::RecordChunkReader);

#[wasm_bindgen(js_class = WasmChunkReader)]
impl ChunkReader {
    /// Checks header and commitment from the record's first 98 bytes.
    #[wasm_bindgen(constructor)]
    pub fn new(
        workspace: &Workspace,
        start: &[u8],
        record_id: &str,
        field: &str,
    ) -> Result<ChunkReader, JsValue> {
        Self::with_keys(&workspace.0, start, record_id, field)
    }

    /// Whether the record's plaintext is padded.
    #[wasm_bindgen(getter)]
    pub fn padded(&self) -> bool {
        self.0.header().padded
    }

    /// Opens chunk `index` (an integer below 2^38).
    #[wasm_bindgen(js_name = openChunk)]
    pub fn open_chunk(
        &self,
        index: f64,
        chunk: &[u8],
        is_final: bool,
    ) -> Result<Uint8Array, JsValue> {
        if !(0.0..(1u64 << 38) as f64).contains(&index) || index.fract() != 0.0 {
            return Err(js_error(
                "invalid_argument",
                "chunk index: expected an integer in [0, 2^38)",
            ));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked range above
        let index = index as u64;
        self.0
            .open_chunk(index, chunk, is_final)
            .map(|p| secret_to_js(&p))
            .map_err(to_js)
    }
}

/// One record's prefix and message keys for the JS WebCrypto engine (FORMAT.md#streaming).
#[wasm_bindgen(js_name = WasmMessageKeys)]
pub struct MessageKeys {
    pub(crate) prefix: Vec<u8>,
    pub(crate) padded: bool,
    pub(crate) text: bool,
    pub(crate) material: confide::MessageKeyMaterial,
}

#[wasm_bindgen(js_class = WasmMessageKeys)]
impl MessageKeys {
    /// Keys for a new unpadded record in `workspace`'s current epoch.
    #[wasm_bindgen(js_name = forEncryption)]
    pub fn for_encryption(
        workspace: &Workspace,
        is_text: bool,
        record_id: &str,
        field: &str,
    ) -> Result<MessageKeys, JsValue> {
        Self::encryption_with_type(&workspace.0, content_type(is_text), record_id, field)
    }

    /// Keys of an existing record, after checking its first 98 bytes.
    #[wasm_bindgen(js_name = forDecryption)]
    pub fn for_decryption(
        workspace: &Workspace,
        start: &[u8],
        record_id: &str,
        field: &str,
    ) -> Result<MessageKeys, JsValue> {
        Self::decryption_with(&workspace.0, start, record_id, field)
    }

    /// `header || salt || commitment` of a new record (empty for decryption).
    #[wasm_bindgen(getter)]
    pub fn prefix(&self) -> Vec<u8> {
        self.prefix.clone()
    }

    /// Whether the record is padded (the WebCrypto engine leaves those to wasm).
    #[wasm_bindgen(getter)]
    pub fn padded(&self) -> bool {
        self.padded
    }

    /// Whether the record is UTF-8 text (decryption must check it, FORMAT.md#decrypting-a-record).
    #[wasm_bindgen(getter)]
    pub fn text(&self) -> bool {
        self.text
    }

    /// The AES-256-GCM key: import it as a non-extractable CryptoKey and zero this copy.
    #[wasm_bindgen(js_name = aesKey)]
    pub fn aes_key(&self) -> Uint8Array {
        secret_to_js(self.material.expose_key())
    }

    /// The base nonce.
    #[wasm_bindgen(getter, js_name = baseNonce)]
    pub fn base_nonce(&self) -> Vec<u8> {
        self.material.base_nonce().to_vec()
    }
}

impl ChunkReader {
    /// A range reader with any record keys: a workspace's or a case's.
    pub(crate) fn with_keys(
        keys: &(impl RecordKeys + ?Sized),
        start: &[u8],
        record_id: &str,
        field: &str,
    ) -> Result<ChunkReader, JsValue> {
        let ctx = RecordContext { record_id, field };
        confide::RecordChunkReader::new(keys, start, &ctx)
            .map(ChunkReader)
            .map_err(to_js)
    }
}

impl MessageKeys {
    /// Message keys of a new bytes record under `keys`' current key.
    pub(crate) fn encryption_with(
        keys: &(impl RecordKeys + ?Sized),
        record_id: &str,
        field: &str,
    ) -> Result<MessageKeys, JsValue> {
        Self::encryption_with_type(keys, ContentType::Bytes, record_id, field)
    }

    fn encryption_with_type(
        keys: &(impl RecordKeys + ?Sized),
        content_type: ContentType,
        record_id: &str,
        field: &str,
    ) -> Result<MessageKeys, JsValue> {
        let ctx = RecordContext { record_id, field };
        let mut rng = confide::rng::system_rng().map_err(to_js)?;
        let (prefix, material) = confide::record::stream::external_encryption_with_rng(
            keys,
            &ctx,
            content_type,
            &mut rng,
        )
        .map_err(to_js)?;
        Ok(MessageKeys {
            prefix,
            padded: false,
            text: false,
            material,
        })
    }

    /// Message keys of an existing record under `keys`.
    pub(crate) fn decryption_with(
        keys: &(impl RecordKeys + ?Sized),
        start: &[u8],
        record_id: &str,
        field: &str,
    ) -> Result<MessageKeys, JsValue> {
        let ctx = RecordContext { record_id, field };
        let (header, material) =
            confide::record::stream::external_decryption(keys, start, &ctx).map_err(to_js)?;
        Ok(MessageKeys {
            prefix: Vec::new(),
            padded: header.padded,
            text: header.content_type == ContentType::Text,
            material,
        })
    }
}

/// The payload length of a padded plaintext that the JS WebCrypto engine opened
/// (FORMAT.md#padding), checked to be canonical. `padded` is taken by value and zeroized.
#[wasm_bindgen(js_name = unpaddedLength)]
pub fn unpadded_length(padded: Vec<u8>) -> Result<u32, JsValue> {
    let padded = Zeroizing::new(padded);
    let len = confide::padding::unpadded_len(&padded).map_err(to_js)?;
    // A one-shot plaintext is at most 256 MiB (FORMAT.md#limits), so this always fits.
    u32::try_from(len).map_err(|_| js_error("malformed", "padding: too long"))
}
