/**
 * What seals and opens records: a workspace's epoch keys, or a case's keys at one level.
 * Each call looks up the wasm object afresh, so a freed workspace or case throws `freed`.
 * Internal.
 */

import type { WasmChunkReader, WasmDecryptor, WasmEncryptor, WasmMessageKeys } from "../wasm/confide_wasm.js";

export interface KeySource {
  /** Throws `freed` (or `not_initialized`) if the owner can no longer be used. */
  assertLive(): void;
  /** One-shot record under the current key. */
  encrypt(plaintext: Uint8Array, isText: boolean, recordId: string, field: string, pad: boolean): Uint8Array;
  /** One-shot open, with every check of FORMAT.md#decrypting-a-record. */
  decrypt(record: Uint8Array, recordId: string, field: string): Uint8Array;
  /** A wasm stream encryptor under the current key. */
  encryptor(recordId: string, field: string, pad: boolean): WasmEncryptor;
  /** Feeds a wasm stream decryptor. */
  decryptorPush(decryptor: WasmDecryptor, piece: Uint8Array): Uint8Array;
  /** Prefix and message keys of a new bytes record, for the WebCrypto engine. */
  messageKeysForEncryption(recordId: string, field: string): WasmMessageKeys;
  /** Message keys of a record from its first 98 bytes, checked by the core. */
  messageKeysForDecryption(start: Uint8Array, recordId: string, field: string): WasmMessageKeys;
  /** A range reader from the record's first 98 bytes. */
  chunkReader(start: Uint8Array, recordId: string, field: string): WasmChunkReader;
}
