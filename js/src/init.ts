/** Loading the wasm module. */

import { initSync } from "../wasm/confide_wasm.js";
import { ConfideError } from "./errors.js";
import { setKdfSource } from "./kdf.js";
import { compileWasm } from "./load.js";
import type { WasmSource } from "./load.js";
import type { InitOptions } from "./types.js";
import { describe, markInitialized, packageFile, property, setPackageBase } from "./util.js";

let ready: Promise<void> | undefined;

/**
 * Loads the wasm module. Memoized: call it as often as you like; every call returns the
 * same promise. Works in Node >= 20 and in browsers.
 * @throws {ConfideError} `internal` if the module cannot be loaded.
 */
export function init(options: InitOptions = {}): Promise<void> {
  ready ??= (async () => {
    const { wasm, kdfWasm, base } = initOptions(options);
    setPackageBase(base);
    setKdfSource(kdfWasm);
    const file = packageFile("wasm/confide_wasm_bg.wasm") ?? new URL("../wasm/confide_wasm_bg.wasm", import.meta.url);
    initSync({ module: await compileWasm(wasm, file, "wasm module") });
    markInitialized();
  })().catch((e: unknown) => {
    ready = undefined;
    throw e instanceof ConfideError ? e : new ConfideError("internal", "the Confide wasm module failed to load");
  });
  return ready;
}

function initOptions(options: unknown): { wasm: WasmSource | undefined; kdfWasm: WasmSource | undefined; base: URL | undefined } {
  if (typeof options !== "object" || options === null) {
    throw new ConfideError("invalid_argument", `"options" expected { wasm?, kdfWasm?, base? }, got ${describe(options)}`);
  }
  const base = property(options, "base", "base");
  if (base !== undefined && typeof base !== "string" && !(base instanceof URL)) {
    throw new ConfideError("invalid_argument", `"base" expected a URL or a string, got ${describe(base)}`);
  }
  let baseUrl: URL | undefined;
  try {
    // A path such as "/confide/" is taken relative to the page.
    const page = (globalThis as { location?: { href?: string } }).location?.href;
    baseUrl = base === undefined ? undefined : new URL(base, page);
  } catch {
    throw new ConfideError("invalid_argument", `"base" expected a URL, got a string that is not one`);
  }
  return {
    wasm: property(options, "wasm", "wasm") as WasmSource | undefined,
    kdfWasm: property(options, "kdfWasm", "kdfWasm") as WasmSource | undefined,
    base: baseUrl,
  };
}
