/**
 * Test-only access for independent implementations (docs/FORMAT.md#independent-implementations).
 * Works only with a wasm module built with the `hazmat` cargo feature; the published
 * package neither ships this file nor exports it.
 * @module
 */

import * as wasm from "../wasm/confide_wasm.js";
import type { WasmEncryptor, WasmMessageKeys } from "../wasm/confide_wasm.js";
import { engineStream, wasmEngine, webCryptoEncryptor } from "./engines.js";
import { ConfideError, fromWasm } from "./errors.js";
import { Case } from "./case.js";
import { Member } from "./member.js";
import { Workspace } from "./workspace.js";

interface HazmatExports {
  hazmatContentKey(ws: unknown, epoch: number): Uint8Array;
  hazmatMemberFromSeed(seed: Uint8Array): unknown;
  hazmatCaseKey(c: unknown, epoch: number, full: boolean): Uint8Array;
}

function exports(): HazmatExports {
  const w = wasm as unknown as Partial<HazmatExports>;
  if (typeof w.hazmatContentKey !== "function" || typeof w.hazmatMemberFromSeed !== "function") {
    throw new ConfideError("invalid_argument", "this build has no hazmat exports");
  }
  return w as HazmatExports;
}

/** The content key of `epoch` held by `workspace`. */
export function contentKey(workspace: Workspace, epoch: number): Uint8Array {
  try {
    return exports().hazmatContentKey(Workspace.inner(workspace), epoch);
  } catch (e) {
    throw fromWasm(e);
  } finally {
    wasm.wipeStack();
  }
}

/** The case key of `epoch` at `level` held by `c`. */
export function caseKey(c: Case, epoch: number, level: "full" | "summary"): Uint8Array {
  try {
    return exports().hazmatCaseKey(Case.inner(c), epoch, level === "full");
  } catch (e) {
    throw fromWasm(e);
  } finally {
    wasm.wipeStack();
  }
}

/** A member from raw seed bytes, for test vectors. */
export function memberFromSeed(seed: Uint8Array): Member {
  try {
    return new Member(Symbol.for("confide.internal"), exports().hazmatMemberFromSeed(seed) as never);
  } catch (e) {
    throw fromWasm(e);
  }
}

interface SeededExports {
  hazmatMessageKeysWithSeed(ws: unknown, recordId: string, field: string, seed: Uint8Array): WasmMessageKeys;
  hazmatEncryptorWithSeed(ws: unknown, recordId: string, field: string, seed: Uint8Array): WasmEncryptor;
}

/**
 * An unpadded encryption stream whose salt comes from a generator seeded with `seed`
 * (32 bytes), on the chosen engine, so the two engines can be compared byte for byte.
 */
export function encryptStreamWithSeed(
  workspace: Workspace,
  context: { recordId: string; field: string },
  seed: Uint8Array,
  engine: "webcrypto" | "wasm",
): TransformStream<Uint8Array, Uint8Array> {
  const w = wasm as unknown as Partial<SeededExports>;
  if (typeof w.hazmatMessageKeysWithSeed !== "function" || typeof w.hazmatEncryptorWithSeed !== "function") {
    throw new ConfideError("invalid_argument", "this build has no hazmat exports");
  }
  const ws = Workspace.inner(workspace);
  try {
    if (engine === "webcrypto") {
      return engineStream(webCryptoEncryptor(w.hazmatMessageKeysWithSeed(ws, context.recordId, context.field, seed)), undefined, undefined);
    }
    const enc = w.hazmatEncryptorWithSeed(ws, context.recordId, context.field, seed);
    return engineStream(wasmEngine((p) => enc.push(p), () => enc.finish(), () => enc.free(), false), undefined, undefined);
  } catch (e) {
    throw fromWasm(e);
  }
}

/** The byte length of this package's own wasm instance's memory (the one `init()` made). */
export function wasmMemoryBytes(): number {
  // With the module initialized, initSync returns its exports without instantiating again.
  const exports = wasm.initSync({ module: undefined as never }) as unknown as { memory: WebAssembly.Memory };
  return exports.memory.buffer.byteLength;
}

/** A view of this package's wasm memory as it is now, for tests that scan it for secrets. */
export function wasmMemory(): Uint8Array {
  const exports = wasm.initSync({ module: undefined as never }) as unknown as { memory: WebAssembly.Memory };
  return new Uint8Array(exports.memory.buffer);
}
