/** Shared argument checks, the wasm call guard and format constants. Internal: the package does not export this module. */

import { wipeStack } from "../wasm/confide_wasm.js";
import { ConfideError, fromWasm } from "./errors.js";
import type { RecordContext } from "./types.js";

export const MAX_PLAINTEXT_BYTES = 256 * 1024 * 1024;
// PADMÉ adds at most 1/16 at this size (FORMAT.md#padding), chunking 0.1%.
export const MAX_RECORD_BYTES = MAX_PLAINTEXT_BYTES + MAX_PLAINTEXT_BYTES / 16;

// FORMAT.md#limits: a membership log a client verifies.
export const MAX_LOG_ENTRIES = 100_000;
export const MAX_LOG_BYTES = 32 * 1024 * 1024;

// FORMAT.md#record-size and #chunked-encryption.
export const MIN_RECORD_BYTES = 98;
export const PREFIX_BYTES = 82;
export const CHUNK_BYTES = 16384;
export const ENCRYPTED_CHUNK_BYTES = 16400;

let initialized = false;
let packageBase: URL | undefined;

/**
 * Where the package's files are served, from `init({ base })`: for tools that do not follow
 * `new URL("…", import.meta.url)` (esbuild). Without it, files are found next to the module.
 */
export function setPackageBase(base: URL | undefined): void {
  packageBase = base;
}

/** `path` (e.g. `"wasm/confide_kdf_bg.wasm"`) under `init({ base })`, or undefined without one. */
export function packageFile(path: string): URL | undefined {
  return packageBase === undefined ? undefined : new URL(path, packageBase);
}

/** Whether this is Node (which has no Web Worker and reads files instead of fetching). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === "string";
}

/** Called once the wasm module is instantiated. */
export function markInitialized(): void {
  initialized = true;
}

export function assertReady(): void {
  if (!initialized) throw new ConfideError("not_initialized", "not initialized: call `await init()` first");
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof Uint8Array) return `Uint8Array of length ${value.length}`;
  if (Array.isArray(value)) return "array";
  return typeof value;
}

export function bytesArg(name: string, value: unknown, max = MAX_RECORD_BYTES): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new ConfideError("invalid_argument", `"${name}" expected Uint8Array, got ${describe(value)}`);
  }
  if (value.length > max) {
    throw new ConfideError("invalid_argument", `"${name}" expected at most ${max} bytes, got ${value.length}`);
  }
  return value;
}

/** Reads `object[key]`; a throwing getter or Proxy trap becomes `invalid_argument`. */
export function property(object: object, key: string, name: string): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch {
    throw new ConfideError("invalid_argument", `"${name}" could not be read`);
  }
}

export function contextArg(value: unknown): RecordContext {
  if (typeof value !== "object" || value === null) {
    throw new ConfideError("invalid_argument", `"context" expected { recordId, field }, got ${describe(value)}`);
  }
  const recordId = property(value, "recordId", "recordId");
  const field = property(value, "field", "field");
  for (const [name, v] of [["recordId", recordId], ["field", field]] as const) {
    if (typeof v !== "string" || v.length === 0) {
      throw new ConfideError("invalid_argument", `"${name}" expected a non-empty string, got ${describe(v)}`);
    }
    // UTF-8 never has fewer bytes than UTF-16 code units, so a long string is rejected unencoded.
    const bytes = v.length > 1024 ? undefined : new TextEncoder().encode(v).length;
    if (bytes === undefined || bytes > 1024) {
      const got = bytes === undefined ? "more than 1024" : String(bytes);
      throw new ConfideError("invalid_argument", `"${name}" expected at most 1024 UTF-8 bytes, got ${got}`);
    }
  }
  return { recordId: recordId as string, field: field as string };
}

/** Runs a wasm call, turning anything it throws into a ConfideError. */
export function call<T>(f: () => T): T {
  assertReady();
  try {
    return f();
  } catch (e) {
    throw fromWasm(e);
  }
}

/**
 * {@link call} for a call that handles a secret (a seed, a member key, a content key, an
 * invite secret): afterwards the wasm stack the call used is overwritten, because the values
 * Rust moved leave copies in frames that are not cleared on return (SECURITY.md#memory).
 */
export function callSecret<T>(f: () => T): T {
  try {
    return call(f);
  } finally {
    if (initialized) wipeStack();
  }
}

export function padOption(options: unknown): boolean {
  if (typeof options !== "object" || options === null) {
    throw new ConfideError("invalid_argument", `"options" expected { pad? }, got ${describe(options)}`);
  }
  const raw = property(options, "pad", "pad");
  const pad = raw === undefined ? true : raw;
  if (typeof pad !== "boolean") {
    throw new ConfideError("invalid_argument", `"pad" expected boolean, got ${describe(pad)}`);
  }
  return pad;
}

/**
 * Lets the event loop run every other kind of task (input, rendering, timers, network) before
 * continuing: `setImmediate` in Node, else a message to a channel, a task like any other (not
 * `scheduler.yield()`, whose continuation runs ahead of the page's timers; nor a 0 ms timer,
 * which browsers clamp to 4 ms once nested).
 */
export const yieldToEventLoop: () => Promise<void> = (() => {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  if (typeof immediate === "function") return () => new Promise<void>((resolve) => void immediate(resolve));
  if (typeof MessageChannel === "function") {
    let channel: MessageChannel | undefined;
    const waiting: (() => void)[] = [];
    return () =>
      new Promise<void>((resolve) => {
        if (channel === undefined) {
          channel = new MessageChannel();
          channel.port1.onmessage = () => waiting.shift()?.();
        }
        waiting.push(resolve);
        channel.port2.postMessage(undefined);
      });
  }
  return () => new Promise<void>((resolve) => setTimeout(resolve, 0));
})();

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for("Symbol.dispose");

/** Where the runtime lacks Symbol.dispose, `using` looks up the polyfill's symbol: make it free too. */
export function aliasDispose(proto: { free(): void }): void {
  if (disposeSymbol !== Symbol.dispose) Object.defineProperty(proto, disposeSymbol, { value: proto.free });
}
