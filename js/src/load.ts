/**
 * Compiling the package's wasm modules: the main one (`init()`) and the Argon2 one (on the
 * first backup). Internal.
 */

import { ConfideError } from "./errors.js";
import { isNode } from "./util.js";

/** A wasm module, its bytes, or where to fetch it (what `init({ wasm, kdfWasm })` take). */
export type WasmSource = WebAssembly.Module | BufferSource | URL | string | Response | Promise<Response>;

/**
 * Compiles `source`, or without one the package's own file at `file`. Callers write `file` out
 * as `new URL("../wasm/….wasm", import.meta.url)`, the form bundlers recognize and emit.
 * @throws {ConfideError} `internal` if the module cannot be fetched or compiled.
 */
export async function compileWasm(source: WasmSource | undefined, file: URL, what: string): Promise<WebAssembly.Module> {
  try {
    if (source instanceof WebAssembly.Module) return source;
    if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return await WebAssembly.compile(source as BufferSource);
    if (source === undefined && isNode() && file.protocol === "file:") {
      // Node: read the file. fetch() would make Node load its fetch implementation (~17 ms).
      const fsModule = "node:fs/promises";
      const { readFile } = (await import(/* @vite-ignore */ /* webpackIgnore: true */ fsModule)) as {
        readFile(url: URL): Promise<Uint8Array>;
      };
      return await WebAssembly.compile((await readFile(file)) as Uint8Array<ArrayBuffer>);
    }
    const response =
      source === undefined || typeof source === "string" || source instanceof URL ? await fetch(source ?? file) : await source;
    if (!response.ok) throw new ConfideError("internal", `the Confide ${what} failed to load (HTTP ${response.status})`);
    // compileStreaming needs the application/wasm type; a server without it still works.
    if (response.headers.get("Content-Type")?.split(";")[0]?.trim() === "application/wasm") {
      return await WebAssembly.compileStreaming(response);
    }
    return await WebAssembly.compile(await response.arrayBuffer());
  } catch (e) {
    throw e instanceof ConfideError ? e : new ConfideError("internal", `the Confide ${what} failed to load`);
  }
}
