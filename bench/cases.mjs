// The benchmark cases, shared verbatim by Node (bench/node-bench.mjs) and Chromium
// (bench/page.html). Bare specifiers resolve through node_modules in Node and through
// the page's import map in the browser; Confide itself is loaded from the built package.
import { init, Invite, Member, Workspace } from "../js/dist/index.js";
import { gcm } from "@noble/ciphers/aes.js";
import { Aes256Gcm, CipherSuite, HkdfSha256 } from "@hpke/core";
import { XWing } from "@hpke/hybridkem-x-wing";
import { argon2id } from "hash-wasm";
// The wasm function the package's Argon2 worker runs (the Argon2 module), called here in this thread.
import { argon2Stretch, initSync as initKdf } from "../js/wasm/confide_kdf.js";
import { runBatch } from "./batch.mjs";
import { measureAsync, measureSync, now } from "./measure.mjs";

function equalBytes(a, b) {
  a = new Uint8Array(a.buffer ?? a, a.byteOffset ?? 0, a.byteLength);
  b = new Uint8Array(b.buffer ?? b, b.byteOffset ?? 0, b.byteLength);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function check(cond, what) {
  if (!cond) throw new Error(`benchmark self-check failed: ${what}`);
}

/**
 * Builds every case: `{ id, label, async, fn }`, each already checked for correctness once.
 * Pairs (Confide vs peer) are expressed by ids; see PAIRS.
 */
async function setup() {
  await init();
  const subtle = globalThis.crypto.subtle;
  const rand = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));

  // --- 1. 1 KiB note seal+open -------------------------------------------------------------
  const note = rand(1024);
  const ctx = { recordId: "n-42", field: "body" };
  const alice = Member.generate();
  const bob = Member.generate();
  const ws = Workspace.create(alice);
  {
    const ct = ws.encrypt(note, ctx);
    check(equalBytes(ws.decrypt(ct, ctx), note), "Confide 1 KiB round trip");
  }
  const confideSealOpen = () => {
    const ct = ws.encrypt(note, ctx); // default options: padded
    return ws.decrypt(ct, ctx);
  };

  const aesKeyBytes = rand(32);
  const aesKey = await subtle.importKey("raw", aesKeyBytes, { name: "AES-GCM" }, false, [
    "encrypt",
    "decrypt",
  ]);
  const webcryptoSealOpen = async () => {
    const iv = rand(12);
    const ct = await subtle.encrypt({ name: "AES-GCM", iv }, aesKey, note);
    return subtle.decrypt({ name: "AES-GCM", iv }, aesKey, ct);
  };
  check(equalBytes(await webcryptoSealOpen(), note), "WebCrypto 1 KiB round trip");

  const nobleSealOpen = () => {
    const iv = rand(12);
    const ct = gcm(aesKeyBytes, iv).encrypt(note);
    return gcm(aesKeyBytes, iv).decrypt(ct);
  };
  check(equalBytes(nobleSealOpen(), note), "@noble/ciphers 1 KiB round trip");

  // --- 2. Grants ----------------------------------------------------------------------------
  const bobBundle = bob.publicBundle;
  const aliceBundle = alice.publicBundle;
  const grant = ws.grant(bobBundle);
  {
    const opened = Workspace.openGrant(bob, grant, aliceBundle);
    check(opened.id === ws.id, "Confide grant opens to the same workspace");
    opened.free();
  }
  const confideGrant = () => ws.grant(bobBundle);
  const confideOpenGrant = () => Workspace.openGrant(bob, grant, aliceBundle).free();

  const suite = new CipherSuite({ kem: new XWing(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  const rkp = await suite.kem.generateKeyPair();
  const contentKey = rand(32);
  const info = new TextEncoder().encode("confide bench: workspace id, epoch, recipient fingerprint");
  const hpkeSeal = () => suite.seal({ recipientPublicKey: rkp.publicKey, info }, contentKey);
  const sealed = await hpkeSeal();
  const hpkeOpen = () => suite.open({ recipientKey: rkp.privateKey, enc: sealed.enc, info }, sealed.ct);
  check(equalBytes(await hpkeOpen(), contentKey), "@hpke X-Wing round trip");

  // --- 3. Streams: 16 MiB through encryptStream/decryptStream (default engine) -------------
  const STREAM_BYTES = 16 * 1024 * 1024;
  const big = new Uint8Array(STREAM_BYTES);
  for (let i = 0; i < big.length; i += 65536) globalThis.crypto.getRandomValues(big.subarray(i, i + 65536));
  const sctx = { recordId: "rec-7", field: "audio" };
  const source = (bytes) =>
    new ReadableStream({
      offset: 0,
      pull(c) {
        if (this.offset >= bytes.length) return c.close();
        c.enqueue(bytes.subarray(this.offset, this.offset + (1 << 20))); // 1 MiB reads, like a file
        this.offset += 1 << 20;
      },
    });
  /** Pipes through `transform` and drains the output, keeping only its length. */
  const drain = async (bytes, transform, keep = false) => {
    const reader = source(bytes).pipeThrough(transform).getReader();
    const parts = [];
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.length;
      if (keep) parts.push(value);
    }
    if (!keep) return n;
    const out = new Uint8Array(n);
    parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
    return out;
  };
  const bigRecord = await drain(big, ws.encryptStream(sctx), true);
  check(equalBytes(await drain(bigRecord, ws.decryptStream(sctx), true), big), "Confide 16 MiB stream round trip");
  const confideStreamEncrypt = () => drain(big, ws.encryptStream(sctx));
  const confideStreamDecrypt = () => drain(bigRecord, ws.decryptStream(sctx));
  const bulkIv = rand(12);
  const bulkCt = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: bulkIv }, aesKey, big));
  const webcryptoBulkEncrypt = () => subtle.encrypt({ name: "AES-GCM", iv: rand(12) }, aesKey, big);
  const webcryptoBulkDecrypt = () => subtle.decrypt({ name: "AES-GCM", iv: bulkIv }, aesKey, bulkCt);
  const nobleBulkEncrypt = () => gcm(aesKeyBytes, rand(12)).encrypt(big);
  const nobleBulkDecrypt = () => gcm(aesKeyBytes, bulkIv).decrypt(bulkCt);
  check(equalBytes(nobleBulkDecrypt(), big), "@noble/ciphers 16 MiB round trip");

  return [
    { id: "confide.sealopen", async: false, fn: confideSealOpen },
    { id: "webcrypto.sealopen", async: true, fn: webcryptoSealOpen },
    { id: "noble.sealopen", async: false, fn: nobleSealOpen },
    { id: "confide.grant", async: false, fn: confideGrant },
    { id: "hpke.seal", async: true, fn: hpkeSeal },
    { id: "confide.opengrant", async: false, fn: confideOpenGrant },
    { id: "hpke.open", async: true, fn: hpkeOpen },
    { id: "confide.streamenc", async: true, fn: confideStreamEncrypt },
    { id: "webcrypto.bulkenc", async: true, fn: webcryptoBulkEncrypt },
    { id: "noble.bulkenc", async: false, fn: nobleBulkEncrypt },
    { id: "confide.streamdec", async: true, fn: confideStreamDecrypt },
    { id: "webcrypto.bulkdec", async: true, fn: webcryptoBulkDecrypt },
    { id: "noble.bulkdec", async: false, fn: nobleBulkDecrypt },
  ];
}

/**
 * Runs every case for `ms` per round, `rounds` rounds, interleaved (round r runs all cases,
 * alternating the order each round), after a `warmupMs` warm-up per case.
 * Returns `{ rounds: { [id]: number[] } }` (ops/s per round).
 */
export async function runCases({ ms = 1000, rounds = 3, warmupMs = 300, log = () => {} } = {}) {
  const cases = await setup();
  for (const c of cases) {
    if (c.async) await measureAsync(c.fn, warmupMs);
    else measureSync(c.fn, warmupMs);
  }
  log(`warmed up ${cases.length} cases`);
  const rotation = runRotation({ members: 1000, samples: 3, log });
  const argon2 = await runArgon2({ samples: 3, log });
  const batch = await runBatch({ count: 10_000, size: 1024, samples: 3, log });
  const out = Object.fromEntries(cases.map((c) => [c.id, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? cases : [...cases].reverse();
    for (const c of order) {
      const ops = c.async ? await measureAsync(c.fn, ms) : measureSync(c.fn, ms);
      out[c.id].push(ops);
    }
    log(`round ${r + 1}/${rounds}: ` + cases.map((c) => `${c.id}=${out[c.id][r].toFixed(0)}`).join(" "));
  }
  return { rounds: out, rotation, argon2, batch };
}

/**
 * Unlocking a passphrase backup at the default ("interactive") strength: Confide's Argon2id
 * alone (`argon2Stretch`, in this thread) and the whole `Member.importWithPassphrase` (a worker
 * that instantiates the module and runs Argon2id, then HKDF and AES-GCM) against hash-wasm's
 * `argon2id` at the same parameters, interleaved, `samples` each.
 */
async function runArgon2({ samples, log }) {
  const passphrase = "correct horse battery staple";
  const member = Member.generate();
  const backup = await member.exportWithPassphrase(passphrase);
  // FORMAT.md#passphrase-backup: m (KiB) at 5..9, t at 9..13, p at 13, salt at 15..47.
  const view = new DataView(backup.buffer, backup.byteOffset);
  const params = { memorySize: view.getUint32(5), iterations: view.getUint32(9), parallelism: backup[13] };
  const salt = backup.slice(15, 47);
  const kdfBytes = await (globalThis.process?.versions?.node
    ? import("node:fs/promises").then((fs) => fs.readFile(new URL("../js/wasm/confide_kdf_bg.wasm", import.meta.url)))
    : fetch(new URL("../js/wasm/confide_kdf_bg.wasm", import.meta.url)).then((r) => r.arrayBuffer()));
  initKdf({ module: new WebAssembly.Module(kdfBytes) });
  const confideMs = [];
  const stretchMs = [];
  const hashWasmMs = [];
  for (let s = 0; s < samples; s++) {
    let t = now();
    argon2Stretch(passphrase, salt, params.memorySize, params.iterations, params.parallelism).fill(0);
    stretchMs.push(now() - t);
    t = now();
    const back = await Member.importWithPassphrase(backup, passphrase);
    confideMs.push(now() - t);
    check(back.fingerprint === member.fingerprint, "backup unlocks to the same member");
    back.free();
    t = now();
    await argon2id({ password: passphrase, salt, ...params, hashLength: 32, outputType: "binary" });
    hashWasmMs.push(now() - t);
  }
  log(`argon2id ${params.memorySize / 1024} MiB x ${params.iterations}: confide unlock ${confideMs.map((x) => x.toFixed(0)).join("/")} ms, argon2Stretch ${stretchMs.map((x) => x.toFixed(0)).join("/")} ms, hash-wasm ${hashWasmMs.map((x) => x.toFixed(0)).join("/")} ms`);
  member.free();
  return { params, confideMs, stretchMs, hashWasmMs };
}

/**
 * Rotation of a `members`-member workspace (FORMAT.md#rotation): the admin's `ws.rotate()`
 * (log entry, one grant per member, history link), timed `samples` times, then the last
 * member's `Workspace.load` of the whole log with its grant and the history links.
 */
function runRotation({ members, samples, log }) {
  const T0 = 1_790_000_000;
  const t0 = now();
  const alice = Member.generate();
  const ws = Workspace.create(alice, { now: T0 });
  const entries = [...ws.log];
  const history = [];
  let last;
  for (let i = 1; i < members; i++) {
    const member = Member.generate();
    const { link, invite } = ws.createInvite({ now: T0 });
    entries.push(invite);
    const admission = ws.admit(Invite.accept(member, link), { now: T0 });
    entries.push(admission.logEntry);
    if (i === members - 1) last = { member, link };
    else member.free();
  }
  const setupMs = now() - t0;
  const rotateMs = [];
  let rotation;
  for (let s = 0; s < samples; s++) {
    const t = now();
    rotation = ws.rotate({ now: T0 + 1 + s });
    rotateMs.push(now() - t);
    entries.push(rotation.logEntry);
    history.push(rotation.historyLink);
  }
  check(rotation.grants.length === members, `rotation granted ${rotation.grants.length} of ${members} members`);
  const grant = rotation.grants.find((g) => g.memberId === last.member.id).grant;
  const t = now();
  const loaded = Workspace.load(last.member, { log: entries, grants: [grant], history, invite: last.link });
  const loadMs = now() - t;
  check(loaded.epoch === samples && loaded.members.length === members, "the last member loads the rotated workspace");
  log(`rotation of ${members} members: setup ${setupMs.toFixed(0)} ms, rotate ${rotateMs.map((x) => x.toFixed(0)).join("/")} ms, load ${loadMs.toFixed(0)} ms`);
  loaded.free();
  ws.free();
  return { members, setupMs, rotateMs, loadMs };
}
