/** Record and plaintext sizes (FORMAT.md#record-size). */

import { recordLength } from "../wasm/confide_wasm.js";
import { ConfideError } from "./errors.js";
import type { EncryptOptions } from "./types.js";
import {
  call, CHUNK_BYTES, describe, ENCRYPTED_CHUNK_BYTES, MAX_PLAINTEXT_BYTES, MIN_RECORD_BYTES, padOption, PREFIX_BYTES,
} from "./util.js";

/**
 * Exact plaintext size of an unpadded record of `recordBytes` bytes (for a padded record, the
 * padded size, an upper bound). The inverse of {@link recordSize} with `pad: false`.
 * @throws {ConfideError} `invalid_argument` if no record has that length.
 */
export function plaintextSize(recordBytes: number): number {
  const n = plaintextSizeOrNaN(recordBytes);
  if (Number.isNaN(n)) {
    const got = typeof recordBytes === "number" ? String(recordBytes) : describe(recordBytes);
    throw new ConfideError("invalid_argument", `"recordBytes": no record has length ${got}`);
  }
  return n;
}

/** FORMAT.md#record-size inverted; NaN for a length no record has. */
export function plaintextSizeOrNaN(recordBytes: number): number {
  if (!Number.isSafeInteger(recordBytes) || recordBytes < MIN_RECORD_BYTES) return NaN;
  const body = recordBytes - PREFIX_BYTES;
  const last = (body % ENCRYPTED_CHUNK_BYTES) - 16;
  return last < 0 ? NaN : Math.floor(body / ENCRYPTED_CHUNK_BYTES) * CHUNK_BYTES + last;
}

/**
 * Exact size in bytes of the record `encrypt` produces for a plaintext of `plaintextBytes`
 * bytes (UTF-8 bytes for strings), with or without padding.
 * @throws {ConfideError} `invalid_argument` for a negative, fractional or oversized length.
 */
export function recordSize(plaintextBytes: number, options: EncryptOptions = {}): number {
  const pad = padOption(options);
  const n = typeof plaintextBytes === "number" ? call(() => recordLength(plaintextBytes, pad)) : -1;
  if (n < 0) {
    throw new ConfideError("invalid_argument", `"plaintextBytes" expected an integer in [0, ${MAX_PLAINTEXT_BYTES}], got ${describe(plaintextBytes)}`);
  }
  return n;
}
