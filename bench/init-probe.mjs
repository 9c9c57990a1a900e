// One init-time sample in a fresh Node process; prints one JSON line on stdout.
//   node bench/init-probe.mjs           -> { importMs, initMs, totalMs }  (dynamic import, then init())
//   node bench/init-probe.mjs breakdown -> { globalsMs, readMs, compileMs, instantiateMs }
//     globalsMs: first touch of the global `Request`/`Response` (Node loads its fetch
//     implementation, undici, lazily; wasm-bindgen's loader touches them inside init()),
//     then: read the .wasm, WebAssembly.compile, init({ wasm: module }).
const mode = process.argv[2] ?? "total";
const now = () => performance.now();
const pkg = new URL("../js/dist/index.js", import.meta.url).href;
let out;
if (mode === "breakdown") {
  const { readFile } = await import("node:fs/promises");
  const g0 = now();
  void (typeof Request + typeof Response);
  const g1 = now();
  const t0 = now();
  const bytes = await readFile(new URL("../js/wasm/confide_wasm_bg.wasm", import.meta.url));
  const t1 = now();
  const module = await WebAssembly.compile(bytes);
  const t2 = now();
  const m = await import(pkg);
  const t3 = now();
  await m.init({ wasm: module });
  const t4 = now();
  out = { globalsMs: g1 - g0, readMs: t1 - t0, compileMs: t2 - t1, instantiateMs: t4 - t3 };
} else {
  const t0 = now();
  const m = await import(pkg);
  const t1 = now();
  await m.init();
  const t2 = now();
  m.Member.generate().free(); // prove it is usable
  out = { importMs: t1 - t0, initMs: t2 - t1, totalMs: t2 - t0 };
}
process.stdout.write(JSON.stringify(out) + "\n");
