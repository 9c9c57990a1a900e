// confide/worker in a browser: same bytes as the page's engines, typed errors across the
// thread boundary, abort, and a responsive main thread during a large encryption.
import { init, Member, Workspace } from "confide-hazmat";
import { ConfideWorker } from "confide-hazmat/worker";

const failed = [];
let passed = 0;
const ok = (cond, message) => { if (!cond) throw new Error(message); };
const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const source = (bytes, step) => new ReadableStream({
  offset: 0,
  pull(c) {
    if (this.offset >= bytes.length) return c.close();
    c.enqueue(bytes.slice(this.offset, this.offset + step));
    this.offset += step;
  },
});
// A reader loop, not `new Response(readable)`: Response turns stream errors into TypeError.
const collect = async (readable) => {
  const parts = [];
  for (const reader = readable.getReader(); ;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return out;
};
const outcome = async (p) => { try { await p; return "success"; } catch (e) { return e?.name === "ConfideError" ? e.code : `non-ConfideError ${e}`; } };

async function check(name, f) {
  try { await f(); passed++; } catch (e) { failed.push({ name, message: String(e?.message ?? e) }); }
}

await init();
const ws = Workspace.create(Member.generate());
const worker = new ConfideWorker();
const ctx = { recordId: "rec-7", field: "audio" };
const data = new Uint8Array(3 * 1024 * 1024 + 5).map((_, i) => (i * 7 + (i >> 12)) & 0xff);

await check("the worker's records open on the page and the page's open in the worker", async () => {
  const record = await collect(source(data, 100_000).pipeThrough(worker.encryptStream(ws, ctx)));
  ok(eq(ws.decrypt(record, ctx), data), "page one-shot decrypt of a worker record");
  const pageRecord = await collect(source(data, 70_000).pipeThrough(ws.encryptStream(ctx)));
  ok(eq(await collect(source(pageRecord, 33_333).pipeThrough(worker.decryptStream(ws, ctx))), data), "worker decrypt of a page record");
  ok(eq(await collect(source(record, 1 << 20).pipeThrough(worker.decryptStream(ws, ctx))), data), "worker round trip");
  const tiny = await collect(source(new Uint8Array(0), 1).pipeThrough(worker.encryptStream(ws, ctx)));
  ok(tiny.length === 98 && ws.decrypt(tiny, ctx).length === 0, "empty record");
});

await check("tampering, truncation and a wrong context fail with their codes across the thread boundary", async () => {
  const record = await collect(source(data, 100_000).pipeThrough(ws.encryptStream(ctx)));
  const flipped = record.slice();
  flipped[82 + 5 * 16400 + 3] ^= 1;
  ok(await outcome(collect(source(flipped, 65_536).pipeThrough(worker.decryptStream(ws, ctx)))) === "decryption_failed", "flipped byte");
  ok(await outcome(collect(source(record.subarray(0, 82 + 4 * 16400), 65_536).pipeThrough(worker.decryptStream(ws, ctx)))) === "decryption_failed", "cut at a chunk boundary");
  ok(await outcome(collect(source(record.subarray(0, 50), 10).pipeThrough(worker.decryptStream(ws, ctx)))) === "malformed", "short header");
  ok(await outcome(collect(source(record, 65_536).pipeThrough(worker.decryptStream(ws, { recordId: "rec-8", field: "audio" })))) === "decryption_failed", "wrong record id");
  ok(await outcome(collect(source(record, 65_536).pipeThrough(worker.decryptStream(Workspace.create(Member.generate()), ctx)))) === "wrong_workspace", "wrong workspace");
  const note = ws.encrypt("padded note", ctx);
  ok(await outcome(collect(source(note, 100).pipeThrough(worker.decryptStream(ws, ctx)))) === "invalid_argument", "padded record refused");
});

await check("abort errors the stream with aborted and progress counts input", async () => {
  const controller = new AbortController();
  const endless = new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(256 * 1024)); } });
  const seen = [];
  const got = await outcome(collect(endless.pipeThrough(worker.encryptStream(ws, ctx, {
    signal: controller.signal,
    onProgress: (n) => { seen.push(n); if (n >= 4 << 20) controller.abort(); },
  }))));
  ok(got === "aborted", `abort gave ${got}`);
  ok(seen.length > 0 && seen.every((n, i) => i === 0 || n > seen[i - 1]), "progress increases");
});

await check("the main thread stays responsive while the worker encrypts 64 MiB", async () => {
  const big = new Uint8Array(64 << 20);
  let last = performance.now();
  let worstGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worstGap = Math.max(worstGap, now - last);
    last = now;
  }, 5);
  const t0 = performance.now();
  const record = await collect(source(big, 1 << 20).pipeThrough(worker.encryptStream(ws, ctx)));
  clearInterval(timer);
  ok(record.length === 82 + 4096 * 16400 + 16, "record length");
  window.__workerTiming = { ms: performance.now() - t0, worstGapMs: worstGap };
  ok(worstGap < 250, `the page froze for ${worstGap.toFixed(0)} ms`);
});

await check("a worker whose script does not load errors its streams with worker_unavailable, at once", async () => {
  // Without the fix, these streams waited forever; give up after 10 s so the check fails, not hangs.
  const within = (p) => Promise.race([p, new Promise((r) => setTimeout(() => r("no error after 10 s"), 10_000))]);
  const record = await collect(source(data.subarray(0, 100_000), 50_000).pipeThrough(ws.encryptStream(ctx)));
  for (const url of ["./no-such-worker.js", "./worker.html"]) { // a 404, and a page that is not a script
    const broken = new ConfideWorker({ url });
    const enc = await within(outcome(collect(source(data.subarray(0, 100_000), 10_000).pipeThrough(broken.encryptStream(ws, ctx)))));
    ok(enc === "worker_unavailable", `${url}: encrypt gave ${enc}`);
    const dec = await within(outcome(collect(source(record, 10_000).pipeThrough(new ConfideWorker({ url }).decryptStream(ws, ctx)))));
    ok(dec === "worker_unavailable", `${url}: decrypt gave ${dec}`);
    let later;
    try { broken.encryptStream(ws, ctx); later = "success"; } catch (e) { later = e?.code; }
    ok(later === "worker_unavailable", `${url}: a later stream gave ${later}`);
  }
});

await check("terminate() errors the streams in flight with freed", async () => {
  const w = new ConfideWorker();
  const endless = new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(64 * 1024)); } });
  let seen = 0;
  const pending = outcome(collect(endless.pipeThrough(w.encryptStream(ws, ctx, { onProgress: (n) => { seen = n; if (n >= 1 << 20) w.terminate(); } }))));
  const got = await Promise.race([pending, new Promise((r) => setTimeout(() => r("no error after 10 s"), 10_000))]);
  ok(got === "freed", `terminate mid-stream gave ${got} after ${seen} bytes`);
});

worker.terminate();
window.__suite = { passed, failed, total: passed + failed.length, timing: window.__workerTiming };
