// A list view's notes opened at once (`ws.decryptMany`), against raw WebCrypto AES-GCM
// decrypts of ciphertexts with the same plaintext sizes. Shared by Node and Chromium
// (bench/cases.mjs calls it); also runs alone: `node bench/batch.mjs` prints one JSON line.
import { init, Member, Workspace } from "../js/dist/index.js";

const now = () => performance.now();
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * `count` notes of `size` bytes, each with its own record id. Per sample, interleaved: Confide
 * `decryptMany` (default engine) with the longest main-thread gap a 1 ms timer saw meanwhile;
 * the same notes with `ws.decrypt` one after another (the way before decryptMany); WebCrypto
 * decrypts of `count` `size`-byte ciphertexts under one imported key, awaited one after another
 * and all issued at once.
 */
export async function runBatch({ count = 10_000, size = 1024, samples = 3, log = () => {} } = {}) {
  await init();
  const subtle = globalThis.crypto.subtle;
  const ws = Workspace.create(Member.generate());
  const note = globalThis.crypto.getRandomValues(new Uint8Array(size));
  const items = Array.from({ length: count }, (_, i) => {
    const context = { recordId: `n-${i}`, field: "body" };
    return { record: ws.encrypt(note, context), context };
  });
  const key = await subtle.importKey("raw", globalThis.crypto.getRandomValues(new Uint8Array(32)), "AES-GCM", false, ["encrypt", "decrypt"]);
  const raw = await Promise.all(
    Array.from({ length: count }, async () => {
      const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
      return { iv, ct: await subtle.encrypt({ name: "AES-GCM", iv }, key, note) };
    }),
  );
  const out = { count, size, engine: globalThis.process?.versions?.node ? "wasm (Node default)" : "WebCrypto (browser default)", confideMs: [], gapMs: [], loopMs: [], webcryptoSerialMs: [], webcryptoAllMs: [] };
  for (let s = 0; s < samples; s++) {
    let last = now();
    let gap = 0;
    const timer = setInterval(() => {
      const t = now();
      gap = Math.max(gap, t - last);
      last = t;
    }, 1);
    let t = now();
    const results = await ws.decryptMany(items);
    out.confideMs.push(now() - t);
    clearInterval(timer);
    out.gapMs.push(Math.max(gap, now() - last));
    if (!results.every((r) => r.ok && r.value.length === size)) throw new Error("benchmark self-check failed: decryptMany");
    t = now();
    for (const { record, context } of items) ws.decrypt(record, context);
    out.loopMs.push(now() - t);
    t = now();
    for (const { iv, ct } of raw) await subtle.decrypt({ name: "AES-GCM", iv }, key, ct);
    out.webcryptoSerialMs.push(now() - t);
    t = now();
    await Promise.all(raw.map(({ iv, ct }) => subtle.decrypt({ name: "AES-GCM", iv }, key, ct)));
    out.webcryptoAllMs.push(now() - t);
    log(`batch ${s + 1}/${samples}: decryptMany ${out.confideMs[s].toFixed(0)} ms (gap ${out.gapMs[s].toFixed(0)} ms), decrypt loop ${out.loopMs[s].toFixed(0)} ms, WebCrypto one by one ${out.webcryptoSerialMs[s].toFixed(0)} ms, all at once ${out.webcryptoAllMs[s].toFixed(0)} ms`);
  }
  ws.free();
  return { ...out, median: Object.fromEntries(["confideMs", "gapMs", "loopMs", "webcryptoSerialMs", "webcryptoAllMs"].map((k) => [k, median(out[k])])) };
}

if (globalThis.process?.argv?.[1]?.endsWith("bench/batch.mjs")) {
  const r = await runBatch({ log: (m) => process.stderr.write(`  [node] ${m}\n`) });
  process.stdout.write(JSON.stringify(r) + "\n");
}
