// The public API of the packed package, as a front-end developer uses it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { init, Member, Workspace, ConfideError, isConfideError, recordSize, MAX_PLAINTEXT_BYTES } from "confide";

const ctx = { recordId: "n-42", field: "body" };
const throwsCode = (f, code) =>
  assert.throws(f, (e) => e instanceof ConfideError && isConfideError(e) && e.code === code, `expected ${code}`);

test("init is memoized and idempotent", async () => {
  const a = init();
  const b = init();
  assert.equal(a, b);
  await a;
  await init();
});

test("calls before init() fail with not_initialized", () => {
  const out = execFileSync(process.execPath, ["--input-type=module", "-e",
    `import { Member } from "confide";
     try { Member.generate(); console.log("no error"); } catch (e) { console.log(e.name, e.code, e.message); }`],
    { cwd: process.cwd(), encoding: "utf8" });
  assert.match(out, /^ConfideError not_initialized not initialized: call `await init\(\)` first/);
});

test("the quickstart from the README works", async () => {
  await init();
  const alice = Member.generate();
  const bob = Member.generate();
  assert.ok(alice.publicBundle instanceof Uint8Array);
  assert.equal(alice.publicBundle.length, 1316);
  assert.match(alice.fingerprint, /^(\d{5} ){11}\d{5}$/);
  assert.equal(Member.fingerprintOf(bob.publicBundle), bob.fingerprint);
  assert.notEqual(alice.fingerprint, bob.fingerprint);

  const ws = Workspace.create(alice);
  assert.match(ws.id, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(ws.epoch, 0);
  const ct = ws.encrypt("Client reported better sleep.", ctx);
  assert.ok(ct instanceof Uint8Array);
  assert.equal(ws.decryptText(ct, ctx), "Client reported better sleep.");
  assert.deepEqual(ws.decrypt(ct, ctx), new TextEncoder().encode("Client reported better sleep."));

  const grant = ws.grant(bob.publicBundle);
  assert.equal(grant.length, 1320);
  const wsBob = Workspace.openGrant(bob, grant, alice.publicBundle);
  assert.equal(wsBob.id, ws.id);
  assert.equal(wsBob.decryptText(ct, ctx), "Client reported better sleep.");
  // And the other way round: bob writes, alice reads.
  assert.equal(ws.decryptText(wsBob.encrypt("bob's note", ctx), ctx), "bob's note");
});

test("signServerChallenge: an Ed25519 signature of the labelled challenge by the member's key", async () => {
  await init();
  const { createPublicKey, verify } = await import("node:crypto");
  const alice = Member.generate();
  const challenge = new Uint8Array(32).fill(7);
  const sig = alice.signServerChallenge(challenge);
  assert.ok(sig instanceof Uint8Array);
  assert.equal(sig.length, 64);
  // The Ed25519 key sits at bytes 4..36 of the bundle (docs/FORMAT.md#public-bundle).
  const x = Buffer.from(alice.publicBundle.subarray(4, 36)).toString("base64url");
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
  const label = new TextEncoder().encode("confide/v1/server-challenge\0");
  assert.ok(verify(null, Buffer.concat([label, challenge]), key, sig));
  assert.ok(!verify(null, Buffer.from(challenge), key, sig));
  throwsCode(() => alice.signServerChallenge("nope"), "invalid_argument");
  throwsCode(() => alice.signServerChallenge(new Uint8Array(1025)), "invalid_argument");
  alice.free();
  throwsCode(() => alice.signServerChallenge(challenge), "freed");
});

test("padding is on by default and hides short lengths", async () => {
  await init();
  const ws = Workspace.create(Member.generate());
  const a = ws.encrypt("ok", ctx);
  const b = ws.encrypt("x".repeat(200), ctx);
  assert.equal(a.length, b.length);
  assert.equal(a.length, recordSize(2));
  const unpadded = ws.encrypt("ok", ctx, { pad: false });
  assert.equal(unpadded.length, recordSize(2, { pad: false }));
  assert.ok(unpadded.length < a.length);
  assert.equal(ws.decryptText(unpadded, ctx), "ok");
});

test("recordId and field are limited to 1024 UTF-8 bytes, as in the core", async () => {
  await init();
  const ws = Workspace.create(Member.generate());
  ws.encrypt("x", { recordId: "a".repeat(1024), field: "f" });
  ws.encrypt("x", { recordId: "é".repeat(512), field: "f" });
  throwsCode(() => ws.encrypt("x", { recordId: "a".repeat(1025), field: "f" }), "invalid_argument");
  throwsCode(() => ws.encrypt("x", { recordId: "é".repeat(513), field: "f" }), "invalid_argument");
  throwsCode(() => ws.encrypt("x", { recordId: "🌙".repeat(257), field: "f" }), "invalid_argument");
});

test("context binding: another record, field or workspace does not open", async () => {
  await init();
  const alice = Member.generate();
  const ws = Workspace.create(alice);
  const ct = ws.encrypt("note", ctx);
  throwsCode(() => ws.decrypt(ct, { recordId: "n-43", field: "body" }), "decryption_failed");
  throwsCode(() => ws.decrypt(ct, { recordId: "n-42", field: "title" }), "decryption_failed");
  throwsCode(() => Workspace.create(alice).decrypt(ct, ctx), "wrong_workspace");
});

test("grants: wrong member and wrong signer are rejected", async () => {
  await init();
  const [alice, bob, carol] = [Member.generate(), Member.generate(), Member.generate()];
  const grant = Workspace.create(alice).grant(bob.publicBundle);
  throwsCode(() => Workspace.openGrant(carol, grant, alice.publicBundle), "not_for_this_member");
  throwsCode(() => Workspace.openGrant(bob, grant, carol.publicBundle), "bad_signature");
  const forged = Workspace.create(carol).grant(bob.publicBundle);
  throwsCode(() => Workspace.openGrant(bob, forged, alice.publicBundle), "bad_signature");
});

test("free() and Symbol.dispose release secrets; use after free is a typed error", async () => {
  await init();
  const alice = Member.generate();
  const ws = Workspace.create(alice);
  const ct = ws.encrypt("note", ctx);
  ws.free();
  ws.free();
  throwsCode(() => ws.decrypt(ct, ctx), "freed");
  alice[Symbol.dispose]();
  throwsCode(() => Workspace.create(alice), "freed");
  assert.equal(typeof Member.prototype[Symbol.dispose], "function");
  assert.equal(typeof Workspace.prototype[Symbol.dispose], "function");
  // `using` syntax needs Node >= 24; the protocol is the same call.
  const scoped = Member.generate();
  scoped[Symbol.dispose]();
  throwsCode(() => Workspace.create(scoped), "freed");
});

test("multi-chunk byte records round-trip at chunk boundaries", async () => {
  await init();
  const ws = Workspace.create(Member.generate());
  for (const n of [0, 1, 16383, 16384, 16385, 100_003]) {
    const data = crypto.getRandomValues(new Uint8Array(Math.min(n, 65536)));
    const big = new Uint8Array(n);
    for (let i = 0; i < n; i += data.length || 1) big.set(data.subarray(0, Math.min(data.length, n - i)), i);
    const ct = ws.encrypt(big, { recordId: "rec-7", field: "audio" }, { pad: false });
    assert.equal(ct.length, recordSize(n, { pad: false }));
    assert.deepEqual(ws.decrypt(ct, { recordId: "rec-7", field: "audio" }), big);
  }
});

test("property: any bytes and any text round-trip; any single-byte change is rejected", async () => {
  await init();
  const ws = Workspace.create(Member.generate());
  fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.boolean(), fc.nat(), (data, pad, pos) => {
    const ct = ws.encrypt(data, ctx, { pad });
    assert.deepEqual(ws.decrypt(ct, ctx), data);
    const tampered = ct.slice();
    tampered[pos % ct.length] ^= 1 + (pos % 255);
    assert.throws(() => ws.decrypt(tampered, ctx), (e) => isConfideError(e));
  }), { numRuns: 200 });
  fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 500 }), (text) => {
    assert.equal(ws.decryptText(ws.encrypt(text, ctx), ctx), text);
  }), { numRuns: 200 });
});

test("error messages never echo plaintext, context or key material", async () => {
  await init();
  const ws = Workspace.create(Member.generate());
  const ct = ws.encrypt("Jane Doe disclosed", { recordId: "Jane Doe", field: "body" });
  const messages = [];
  for (const f of [
    () => ws.decrypt(ct, { recordId: "Jane Doe 2", field: "body" }),
    () => ws.decrypt(ct.subarray(0, 50), { recordId: "Jane Doe", field: "body" }),
    () => ws.encrypt("Jane Doe", { recordId: "", field: "Jane Doe" }),
    () => Member.fingerprintOf(new TextEncoder().encode("Jane Doe")),
  ]) {
    try { f(); } catch (e) { messages.push(String(e.message) + String(e.stack)); }
  }
  assert.equal(messages.length, 4);
  for (const m of messages) assert.doesNotMatch(m, /Jane|disclosed/);
  assert.equal(MAX_PLAINTEXT_BYTES, 256 * 1024 * 1024);
});

test("confide/worker resolves from the packed package and refuses cleanly where Web Workers are missing", async () => {
  await init();
  const { ConfideWorker } = await import("confide/worker");
  assert.equal(typeof ConfideWorker, "function");
  throwsCode(() => new ConfideWorker(), "invalid_argument");
});

test("where no worker thread may start (Node's permission model), a backup still opens: Argon2id runs on the calling thread", () => {
  const out = execFileSync(process.execPath, ["--experimental-permission", "--allow-fs-read=*", "--input-type=module", "-e",
    `import { Worker } from "node:worker_threads";
     import { init, Member } from "confide";
     let denied = "no";
     try { new Worker(new URL("./node_modules/confide/dist/kdf-thread.js", "file://" + process.cwd() + "/")); } catch (e) { denied = e.code; }
     await init();
     const alice = Member.generate();
     const backup = await alice.exportWithPassphrase("correct horse battery staple");
     const again = await Member.importWithPassphrase(backup, "correct horse battery staple");
     console.log(JSON.stringify({ denied, same: again.fingerprint === alice.fingerprint }));`],
    { cwd: process.cwd(), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const result = JSON.parse(out.trim().split("\n").pop());
  assert.equal(result.denied, "ERR_ACCESS_DENIED", "worker threads are refused in this process");
  assert.equal(result.same, true);
});

test("every error code the core can give is one the package knows (not \"internal\")", () => {
  // The core's codes, from its ErrorCode impls (src/error.rs), against the package's list.
  const core = readFileSync(new URL("../../src/error.rs", import.meta.url), "utf8");
  const codes = [...new Set([...core.matchAll(/=> "([a-z_]+)",?$/gm)].map((m) => m[1]))];
  assert.ok(codes.length >= 40, `only ${codes.length} codes found in src/error.rs`);
  for (const code of codes) {
    const fromWasm = Object.assign(new Error("x"), { name: "ConfideError", code });
    assert.ok(isConfideError(fromWasm), `the package does not know the core's code ${code}`);
  }
});
