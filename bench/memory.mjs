// Memory benchmark (issue: recordings): 1 GiB encrypted then decrypted as streams in Node,
// reporting peak RSS growth over the post-init baseline and the wasm linear memory size.
// Prints one JSON line. Usage: node --expose-gc bench/memory.mjs [engine] [MiB]
import { readFileSync } from "node:fs";
import { init, Member, Workspace } from "../js/dist/index.js";
import { initSync } from "../js/wasm/confide_wasm.js";

const engine = process.argv[2] ?? "auto";
const MIB = Number(process.argv[3] ?? 1024);
await init();
// init() already instantiated the module; initSync returns those same exports (and memory).
const wasm = initSync({ module: new WebAssembly.Module(readFileSync(new URL("../js/wasm/confide_wasm_bg.wasm", import.meta.url))) });
const ws = Workspace.create(Member.generate());
const ctx = { recordId: "rec-7", field: "audio" };
globalThis.gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);

// A generated 1 GiB "file": 1 MiB reads of a pattern, never held whole.
const piece = new Uint8Array(1 << 20).map((_, i) => (i * 2654435761) >>> 24);
let produced = 0;
const file = new ReadableStream({
  pull(c) {
    if (produced >= MIB) return c.close();
    produced++;
    c.enqueue(piece.slice());
  },
});
let checksum = 0;
let plainBytes = 0;
const t0 = performance.now();
const reader = file
  .pipeThrough(ws.encryptStream(ctx, { engine }))
  .pipeThrough(ws.decryptStream(ctx, { engine }))
  .getReader();
for (;;) {
  const { done, value } = await reader.read();
  if (done) break;
  plainBytes += value.length;
  checksum = (checksum + value[value.length - 1]) >>> 0;
  peak = Math.max(peak, process.memoryUsage().rss);
}
clearInterval(sampler);
const seconds = (performance.now() - t0) / 1000;
if (plainBytes !== MIB << 20) throw new Error(`round trip lost bytes: ${plainBytes}`);
console.log(JSON.stringify({
  engine,
  mib: MIB,
  seconds,
  rssGrowthMiB: (peak - baseline) / (1 << 20),
  wasmMemoryMiB: wasm.memory.buffer.byteLength / (1 << 20),
  checksum,
}));
