/**
 * The page's WebCrypto decryption engine (FORMAT.md#streaming): the core checks the first 98
 * bytes, then the chunks run on WebCrypto (./engines.ts). Kept apart from ./engines.ts, which
 * the worker thread imports, because it calls into wasm. Internal.
 */

import { WasmDecryptor } from "../wasm/confide_wasm.js";
import { ConfideError } from "./errors.js";
import type { KeySource } from "./key-source.js";
import { importAesKey, wasmEngine, webCryptoOpener, type Engine, type Enqueue } from "./engines.js";
import { call, MIN_RECORD_BYTES, PREFIX_BYTES } from "./util.js";

/**
 * The WebCrypto decryption engine. The first 98 bytes go to the core, which checks header,
 * workspace, epoch and commitment; padded records are handed to the wasm engine.
 */
export function webCryptoDecryptor(keys: KeySource, recordId: string, field: string): Engine {
  let head: Uint8Array | undefined = new Uint8Array(0);
  let inner: Engine | undefined;
  /** Collects the first 98 bytes, then picks the engine for the rest; returns the rest. */
  const begin = async (bytes: Uint8Array, enqueue: Enqueue): Promise<Uint8Array> => {
    const need = MIN_RECORD_BYTES - head!.length;
    const joined = new Uint8Array(head!.length + Math.min(need, bytes.length));
    joined.set(head!);
    joined.set(bytes.subarray(0, need), head!.length);
    head = joined;
    const rest = bytes.subarray(need);
    if (head.length < MIN_RECORD_BYTES) return new Uint8Array(0);
    const start = head;
    head = undefined;
    const messageKeys = call(() => keys.messageKeysForDecryption(start, recordId, field));
    if (messageKeys.padded) {
      messageKeys.free();
      const decryptor = call(() => new WasmDecryptor(recordId, field));
      inner = wasmEngine((p) => keys.decryptorPush(decryptor, p), () => decryptor.finish(), () => decryptor.free(), true);
      await inner.push(start, enqueue);
    } else {
      const base = messageKeys.baseNonce;
      const text = messageKeys.text;
      inner = webCryptoOpener(base, importAesKey(messageKeys).finally(() => messageKeys.free()), start.subarray(PREFIX_BYTES), text);
    }
    return rest;
  };
  return {
    plaintextOut: true,
    async push(bytes, enqueue) {
      if (head !== undefined) bytes = await begin(bytes, enqueue);
      if (inner && bytes.length > 0) await inner.push(bytes, enqueue);
    },
    async finish(enqueue) {
      if (head !== undefined) {
        // Fewer than 98 bytes: let the core report why (a short header is `malformed`).
        call(() => keys.messageKeysForDecryption(head!, recordId, field).free());
        throw new ConfideError("decryption_failed", "decryption failed");
      }
      await inner!.finish(enqueue);
    },
    release() {
      inner?.release();
    },
  };
}
