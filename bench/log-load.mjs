// Loading a long membership log (issue 10, defect 3): 10,000 entries written by
// examples/bench-log.rs (100 admins, then rotations), loaded as the creator in a fresh Node
// process. Reports the time, and the package's wasm memory after the load against the log's
// bytes; with `async`, loadAsync's time and the longest stretch the event loop waited.
// Prints one JSON line. Usage: node bench/log-load.mjs LOG_JSON [PACKAGE_DIR] [sync|async]
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [file, pkgDir = "js", mode = "sync"] = process.argv.slice(2);
const pkg = pathToFileURL(`${pkgDir}/`);
const { init, Workspace } = await import(new URL("dist/index.js", pkg));
const { initSync } = await import(new URL("wasm/confide_wasm.js", pkg));
const hazmat = await import(new URL("dist/hazmat.js", pkg)).catch(() => null);
await init();
const wasmBytes = readFileSync(new URL("wasm/confide_wasm_bg.wasm", pkg));
const memory = () => initSync({ module: new WebAssembly.Module(wasmBytes) }).memory.buffer.byteLength;

const data = JSON.parse(readFileSync(file, "utf8"));
const hex = (s) => Uint8Array.from(s.match(/../g), (b) => parseInt(b, 16));
const log = data.log.map(hex);
const logBytes = log.reduce((n, e) => n + e.length, 0);
if (hazmat === null) throw new Error("needs the hazmat build (member from seed)");
const member = hazmat.memberFromSeed(hex(data.seed));
const options = { log, grants: [hex(data.grant)], pinnedHead: data.head };
const before = memory();
let longestGapMs = 0;
const t = performance.now();
let ws;
if (mode === "async") {
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
  }, 1);
  ws = await Workspace.loadAsync(member, options);
  clearInterval(ticker);
} else {
  ws = Workspace.load(member, options);
}
const ms = performance.now() - t;
if (ws.head !== data.head) throw new Error("loaded another head");
const after = memory();
console.log(JSON.stringify({
  mode, entries: log.length, logBytes, ms, wasmBeforeBytes: before, wasmAfterBytes: after,
  wasmPerLogByte: after / logBytes, longestGapMs: mode === "async" ? longestGapMs : null, epoch: ws.epoch,
}));
