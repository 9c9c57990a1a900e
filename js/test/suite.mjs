// The package checks that run identically in Node, headless Chromium and headless Firefox:
// the quickstart, context binding, grants, every vector through the package, the
// independent WebCrypto decryptor, and garbage handling. No Node APIs.
import { hex, toHex } from "./vector-format.mjs";
import { independentDecrypt, Rejected, utf8 } from "./independent.mjs";

class Failure extends Error {}
const ok = (cond, message) => { if (!cond) throw new Failure(message); };
const eqBytes = (a, b, message) => ok(a.length === b.length && a.every((x, i) => x === b[i]), message);
function code(f) {
  try {
    f();
    return "success";
  } catch (e) {
    return e?.name === "ConfideError" ? e.code : `non-ConfideError ${e?.name}`;
  }
}

/** Runs every check; resolves to { passed, failed: [{ name, message }] }. */
export async function runSuite({ confide, hazmat, vectors }) {
  const { init, Member, Workspace, Invite, Case, AuditTrail, initials, ConfideError, isConfideError, recordSize } = confide;
  const b64 = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const list = (field) => (field ? field.split(" ").filter(Boolean).map(hex) : []);
  const checkWorkspaceVector = (v) => {
    const ws = Workspace.load(hazmat.memberFromSeed(hex(v["member seed"])), {
      log: list(v.log), grants: list(v.grants), history: list(v.history),
      pinnedHead: v["pinned head"], invite: v["invite link"],
    });
    ok(ws.head === v.head && String(ws.epoch) === v.epoch, "head and epoch");
    const roster = ws.members.map((m) => `${toHex(b64(m.id))}:${m.role}`).join(" ");
    ok(roster === v.members, "members");
    for (let e = 0; e <= ws.epoch; e++) {
      ok(toHex(hazmat.contentKey(ws, e)) === v[`content key ${e}`], `content key ${e}`);
    }
  };
  // FORMAT.md#cases: the workspace pinned at its head, then the case, then the record if any.
  const checkCaseVector = (v) => {
    const ws = Workspace.load(hazmat.memberFromSeed(hex(v["member seed"])), {
      log: list(v["workspace log"]), grants: list(v["workspace grants"]), pinnedHead: v["workspace head"],
    });
    if (v.kind === "blind index") {
      // FORMAT.md#blind-index: the vector's epoch is the workspace's current one.
      ok(String(ws.epoch) === v.epoch, "blind index epoch");
      ok(toHex(b64(ws.blindIndex(v.text))) === v["blind index"], "blind index");
      return;
    }
    const c = Case.load(ws, { log: list(v["case log"]), grants: list(v["case grants"]), pinnedHead: v["case pinned head"] });
    if (v.kind === "revision") {
      const context = { recordId: v["record id"], field: v.field };
      const opened = c.openRecord({ revisions: list(v.revisions), record: v.record && hex(v.record), pin: v.pin }, context);
      const r = opened.revision;
      ok(r.kind === v["revision kind"] && String(r.number) === v["revision number"] && String(r.time) === v.time, "latest revision");
      ok(toHex(b64(r.author)) === v.author && opened.pin === v["new pin"], "author and pin");
      ok(opened.deleted === (v["revision kind"] === "delete"), "deleted");
      ok((opened.value && toHex(opened.value)) === v.plaintext, "revision plaintext");
      return;
    }
    if (v.kind === "sign-off") {
      const s = c.verifySignOff(hex(v["sign-off"]), hex(v.revision));
      ok(toHex(b64(s.signer)) === v.signer && String(s.time) === v.time && String(s.revisionNumber) === v["revision number"], "sign-off");
      return;
    }
    if (v.kind === "audit") {
      const trail = c.verifyAudit(list(v["audit entries"]), { pin: v["audit pin"] });
      ok(trail.head === v["audit head"], "audit head");
      const entries = trail.entries;
      ok(entries.map((e) => e.event?.action ?? (e.unreadable ? "unreadable" : "sealed")).join(" ") === v["audit actions"], "audit actions");
      ok(entries.map((e) => toHex(b64(e.author))).join(" ") === v["audit authors"], "audit authors");
      ok(entries.map((e) => e.event?.revisionNumber ?? "-").join(" ") === v["audit revisions"], "audit revisions");
      trail.free();
      return;
    }
    if (v["case head"] !== undefined) {
      ok(c.head === v["case head"] && String(c.epoch) === v["case epoch"] && c.level === v.level, "case head, epoch, level");
      ok(c.members.map((m) => `${toHex(b64(m.id))}:${m.level}`).join(" ") === v["case members"], "case members");
      ok(c.heldEpochs.join(" ") === v["held epochs"], "held epochs");
      for (const e of c.heldEpochs) {
        for (const level of ["full", "summary"]) {
          const want = v[`case key ${e} ${level}`];
          const got = want === undefined ? code(() => hazmat.caseKey(c, e, level)) : toHex(hazmat.caseKey(c, e, level));
          ok(got === (want ?? "unknown_epoch"), `case key ${e} ${level}`);
        }
      }
    }
    if (v.record !== undefined) {
      ok(toHex(c.decrypt(hex(v.record), { recordId: v["record id"], field: v.field })) === v.plaintext, "case record plaintext");
    }
  };
  const checks = [];
  const check = (name, f) => checks.push([name, f]);
  const ctx = { recordId: "n-42", field: "body" };

  check("init is memoized", async () => {
    ok(init() === init(), "same promise");
    await init();
  });

  check("quickstart round trip and grant", async () => {
    const alice = Member.generate();
    const bob = Member.generate();
    ok(/^(\d{5} ){11}\d{5}$/.test(alice.fingerprint), "fingerprint format");
    ok(Member.fingerprintOf(bob.publicBundle) === bob.fingerprint, "fingerprintOf");
    const ws = Workspace.create(alice);
    ok(/^[A-Za-z0-9_-]{22}$/.test(ws.id) && ws.epoch === 0, "id and epoch");
    const ct = ws.encrypt("Client reported better sleep.", ctx);
    ok(ws.decryptText(ct, ctx) === "Client reported better sleep.", "decryptText");
    const wsBob = Workspace.openGrant(bob, ws.grant(bob.publicBundle), alice.publicBundle);
    ok(wsBob.decryptText(ct, ctx) === "Client reported better sleep.", "bob reads");
    ok(ct.length === recordSize(29), "recordSize");
    alice.free(); bob.free(); ws.free(); wsBob.free();
  });

  check("context binding and grant checks give their codes", () => {
    const [alice, bob, carol] = [Member.generate(), Member.generate(), Member.generate()];
    const ws = Workspace.create(alice);
    const ct = ws.encrypt("note", ctx);
    ok(code(() => ws.decrypt(ct, { recordId: "n-43", field: "body" })) === "decryption_failed", "record id");
    ok(code(() => ws.decrypt(ct, { recordId: "n-42", field: "title" })) === "decryption_failed", "field");
    ok(code(() => Workspace.create(alice).decrypt(ct, ctx)) === "wrong_workspace", "workspace");
    const grant = ws.grant(bob.publicBundle);
    ok(code(() => Workspace.openGrant(carol, grant, alice.publicBundle)) === "not_for_this_member", "member");
    ok(code(() => Workspace.openGrant(bob, grant, carol.publicBundle)) === "bad_signature", "signer");
  });

  check("every single-byte change of a note is rejected", () => {
    const ws = Workspace.create(Member.generate());
    const ct = ws.encrypt("Client reported better sleep.", ctx);
    for (let i = 0; i < ct.length; i++) {
      const t = ct.slice();
      t[i] ^= 0x01 << (i % 8);
      ok(code(() => ws.decrypt(t, ctx)) !== "success", `byte ${i} accepted`);
    }
  });

  check("multi-chunk records round-trip", () => {
    const ws = Workspace.create(Member.generate());
    for (const n of [0, 16383, 16384, 16385, 70_000]) {
      const data = new Uint8Array(n).map((_, i) => (i * 31) & 0xff);
      const ct = ws.encrypt(data, { recordId: "rec-7", field: "audio" }, { pad: false });
      eqBytes(ws.decrypt(ct, { recordId: "rec-7", field: "audio" }), data, `size ${n}`);
    }
  });

  check("every vector gives its expected outcome through the package", async () => {
    ok(vectors.length >= 30, `only ${vectors.length} vectors`);
    const asyncCode = async (f) => {
      try {
        await f();
        return "success";
      } catch (e) {
        return e?.name === "ConfideError" ? e.code : `non-ConfideError ${e?.name}`;
      }
    };
    for (const v of vectors.filter((v) => v.kind === "backup")) {
      const got = await asyncCode(async () => {
        const m = await Member.importWithPassphrase(hex(v.backup), v.passphrase);
        ok(m.fingerprint === hazmat.memberFromSeed(hex(v["member seed"])).fingerprint, "backup member");
      });
      ok(got === v.expect, `${v.name}: expected ${v.expect}, got ${got}`);
    }
    for (const v of vectors.filter((v) => v.kind !== "backup")) {
      const got = code(() => {
        if (v.kind === "bundle") {
          ok(Member.fingerprintOf(hex(v.bundle)) === v.fingerprint, "fingerprint");
          ok(toHex(hazmat.memberFromSeed(hex(v["member seed"])).publicBundle) === v.bundle, "bundle from seed");
        } else if (v.kind === "workspace") {
          checkWorkspaceVector(v);
        } else if (["case", "revision", "sign-off", "audit", "blind index"].includes(v.kind)) {
          checkCaseVector(v);
        } else if (v.kind === "recovery kit") {
          const m = Member.fromRecoveryKit(v.kit);
          const fromSeed = hazmat.memberFromSeed(hex(v["member seed"]));
          ok(m.fingerprint === fromSeed.fingerprint, "kit member");
          // A kit as written (upper case, single spaces) is exactly what its seed encodes to.
          if (/^([0-9A-HJKMNP-TV-Z]{5} ){10}[0-9A-HJKMNP-TV-Z]{5}$/.test(v.kit)) ok(fromSeed.recoveryKit() === v.kit, "kit from seed");
        } else if (v.kind === "invite") {
          const d = Invite.describe(v["invite link"]);
          ok(toHex(b64(d.inviteId)) === v["invite id"] && toHex(b64(d.inviterId)) === v["inviter id"], "invite ids");
          ok(toHex(b64(d.workspaceId)) === v["workspace id"], "workspace id");
          const acceptance = Invite.accept(hazmat.memberFromSeed(hex(v["invitee seed"])), v["invite link"]);
          ok(toHex(acceptance) === v.acceptance, "acceptance bytes");
        } else {
          const ws = Workspace.openGrant(hazmat.memberFromSeed(hex(v["member seed"])), hex(v.grant), hex(v["granter bundle"]));
          if (v.kind === "record") {
            ok(toHex(ws.decrypt(hex(v.record), { recordId: v["record id"], field: v.field })) === v.plaintext, "plaintext");
          } else {
            ok(String(ws.epoch) === v.epoch, "epoch");
          }
        }
      });
      ok(got === v.expect, `${v.name}: expected ${v.expect}, got ${got}`);
    }
  });

  check("the independent WebCrypto decryptor opens package records and agrees with every record vector", async () => {
    const ws = Workspace.create(Member.generate());
    const key = hazmat.contentKey(ws, 0);
    for (const [plaintext, options] of [["Séance — 睡眠 🌙".repeat(2000), {}], [new Uint8Array(16384).fill(7), { pad: false }]]) {
      const record = ws.encrypt(plaintext, ctx, options);
      const out = await independentDecrypt(key, record, ctx.recordId, ctx.field);
      eqBytes(out.plaintext, typeof plaintext === "string" ? utf8(plaintext) : plaintext, "independent plaintext");
    }
    for (const v of vectors.filter((x) => x.kind === "record")) {
      const result = await independentDecrypt(hex(v["content key"]), hex(v.record), v["record id"], v.field).catch((e) => {
        if (e instanceof Rejected) return null;
        throw e;
      });
      ok((result !== null) === (v.expect === "success"), `${v.name}: independent outcome`);
      if (result) ok(toHex(result.plaintext) === v.plaintext, `${v.name}: independent plaintext`);
    }
    // Case records, with the case key of the record's epoch and level (FORMAT.md#case-records).
    const caseVectors = vectors.filter((x) => x.kind === "case" && x.expect === "success" && x.record);
    ok(caseVectors.length >= 2, "case record vectors");
    for (const v of caseVectors) {
      const record = hex(v.record);
      const epoch = new DataView(record.buffer, record.byteOffset).getUint32(22);
      const key = hex(v[`case key ${epoch} ${record[5] & 2 ? "summary" : "full"}`]);
      const out = await independentDecrypt(key, record, v["record id"], v.field);
      ok(toHex(out.plaintext) === v.plaintext, `${v.name}: independent plaintext`);
    }
  });

  check("garbage gives ConfideError and the module keeps working", () => {
    const alice = Member.generate();
    const ws = Workspace.create(alice);
    const junk = [undefined, null, 1, "x", {}, [], new ArrayBuffer(8), new Uint16Array(4), new Uint8Array(0), new Uint8Array(5000).fill(0x43)];
    const calls = [
      (g) => Member.fingerprintOf(g), (g) => Workspace.create(g), (g) => ws.decrypt(g, ctx),
      (g) => ws.decrypt(new Uint8Array(100), g), (g) => ws.grant(g), (g) => Workspace.openGrant(alice, g, alice.publicBundle),
      (g) => ws.encrypt("x", ctx, { pad: g === undefined ? 1 : g }),
    ];
    for (const call of calls) {
      for (const g of junk) {
        try {
          call(g);
          ok(false, `accepted ${String(g)}`);
        } catch (e) {
          if (e instanceof Failure) throw e;
          ok(e instanceof ConfideError && isConfideError(e) && e.code !== "internal", `threw ${e?.name} ${e?.code}`);
        }
      }
      ok(ws.decryptText(ws.encrypt("alive", ctx), ctx) === "alive", "still works");
    }
  });

  // ---- streams (FORMAT.md#streaming) ----
  let seed = 0x9e3779b9;
  const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const streamOf = (bytes, sizeOf) => new ReadableStream({
    offset: 0,
    pull(controller) {
      if (this.offset >= bytes.length) return controller.close();
      const n = Math.max(1, sizeOf());
      controller.enqueue(bytes.slice(this.offset, this.offset + n));
      this.offset += n;
    },
  });
  const collect = async (readable) => {
    const parts = [];
    let total = 0;
    for (const reader = readable.getReader(); ;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      total += value.length;
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  };
  const streamCode = async (promise) => {
    try {
      await promise;
      return "success";
    } catch (e) {
      return e?.name === "ConfideError" ? e.code : `non-ConfideError ${e?.name}: ${e?.message}`;
    }
  };
  const sctx = { recordId: "rec-7", field: "audio" };
  const encryptVia = (ws, data, sizeOf, options) => collect(streamOf(data, sizeOf).pipeThrough(ws.encryptStream(sctx, options)));
  const decryptVia = (ws, record, sizeOf) => collect(streamOf(record, sizeOf).pipeThrough(ws.decryptStream(sctx)));

  check("streams round-trip at chunk-edge sizes with random and one-byte chunking, and one-shot decrypt agrees", async () => {
    const ws = Workspace.create(Member.generate());
    for (const n of [0, 1, 16383, 16384, 16385, 10 * 1024 * 1024 + 7]) {
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
      const sizes = n <= 16385 ? [() => 1, () => 1 + Math.floor(random() * 5000)] : [() => 1 + Math.floor(random() * 300_000)];
      for (const sizeOf of sizes) {
        for (const pad of [false, true]) {
          const record = await encryptVia(ws, data, sizeOf, { pad });
          ok(record.length === recordSize(n, { pad }), `size ${n} pad ${pad}: record length`);
          eqBytes(ws.decrypt(record, sctx), data, `size ${n}: one-shot decrypt of streamed record`);
          eqBytes(await decryptVia(ws, record, sizeOf), data, `size ${n}: streamed decrypt`);
        }
      }
      // A one-shot record streams back too: one format for a note and a recording.
      eqBytes(await decryptVia(ws, ws.encrypt(data, sctx), () => 4099), data, `size ${n}: stream of one-shot record`);
    }
  });

  check("every truncation point of a small stream fails, and so do cuts around chunk edges", async () => {
    const ws = Workspace.create(Member.generate());
    const small = await encryptVia(ws, new Uint8Array(300).fill(3), () => 100, {});
    for (let cut = 0; cut < small.length; cut++) {
      const got = await streamCode(decryptVia(ws, small.subarray(0, cut), () => 64));
      ok(got !== "success", `cut at ${cut} accepted`);
    }
    const big = await encryptVia(ws, new Uint8Array(2 * 16384 + 50).fill(9), () => 7000, {});
    const edges = [82, 98, 82 + 16400, 82 + 16400 + 16, 82 + 2 * 16400, 82 + 2 * 16400 + 16, big.length - 1];
    for (const edge of edges) {
      for (const cut of [edge - 1, edge, edge + 1]) {
        if (cut >= big.length || cut < 0) continue;
        ok(await streamCode(decryptVia(ws, big.subarray(0, cut), () => 5000)) !== "success", `cut at ${cut} accepted`);
      }
    }
    ok(await streamCode(decryptVia(ws, big, () => 5000)) === "success", "whole record");
  });

  check("appended bytes, reordered, duplicated and swapped chunks fail in streams", async () => {
    const ws = Workspace.create(Member.generate());
    const a = await encryptVia(ws, new Uint8Array(3 * 16384 + 10).fill(1), () => 16384, {});
    const b = await encryptVia(ws, new Uint8Array(3 * 16384 + 10).fill(2), () => 16384, {});
    const chunk = (r, i) => r.subarray(82 + i * 16400, 82 + (i + 1) * 16400);
    const build = (r, chunks) => {
      const parts = [r.subarray(0, 82), ...chunks, r.subarray(82 + 3 * 16400)];
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) { out.set(p, o); o += p.length; }
      return out;
    };
    const appended = new Uint8Array(a.length + 17);
    appended.set(a);
    const cases = {
      appended,
      reordered: build(a, [chunk(a, 1), chunk(a, 0), chunk(a, 2)]),
      duplicated: build(a, [chunk(a, 0), chunk(a, 0), chunk(a, 1), chunk(a, 2)]),
      "swapped from another file with the same key": build(a, [chunk(a, 0), chunk(b, 1), chunk(a, 2)]),
    };
    for (const [name, record] of Object.entries(cases)) {
      ok(await streamCode(decryptVia(ws, record, () => 3000)) === "decryption_failed", name);
    }
    ok(await streamCode(decryptVia(Workspace.create(Member.generate()), a, () => 3000)) === "wrong_workspace", "wrong workspace");
  });

  check("abort mid-stream errors with aborted, progress counts input bytes, bad chunks are typed errors", async () => {
    const ws = Workspace.create(Member.generate());
    const controller = new AbortController();
    let pulls = 0;
    const endless = new ReadableStream({ pull(c) { pulls++; c.enqueue(new Uint8Array(50_000)); } });
    const aborted = await streamCode(collect(endless.pipeThrough(ws.encryptStream(sctx, {
      signal: controller.signal,
      onProgress: (n) => { if (n >= 500_000) controller.abort(); },
    }))));
    ok(aborted === "aborted", `abort gave ${aborted}`);
    ok(pulls < 100, "the source stopped being read");
    const seen = [];
    const record = await encryptVia(ws, new Uint8Array(100_000), () => 30_000, { onProgress: (n) => seen.push(n) });
    ok(seen.join() === "30000,60000,90000,100000", `progress ${seen.join()}`);
    const decryptSeen = [];
    await collect(streamOf(record, () => 50_000).pipeThrough(ws.decryptStream(sctx, { onProgress: (n) => decryptSeen.push(n) })));
    ok(decryptSeen.at(-1) === record.length, "decrypt progress reaches the record length");
    const bad = new ReadableStream({ start(c) { c.enqueue("not bytes"); c.close(); } });
    ok(await streamCode(collect(bad.pipeThrough(ws.encryptStream(sctx)))) === "invalid_argument", "string chunk");
    ok(code(() => ws.encryptStream(sctx, { signal: "no" })) === "invalid_argument", "bad signal");
    ok(code(() => ws.decryptStream({ recordId: "" , field: "f" })) === "invalid_argument", "bad context");
    // An already-aborted signal errors the stream; it does not throw from the call.
    const early = ws.decryptStream(sctx, { signal: AbortSignal.abort() });
    ok(await streamCode(collect(streamOf(record, () => 1000).pipeThrough(early))) === "aborted", "already aborted");
    // Cancelling the reader ends the stream cleanly, and the workspace keeps working.
    const cancelled = streamOf(record, () => 5000).pipeThrough(ws.decryptStream(sctx)).getReader();
    await cancelled.read();
    await cancelled.cancel();
    ok(ws.decryptText(ws.encrypt("alive", ctx), ctx) === "alive", "still works");
  });

  check("unpadded text records stream back through both engines with their UTF-8 intact", async () => {
    const ws = Workspace.create(Member.generate());
    const text = "Séance — 睡眠が改善 🌙 ".repeat(3000);
    const record = ws.encrypt(text, sctx, { pad: false });
    for (const engine of ["webcrypto", "wasm"]) {
      const out = await collect(streamOf(record, () => 1 + Math.floor(random() * 9000)).pipeThrough(ws.decryptStream(sctx, { engine })));
      ok(new TextDecoder().decode(out) === text, `${engine} engine`);
    }
  });

  check("the WebCrypto and wasm engines write identical bytes for a fixed salt and open each other's output", async () => {
    const ws = Workspace.create(Member.generate());
    const seed = new Uint8Array(32).fill(42);
    for (const n of [0, 1, 16383, 16384, 16385, 3 * 16384 + 5, 1024 * 1024 + 7]) {
      const data = new Uint8Array(n).map((_, i) => (i * 29 + 3) & 0xff);
      const viaWebCrypto = await collect(streamOf(data, () => 1 + Math.floor(random() * 40_000)).pipeThrough(hazmat.encryptStreamWithSeed(ws, sctx, seed, "webcrypto")));
      const viaWasm = await collect(streamOf(data, () => 1 + Math.floor(random() * 40_000)).pipeThrough(hazmat.encryptStreamWithSeed(ws, sctx, seed, "wasm")));
      eqBytes(viaWebCrypto, viaWasm, `size ${n}: identical ciphertext`);
      for (const [engine, record] of [["wasm", viaWebCrypto], ["webcrypto", viaWasm]]) {
        const out = await collect(streamOf(record, () => 1 + Math.floor(random() * 40_000)).pipeThrough(ws.decryptStream(sctx, { engine })));
        eqBytes(out, data, `size ${n}: ${engine} opens the other engine's record`);
      }
      // The default engine's output is a valid record for every reader.
      const auto = await encryptVia(ws, data, () => 50_000, {});
      eqBytes(ws.decrypt(auto, sctx), data, `size ${n}: default engine, one-shot decrypt`);
    }
    // The WebCrypto decryptor rejects what the wasm one rejects.
    const record = await encryptVia(ws, new Uint8Array(40_000).fill(5), () => 9000, { engine: "wasm" });
    for (const cut of [0, 50, 97, 98, 82 + 16400, 82 + 16400 + 1, 82 + 2 * 16400, record.length - 1]) {
      ok(await streamCode(collect(streamOf(record.subarray(0, cut), () => 7000).pipeThrough(ws.decryptStream(sctx, { engine: "webcrypto" })))) !== "success", `webcrypto accepted a cut at ${cut}`);
    }
    const flipped = record.slice();
    flipped[82 + 16400 + 100] ^= 1;
    ok(await streamCode(collect(streamOf(flipped, () => 7000).pipeThrough(ws.decryptStream(sctx, { engine: "webcrypto" })))) === "decryption_failed", "webcrypto flipped byte");
    const padded = await encryptVia(ws, new Uint8Array(5000).fill(1), () => 999, { pad: true });
    eqBytes(await collect(streamOf(padded, () => 333).pipeThrough(ws.decryptStream(sctx, { engine: "webcrypto" }))), new Uint8Array(5000).fill(1), "padded record via the webcrypto path");
  });

  check("every record vector gives the same outcome through both stream engines and decryptRange", async () => {
    for (const v of vectors.filter((x) => x.kind === "record")) {
      const ws = Workspace.openGrant(hazmat.memberFromSeed(hex(v["member seed"])), hex(v.grant), hex(v["granter bundle"]));
      const vctx = { recordId: v["record id"], field: v.field };
      const record = hex(v.record);
      for (const engine of ["webcrypto", "wasm"]) {
        let out;
        const got = await streamCode((async () => {
          out = await collect(streamOf(record, () => 1 + Math.floor(random() * 20_000)).pipeThrough(ws.decryptStream(vctx, { engine })));
        })());
        ok(got === v.expect, `${v.name} via ${engine} stream: expected ${v.expect}, got ${got}`);
        if (got === "success") ok(toHex(out) === v.plaintext, `${v.name} via ${engine}: plaintext`);
      }
      let ranged;
      const got = await streamCode((async () => { ranged = await ws.decryptRange(record, vctx, 0); })());
      ok(got === v.expect, `${v.name} via decryptRange: expected ${v.expect}, got ${got}`);
      if (got === "success") ok(toHex(ranged) === v.plaintext, `${v.name} via decryptRange: plaintext`);
    }
  });

  check("decryptRange reads only the chunks it needs and authenticates the end when it touches it", async () => {
    const { plaintextSize } = confide;
    const ws = Workspace.create(Member.generate());
    for (const n of [5 * 16384 + 123, 3 * 16384]) {
      const data = new Uint8Array(n).map((_, i) => (i * 13 + (i >> 8)) & 0xff);
      const record = await encryptVia(ws, data, () => 10_000, {});
      ok(plaintextSize(record.length) === n, "plaintextSize");
      let reads = 0;
      const sources = {
        bytes: record,
        blob: new Blob([record]),
        fetcher: async (o, l) => { reads++; return record.slice(o, o + l); },
      };
      const ranges = [[0, 10], [16383, 16385], [16384, 16384 * 2], [n - 1, n], [n - 1, undefined], [n, n + 1], [n + 5, n + 10], [0, undefined], [7, 7]];
      for (const [start, end] of ranges) {
        for (const [name, source] of Object.entries(sources)) {
          reads = 0;
          const got = await ws.decryptRange(source, sctx, start, end);
          eqBytes(got, data.slice(start, end), `n ${n} [${start}, ${end}) from ${name}`);
          // The header read, the chunks the range spans, and at most one more to find the end.
          const spanned = Math.ceil((Math.min(end ?? n, n) - Math.min(start, n)) / 16384) + 1;
          if (name === "fetcher") ok(reads <= spanned + 2, `[${start}, ${end}) took ${reads} reads for ${spanned} chunks`);
        }
      }
      // Truncated at a chunk boundary: a range at the end must fail, not come back short.
      const cut = record.slice(0, 82 + 2 * 16400);
      for (const source of [cut, async (o, l) => cut.slice(o, o + l)]) {
        ok(await streamCode(ws.decryptRange(source, sctx, n - 3)) === "decryption_failed", "cut record, range at end");
      }
      const flipped = record.slice();
      flipped[82 + 16400 + 9] ^= 4;
      ok(await streamCode(ws.decryptRange(flipped, sctx, 16384, 16390)) === "decryption_failed", "flipped chunk");
      ok(await streamCode(ws.decryptRange(record, { recordId: "rec-8", field: "audio" }, 0, 5)) === "decryption_failed", "context");
      ok(await streamCode(ws.decryptRange(record, sctx, -1, 5)) === "invalid_argument", "negative start");
      ok(await streamCode(ws.decryptRange(record, sctx, 2 ** 53 - 1)) === "invalid_argument", "start past 2^52");
      reads = 0;
      const far = await ws.decryptRange(sources.fetcher, sctx, 2 ** 47);
      ok(far.length === 0 && reads < 60, `far past the end: ${far.length} bytes, ${reads} reads`);
      ok(await streamCode(ws.decryptRange("nope", sctx, 0, 5)) === "invalid_argument", "bad source");
      ok(await streamCode(ws.decryptRange(async () => "nope", sctx, 0, 5)) === "invalid_argument", "bad fetcher result");
    }
    const note = ws.encrypt("Client reported better sleep.", ctx);
    ok(new TextDecoder().decode(await ws.decryptRange(note, ctx, 7, 15)) === "reported", "padded note range");
  });

  // ---------- membership (FORMAT.md#membership-log): one in-memory "server" per check ----------
  const T0 = 1_790_000_000;
  const newServer = () => ({ log: [], grants: new Map(), history: [] });
  const addGrant = (server, memberId, grant) => server.grants.set(memberId, [...(server.grants.get(memberId) ?? []), grant]);
  const publish = (server, r) => {
    server.log.push(r.logEntry);
    for (const g of r.grants) addGrant(server, g.memberId, g.grant);
    server.history.push(r.historyLink);
  };
  const load = (server, member, anchor) =>
    Workspace.load(member, { log: server.log, grants: server.grants.get(member.id) ?? [], history: server.history, ...anchor });
  const team = () => {
    const alice = Member.generate();
    const ws = Workspace.create(alice, { now: T0 });
    const server = newServer();
    server.log.push(...ws.log);
    addGrant(server, alice.id, ws.grant(alice.publicBundle));
    const join = (member, role = "member") => {
      const { link, invite, inviteId } = ws.createInvite({ role, now: T0 + 10 });
      ok(/^#confide-invite=[A-Za-z0-9_-]{108}$/.test(link) && Invite.describe(link).inviteId === inviteId, "link");
      server.log.push(invite);
      const admission = ws.admit(Invite.accept(member, link), { now: T0 + 20 });
      ok(admission.memberId === member.id, "admitted id");
      server.log.push(admission.logEntry);
      addGrant(server, admission.memberId, admission.grant);
      return link;
    };
    return { alice, ws, server, join };
  };

  check("sharing: invite, accept, admit, load, then removal rotates the key", () => {
    const { alice, ws, server, join } = team();
    const [bob, carol] = [Member.generate(), Member.generate()];
    const bobLink = join(bob);
    join(carol);
    const note = ws.encrypt("Client slept well.", ctx);
    const wsBob = load(server, bob, { invite: bobLink });
    ok(wsBob.decryptText(note, ctx) === "Client slept well.", "bob reads");
    ok(wsBob.head === ws.head, "same head");
    ok(wsBob.members.map((m) => m.fingerprint).join() === [alice, bob, carol].map((m) => m.fingerprint).join(), "roster");
    ok(wsBob.members[0].role === "admin" && wsBob.members[1].role === "member", "roles");

    const removal = ws.remove(bob.fingerprint, { now: T0 + 100 });
    ok(removal.epoch === 1 && removal.grants.length === 2 && !removal.grants.some((g) => g.memberId === bob.id), "grants skip bob");
    publish(server, removal);
    const after = ws.encrypt("Written after Bob left.", ctx);
    ok(code(() => wsBob.decrypt(after, ctx)) === "unknown_epoch", "bob cannot read new notes");
    ok(code(() => load(server, bob, { pinnedHead: wsBob.head })) === "not_a_member", "bob cannot reload");
    const wsCarol = load(server, carol, { pinnedHead: ws.head });
    ok(wsCarol.decryptText(note, ctx) === "Client slept well.", "carol reads history");
    ok(wsCarol.decryptText(after, ctx) === "Written after Bob left.", "carol reads new");
    publish(server, ws.rotate({ now: T0 + 200 }));
    ok(load(server, carol, { pinnedHead: wsCarol.head }).epoch === 2, "rotation without removal");
    ok(load(server, alice, {}).epoch === 2, "the creator is anchored by her own entries");
  });

  check("a malicious server's attacks fail with their own codes through the package", () => {
    const { alice, ws, server, join } = team();
    const bob = Member.generate();
    const link = join(bob);
    const wsBob = load(server, bob, { invite: link });
    const alter = (f) => { const s = { ...server, log: server.log.map((e) => e.slice()) }; f(s); return s; };
    // A substituted bundle inside Bob's admit entry.
    const swapped = alter((s) => s.log[2].set(Member.generate().publicBundle, 97 + 52));
    // Bob's link expects his own admission; Alice, anchored by her entries, verifies the log.
    ok(code(() => load(swapped, bob, { invite: link })) === "not_a_member", "substituted bundle, invitee");
    ok(code(() => load(swapped, alice, {})) === "bad_signature", "substituted bundle, creator");
    ok(code(() => load(server, bob, {})) === "no_trust_anchor", "no anchor");
    ok(code(() => load(alter((s) => s.log.pop()), bob, { pinnedHead: wsBob.head })) === "rollback_detected", "rollback");
    ok(code(() => load(alter((s) => s.log.splice(1, 1)), bob, { invite: link })) === "invite_unknown", "hole, invitee");
    ok(code(() => load(alter((s) => s.log.splice(1, 1)), alice, {})) === "broken_chain", "hole, creator");
    const forked = wsBob.head.slice(0, -2) + (wsBob.head.endsWith("AA") ? "AQ" : "AA");
    ok(code(() => load(server, bob, { pinnedHead: forked })) === "fork_detected", "fork");
    ok(code(() => Workspace.load(bob, { log: server.log, grants: server.grants.get(alice.id), invite: link })) === "not_for_this_member", "alice's grant");
    ok(code(() => Workspace.load(bob, { log: server.log, grants: [], invite: link })) === "missing_grant", "no grant");
    // Invites: replayed, expired, altered, made without the secret.
    const carol = Member.generate();
    const { link: l2, invite } = ws.createInvite({ now: T0 + 30, expiresInSeconds: 3600 });
    server.log.push(invite);
    const acceptance = Invite.accept(carol, l2);
    ok(code(() => ws.admit(acceptance, { now: T0 + 30 + 3601 })) === "invite_expired", "expired");
    const altered = acceptance.slice();
    altered[52 + 1316 + 5] ^= 1;
    ok(code(() => ws.admit(altered, { now: T0 + 40 })) === "bad_signature", "altered acceptance");
    ws.admit(acceptance, { now: T0 + 40 });
    ok(code(() => ws.admit(acceptance, { now: T0 + 41 })) === "invite_used", "replayed");
    ok(code(() => ws.admit(Invite.accept(carol, link), { now: T0 + 41 })) === "invite_used", "old link");
    ok(code(() => wsBob.createInvite({ now: T0 + 50 })) === "not_authorized", "member cannot invite");
    ok(code(() => ws.remove(alice.id)) === "cannot_remove_self", "an admin cannot remove itself");
  });

  check("membership garbage gives ConfideError and the module keeps working", () => {
    const { ws, server } = team();
    const alice = Member.generate();
    for (const [name, f, want] of [
      ["load null", () => Workspace.load(alice, null), "invalid_argument"],
      ["load no log", () => Workspace.load(alice, { grants: [] }), "invalid_argument"],
      ["load strings", () => Workspace.load(alice, { log: ["x"], grants: [] }), "invalid_argument"],
      ["load empty", () => Workspace.load(alice, { log: [], grants: [], pinnedHead: ws.head }), "malformed"],
      ["load junk", () => Workspace.load(alice, { log: [new Uint8Array(300)], grants: [] }), "malformed"],
      ["bad head", () => Workspace.load(alice, { log: server.log, grants: [], pinnedHead: "!!" }), "malformed"],
      ["bad role", () => ws.createInvite({ role: "owner" }), "invalid_argument"],
      ["bad expiry", () => ws.createInvite({ expiresInSeconds: 1e9 }), "invalid_argument"],
      ["bad now", () => ws.rotate({ now: -1 }), "invalid_argument"],
      ["accept number", () => Invite.accept(alice, 42), "invalid_argument"],
      ["describe junk", () => Invite.describe("#confide-invite=abc"), "malformed"],
      ["admit junk", () => ws.admit(new Uint8Array(10)), "malformed"],
      ["remove nobody", () => ws.remove("nobody"), "not_a_member"],
      ["remove number", () => ws.remove(7), "invalid_argument"],
      ["extend junk", () => ws.extendLog([new Uint8Array(200)]), "malformed"],
    ]) {
      const got = code(f);
      ok(got === want, `${name}: expected ${want}, got ${got}`);
    }
    ok(ws.members.length === 1 && ws.epoch === 0, "still works");
  });

  // ---------- backups, recovery kits, device storage (FORMAT.md#passphrase-backup) ----------
  const asyncCode = async (f) => {
    try {
      await f();
      return "success";
    } catch (e) {
      return e?.name === "ConfideError" ? e.code : `non-ConfideError ${e?.name}`;
    }
  };

  check("passphrase backups and recovery kits round trip; weak, wrong and hostile inputs give their codes", async () => {
    const alice = Member.generate();
    const backup = await alice.exportWithPassphrase("correct horse battery staple");
    ok(backup.length === 139 && backup[3] === 1, "backup layout");
    ok((await Member.importWithPassphrase(backup, "correct horse battery staple")).fingerprint === alice.fingerprint, "import");
    // Argon2id runs in a throwaway worker instance (SECURITY.md#memory): the package's own wasm
    // memory never holds its 64 MiB of blocks (every unlock so far, vectors included, ran
    // elsewhere), and this thread keeps running meanwhile.
    let ticks = 0;
    let ticking = true;
    const tick = () => {
      ticks++;
      if (ticking) setTimeout(tick, 10);
    };
    setTimeout(tick, 10);
    ok((await Member.importWithPassphrase(backup, "correct horse battery staple")).fingerprint === alice.fingerprint, "import again");
    ticking = false;
    ok(hazmat.wasmMemoryBytes() < 64 * 2 ** 20, `the package's wasm memory is ${hazmat.wasmMemoryBytes()} bytes`);
    ok(ticks >= 5, `the calling thread ran ${ticks} timers during the unlock`);
    // NFC: a composed and a decomposed é are one passphrase.
    const composed = await alice.exportWithPassphrase("Séance du mardi à neuf heures");
    const decomposed = "Se\u0301ance du mardi a\u0300 neuf heures";
    ok((await Member.importWithPassphrase(composed, decomposed)).fingerprint === alice.fingerprint, "NFC");
    ok(await asyncCode(() => Member.importWithPassphrase(backup, "correct horse battery stapler")) === "wrong_passphrase", "wrong");
    for (const weak of ["short", "aaaaaaaaaaaaaaaa", "passwordpassword", "123456789012", "hunter2hunter2"]) {
      ok(await asyncCode(() => alice.exportWithPassphrase(weak)) === "weak_passphrase", `weak ${weak}`);
    }
    const hostile = backup.slice();
    hostile.set([0xff, 0xff, 0xff, 0xff], 5); // 4 TiB of memory
    const t = performance.now();
    ok(await asyncCode(() => Member.importWithPassphrase(hostile, "correct horse battery staple")) === "malformed", "hostile");
    ok(performance.now() - t < 100, `hostile backup refused in ${performance.now() - t} ms`);
    ok(await asyncCode(() => alice.exportWithPassphrase("correct horse battery staple", { strength: "extreme" })) === "invalid_argument", "strength");
    // A lone surrogate is not Unicode: it would reach wasm as U+FFFD, so two passphrases would be one.
    ok(await asyncCode(() => alice.exportWithPassphrase("correct horse battery \uD800")) === "invalid_argument", "lone surrogate, export");
    ok(await asyncCode(() => Member.importWithPassphrase(backup, "correct horse battery \uDC00")) === "invalid_argument", "lone surrogate, import");
    const kit = alice.recoveryKit();
    ok(/^([0-9A-HJKMNP-TV-Z]{5} ){10}[0-9A-HJKMNP-TV-Z]{5}$/.test(kit), "kit shape");
    ok(Member.fromRecoveryKit(kit.toLowerCase().replace(/ /g, "")).fingerprint === alice.fingerprint, "kit forgives case and spaces");
    const typo = kit.slice(0, 3) + (kit[3] === "7" ? "8" : "7") + kit.slice(4);
    ok(code(() => Member.fromRecoveryKit(typo)) === "bad_recovery_kit", "kit typo");
    ok(code(() => Member.fromRecoveryKit(42)) === "invalid_argument", "kit type");
  });

  check("decryptMany and decryptTextMany give every item what decrypt gives it, in order, on both engines", async () => {
    const alice = Member.generate();
    const ws = Workspace.create(alice);
    const other = Workspace.create(alice);
    const at = (i) => ({ recordId: `n-${i}`, field: "body" });
    const bytes = (n) => new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);
    const items = [];
    const add = (record, context, text) => items.push({ record, context, text });
    // Text notes, padded (the default): short, empty, a leading BOM, and multi-chunk UTF-8.
    for (const t of ["Client reported better sleep.", "", "\uFEFFa note that starts with a BOM", "é".repeat(9000)]) {
      add(ws.encrypt(t, at(items.length)), at(items.length), t);
    }
    // Byte records, unpadded and padded, around the 16 KiB chunk edges.
    for (const [n, pad] of [[0, false], [1, false], [16384, false], [16385, false], [40_000, false], [70_000, true], [3, true]]) {
      add(ws.encrypt(bytes(n), at(items.length), { pad }), at(items.length));
    }
    const note = ws.encrypt("a note", at(0));
    const flipped = note.slice();
    flipped[90] ^= 1;
    const big = ws.encrypt(bytes(40_000), at(1), { pad: false });
    const bigFlipped = big.slice();
    bigFlipped[82 + 16400 + 5] ^= 1; // second chunk
    add(flipped, at(0));                                  // decryption_failed
    add(bigFlipped, at(1));                               // decryption_failed, in a later chunk
    add(big.subarray(0, 82 + 16400), at(1));              // cut at a chunk edge: decryption_failed
    add(big.subarray(0, big.length - 7), at(1));          // a length no record has
    add(note, at(1));                                     // another record id
    add(other.encrypt("elsewhere", at(0)), at(0));        // wrong_workspace
    add(new Uint8Array(50), at(0));                       // malformed
    add(note.subarray(0, 97), at(0));                     // one byte short of a header
    add("not bytes", at(0));                              // invalid_argument
    add(note, { recordId: "" , field: "body" });          // invalid_argument
    items.push(null);                                     // invalid_argument
    const expected = items.map((item) => {
      try {
        return { ok: true, value: ws.decrypt(item?.record, item?.context) };
      } catch (e) {
        return { ok: false, code: e.code };
      }
    });
    ok(expected.filter((e) => !e.ok).length === 11 && new Set(expected.map((e) => e.code)).size >= 5, "the mix covers failures");
    const engines = ["wasm", "auto", ...(globalThis.crypto?.subtle ? ["webcrypto"] : [])];
    for (const engine of engines) {
      const got = await ws.decryptMany(items, { engine });
      ok(got.length === items.length, `${engine}: ${got.length} results`);
      got.forEach((r, i) => {
        const want = expected[i];
        ok(r.ok === want.ok, `${engine}: item ${i}: ${r.ok ? "opened" : r.error?.code}, decrypt gives ${want.ok ? "bytes" : want.code}`);
        if (r.ok) eqBytes(r.value, want.value, `${engine}: item ${i} bytes`);
        else ok(isConfideError(r.error) && r.error.code === want.code, `${engine}: item ${i}: ${r.error?.code} for ${want.code}`);
      });
      const texts = await ws.decryptTextMany(items, { engine });
      texts.forEach((r, i) => {
        if (items[i]?.text !== undefined) ok(r.ok && r.value === items[i].text, `${engine}: text ${i}`);
      });
      // A byte record that is not UTF-8 is malformed as text, as decryptText says.
      const binary = ws.encrypt(new Uint8Array([0xff, 0xfe, 0x00]), at(0));
      const [asText] = await ws.decryptTextMany([{ record: binary, context: at(0) }], { engine });
      ok(!asText.ok && asText.error.code === "malformed" && code(() => ws.decryptText(binary, at(0))) === "malformed", `${engine}: binary as text`);
    }
  });

  check("decryptMany yields to the event loop, reports progress, honours AbortSignal and rejects misuse", async () => {
    const ws = Workspace.create(Member.generate());
    const note = "x".repeat(1000);
    const items = Array.from({ length: 3000 }, (_, i) => ({ record: ws.encrypt(note, { recordId: `n-${i}`, field: "body" }), context: { recordId: `n-${i}`, field: "body" } }));
    // The wasm engine is synchronous per record: only the batch's own yields let timers run.
    let ticks = 0;
    let ticking = true;
    const tick = () => { ticks++; if (ticking) setTimeout(tick, 1); };
    setTimeout(tick, 1);
    const progress = [];
    const t0 = performance.now();
    const all = await ws.decryptTextMany(items, { engine: "wasm", onProgress: (n) => progress.push(n) });
    const ms = performance.now() - t0;
    ticking = false;
    ok(all.every((r) => r.ok && r.value === note), "all opened");
    ok(ticks >= Math.min(3, Math.floor(ms / 20)), `${ticks} timers ran during ${ms.toFixed(0)} ms of decryptMany`);
    ok(progress.length >= 2 && progress.at(-1) === items.length && progress.every((n, i) => i === 0 || n >= progress[i - 1]), `progress ${progress.join(",")}`);
    // Abort: mid-way, and before the start.
    const controller = new AbortController();
    const mid = await asyncCode(() => ws.decryptMany(items, { engine: "wasm", signal: controller.signal, onProgress: () => controller.abort() }));
    ok(mid === "aborted", `abort mid-way gave ${mid}`);
    ok(await asyncCode(() => ws.decryptMany(items, { signal: controller.signal })) === "aborted", "aborted before the start");
    // Misuse rejects the whole call; an empty list is fine.
    ok(await asyncCode(() => ws.decryptMany("nope")) === "invalid_argument", "items not an array");
    ok(await asyncCode(() => ws.decryptMany(items, { engine: "fast" })) === "invalid_argument", "engine");
    ok(await asyncCode(() => ws.decryptMany(items, { signal: "stop" })) === "invalid_argument", "signal");
    ok((await ws.decryptMany([])).length === 0, "empty list");
    ws.free();
    ok(await asyncCode(() => ws.decryptMany(items)) === "freed", "freed workspace");
  });

  check("without Web Workers, a backup still opens: Argon2id runs on the calling thread, not in the package's instance", async () => {
    if (typeof Worker !== "function") return; // Node: worker threads; api.test.mjs refuses them
    const alice = Member.generate();
    const saved = globalThis.Worker;
    globalThis.Worker = undefined;
    try {
      const backup = await alice.exportWithPassphrase("correct horse battery staple");
      ok((await Member.importWithPassphrase(backup, "correct horse battery staple")).fingerprint === alice.fingerprint, "round trip");
    } finally {
      globalThis.Worker = saved;
    }
    ok(hazmat.wasmMemoryBytes() < 64 * 2 ** 20, `the package's wasm memory is ${hazmat.wasmMemoryBytes()} bytes`);
  });

  check("device storage keeps a member sealed under a non-extractable key, or says why it cannot", async () => {
    const seed = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 3);
    const member = hazmat.memberFromSeed(seed);
    if (typeof indexedDB === "undefined") {
      ok(await asyncCode(() => member.saveToDevice()) === "device_storage_unavailable", "save without IndexedDB");
      ok(await asyncCode(() => Member.loadFromDevice()) === "device_storage_unavailable", "load without IndexedDB");
      return;
    }
    await Member.deleteFromDevice({ name: "suite" });
    ok(await asyncCode(() => Member.loadFromDevice({ name: "suite" })) === "no_saved_member", "nothing saved");
    await member.saveToDevice({ name: "suite" });
    ok((await Member.loadFromDevice({ name: "suite" })).fingerprint === member.fingerprint, "load");
    // What IndexedDB holds: no seed bytes anywhere, and a key script cannot export.
    const db = await new Promise((resolve, reject) => {
      const req = indexedDB.open("confide");
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const record = await new Promise((resolve, reject) => {
      const req = db.transaction("members").objectStore("members").get("suite");
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    db.close();
    const bytesOf = (v) => (v instanceof Uint8Array ? [v] : typeof v === "object" && v !== null ? Object.values(v).flatMap(bytesOf) : []);
    const hexSeed = toHex(seed);
    ok(bytesOf(record).length >= 2 && bytesOf(record).every((b) => !toHex(b).includes(hexSeed)), "the seed is not stored");
    ok(!JSON.stringify(record).includes(hexSeed), "nor as text");
    ok(record.key instanceof CryptoKey && record.key.extractable === false, "the key is non-extractable");
    ok(await asyncCode(() => crypto.subtle.exportKey("raw", record.key)) !== "success", "and cannot be exported");
    // A record whose member id is rewritten, or whose sealed seed comes from another record, does not open.
    const other = Member.generate();
    await other.saveToDevice({ name: "suite-other" });
    const put = (name, value) =>
      new Promise((resolve, reject) => {
        const req = indexedDB.open("confide");
        req.onsuccess = () => {
          const tx = req.result.transaction("members", "readwrite");
          tx.objectStore("members").put(value, name);
          tx.oncomplete = () => (req.result.close(), resolve());
          tx.onerror = () => reject(tx.error);
        };
        req.onerror = () => reject(req.error);
      });
    await put("suite", { ...record, memberId: other.id });
    ok(await asyncCode(() => Member.loadFromDevice({ name: "suite" })) === "decryption_failed", "rewritten member id");
    const otherRecord = await new Promise((resolve, reject) => {
      const req = indexedDB.open("confide");
      req.onsuccess = () => {
        const get = req.result.transaction("members").objectStore("members").get("suite-other");
        get.onsuccess = () => (req.result.close(), resolve(get.result));
        get.onerror = () => reject(get.error);
      };
      req.onerror = () => reject(req.error);
    });
    await put("suite", { ...record, sealed: otherRecord.sealed, iv: otherRecord.iv });
    ok(await asyncCode(() => Member.loadFromDevice({ name: "suite" })) === "decryption_failed", "sealed seed from another record");
    await Member.deleteFromDevice({ name: "suite-other" });
    await Member.deleteFromDevice({ name: "suite" });
    ok(await asyncCode(() => Member.loadFromDevice({ name: "suite" })) === "no_saved_member", "deleted");
    // For the reload check that browser.mjs runs next (device.html).
    const kept = Member.generate();
    await kept.saveToDevice({ name: "reload-check" });
    localStorage.setItem("confide-reload-check", kept.fingerprint);
  });

  check("a note that starts with U+FEFF keeps it", () => {
    const ws = Workspace.create(Member.generate());
    for (const text of ["\uFEFFhello", "\uFEFF", "\uFEFF\uFEFFtwo", "mid\uFEFFdle"]) {
      ok(ws.decryptText(ws.encrypt(text, ctx), ctx) === text, `round trip of ${JSON.stringify(text)}`);
      ok(ws.decryptText(ws.encrypt(text, ctx, { pad: false }), ctx) === text, `unpadded ${JSON.stringify(text)}`);
    }
  });

  check("loadAsync verifies a long log in slices, gives the page turns, and can be aborted", async () => {
    const { alice, ws, server } = team();
    for (let i = 0; i < 400; i++) server.log.push(ws.createInvite({ now: T0 + 10 }).invite);
    const progress = [];
    let turnsTaken = 0;
    const channel = new MessageChannel();
    channel.port1.onmessage = () => turnsTaken++;
    channel.port2.postMessage(undefined); // runs only if loadAsync yields before it resolves
    const loaded = await Workspace.loadAsync(alice, {
      log: server.log, grants: server.grants.get(alice.id) ?? [], pinnedHead: ws.head,
      onProgress: (done, total) => progress.push([done, total]),
    });
    channel.port1.close();
    ok(loaded.head === ws.head && loaded.epoch === ws.epoch, "the same workspace as load");
    ok(turnsTaken === 1, "the event loop ran during the load");
    ok(progress.length > 1 && progress.at(-1)[0] === server.log.length && progress.at(-1)[1] === server.log.length, "progress");
    const controller = new AbortController();
    const pending = Workspace.loadAsync(alice, { log: server.log, grants: [], pinnedHead: ws.head, signal: controller.signal });
    controller.abort();
    ok((await pending.then(() => "success", (e) => e.code)) === "aborted", "aborted");
    // The same checks as load, in the same order: the anchor before any signature.
    const altered = server.log.map((e) => e.slice());
    altered.at(-1)[120] ^= 1; // the entry the head pins
    ok((await Workspace.loadAsync(alice, { log: altered, grants: [], pinnedHead: ws.head }).then(() => "success", (e) => e.code)) === "fork_detected", "fork");
    const tooMany = new Array(100_001).fill(new Uint8Array(1));
    ok((await Workspace.loadAsync(alice, { log: tooMany, grants: [] }).then(() => "success", (e) => e.code)) === "log_too_large", "limits");
    ok(code(() => Workspace.load(alice, { log: tooMany, grants: [] })) === "log_too_large", "limits, load");
  });

  // ---------- cases (FORMAT.md#cases): a practice of four, one in-memory server ----------
  const practice = () => {
    // Alice runs the roster and is on no case; Bob and Dana are clinicians; Carol supervises.
    const { alice, ws, server, join } = team();
    const [bob, carol, dana] = [Member.generate(), Member.generate(), Member.generate()];
    const links = [bob, carol, dana].map((m) => join(m));
    const wss = [bob, carol, dana].map((m, i) => load(server, m, { invite: links[i] }));
    const cases = new Map(); // case id -> { log: [], grants: Map(member id -> [grant]) }
    const publishCase = (id, change) => {
      const c = cases.get(id) ?? { log: [], grants: new Map() };
      cases.set(id, c);
      c.log.push(change.logEntry);
      for (const g of change.grants) c.grants.set(g.memberId, [...(c.grants.get(g.memberId) ?? []), g.grant]);
    };
    const loadCase = (id, member, memberWs, pinnedHead, from = cases) => {
      const c = from.get(id);
      return Case.load(memberWs, { log: c.log, grants: c.grants.get(member.id) ?? [], pinnedHead });
    };
    return { alice, ws, server, bob, carol, dana, wsBob: wss[0], wsCarol: wss[1], wsDana: wss[2], cases, publishCase, loadCase };
  };
  const streamText = async (stream, bytes) => {
    const out = await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer();
    return new TextDecoder().decode(out);
  };

  check("cases: each member reads exactly what its level and cases allow, on every path", async () => {
    const p = practice();
    const { case: bobCase, change } = Case.create(p.wsBob, { now: T0 + 100 });
    ok(change.grants.length === 1 && change.grants[0].memberId === p.bob.id && bobCase.level === "full", "creator is full");
    p.publishCase(bobCase.id, change);
    p.publishCase(bobCase.id, bobCase.add(p.carol.id, "summary", { now: T0 + 101 }));
    ok(bobCase.epoch === 1 && bobCase.members.map((m) => `${m.id === p.bob.id ? "bob" : "carol"}:${m.level}`).join() === "bob:full,carol:summary", "members");
    const note = bobCase.encrypt("Client disclosed a panic attack on the bus.", ctx);
    const hours = bobCase.encrypt("50 min, K.L., active", { recordId: "n-42", field: "summary" }, { level: "summary" });
    ok(note[3] === 3 && hours[5] === 0x03 && note[5] === 0x01, "case records are version 3; the summary flag is set");
    ok(code(() => p.wsBob.decrypt(note, ctx)) === "wrong_case", "the workspace key does not open a case record");
    const carolCase = p.loadCase(bobCase.id, p.carol, p.wsCarol, undefined);
    ok(carolCase.level === "summary", "carol is summary");
    ok(carolCase.decryptText(hours, { recordId: "n-42", field: "summary" }) === "50 min, K.L., active", "carol reads the summary");
    ok(code(() => carolCase.decrypt(note, ctx)) === "level_too_low", "carol cannot open the clinical note");
    ok(code(() => carolCase.encrypt("x", ctx, { level: "summary" })) === "level_too_low", "a summary member writes nothing");
    ok(code(() => carolCase.add(p.dana.id, "full")) === "level_too_low", "a summary member changes nothing");
    ok(code(() => p.loadCase(bobCase.id, p.dana, p.wsDana)) === "not_a_member", "dana, not on the case, gets no keys");
    ok(code(() => p.loadCase(bobCase.id, p.alice, p.ws)) === "not_a_member", "the roster admin gets no keys");
    ok(code(() => bobCase.encrypt("x", ctx, { level: "supervisor" })) === "invalid_argument", "unknown level");
    // Every read path: many, streams on both engines, ranges.
    const many = await carolCase.decryptTextMany([{ record: hours, context: { recordId: "n-42", field: "summary" } }, { record: note, context: ctx }]);
    ok(many[0].ok && many[0].value === "50 min, K.L., active" && !many[1].ok && many[1].error.code === "level_too_low", "decryptTextMany");
    const sctx = { recordId: "rec-1", field: "audio" };
    const audio = new Uint8Array(40_000).map((_, i) => i * 7);
    for (const engine of ["wasm", "auto"]) {
      const rec = new Uint8Array(await new Response(new Blob([audio]).stream().pipeThrough(bobCase.encryptStream(sctx, { engine }))).arrayBuffer());
      ok(rec[3] === 3, `streamed record is a case record (${engine})`);
      const back = new Uint8Array(await new Response(new Blob([rec]).stream().pipeThrough(bobCase.decryptStream(sctx, { engine }))).arrayBuffer());
      eqBytes(back, audio, `stream round trip (${engine})`);
      eqBytes(await bobCase.decryptRange(rec, sctx, 16_000, 17_000), audio.subarray(16_000, 17_000), `range (${engine})`);
      ok((await streamCode(carolCase.decryptRange(rec, sctx, 0, 5))) === "level_too_low", `summary member, range (${engine})`);
      // Read the stream itself: a Response over an errored body rejects with the browser's
      // own TypeError, not the stream's error (Chromium and Firefox; Node passes it through).
      const got = await streamCode(collect(new Blob([rec]).stream().pipeThrough(carolCase.decryptStream(sctx, { engine }))));
      ok(got === "level_too_low", `summary member, stream (${engine}): ${got}`);
    }
    // A record of another case does not open in this one.
    const { case: danaCase, change: dc } = Case.create(p.wsDana, { now: T0 + 102 });
    p.publishCase(danaCase.id, dc);
    const other = danaCase.encrypt("Dana's client.", ctx);
    ok(code(() => bobCase.decrypt(other, ctx)) === "wrong_case", "another case's record");
    ok(code(() => danaCase.decrypt(note, ctx)) === "wrong_case", "and the other way round");
    bobCase.free();
    ok(code(() => bobCase.decrypt(note, ctx)) === "freed", "freed");
  });

  check("cases: admission to the present, handover, removal from the workspace, deletion", () => {
    const p = practice();
    const { case: bobCase, change } = Case.create(p.wsBob, { now: T0 + 100, retentionUntil: T0 + 10_000 });
    p.publishCase(bobCase.id, change);
    const before = bobCase.encrypt("Intake: referred by GP.", ctx);
    p.publishCase(bobCase.id, bobCase.add(p.dana.id, "full", { now: T0 + 110 }));
    let danaCase = p.loadCase(bobCase.id, p.dana, p.wsDana);
    ok(code(() => danaCase.decrypt(before, ctx)) === "unknown_epoch", "dana reads from her admission on");
    const history = bobCase.shareHistory(p.dana.id, { now: T0 + 111 });
    ok(history.grants.length === 1, "one earlier epoch shared");
    p.publishCase(bobCase.id, history);
    danaCase = p.loadCase(bobCase.id, p.dana, p.wsDana, danaCase.head);
    ok(danaCase.decryptText(before, ctx) === "Intake: referred by GP.", "history is an explicit grant");
    // Handover: Bob cannot leave while he is the only full member; with Dana full, he can go.
    const { case: soloCase, change: sc } = Case.create(p.wsBob, { now: T0 + 112 });
    p.publishCase(soloCase.id, sc);
    ok(code(() => soloCase.remove(p.bob.id)) === "cannot_remove_self", "no self-removal");
    p.publishCase(soloCase.id, soloCase.add(p.dana.id, "summary", { now: T0 + 113 }));
    const danaSolo = p.loadCase(soloCase.id, p.dana, p.wsDana);
    ok(code(() => danaSolo.setLevel(p.bob.id, "summary")) === "level_too_low", "summary cannot demote");
    ok(code(() => soloCase.setLevel(p.bob.id, "summary")) === "last_holder", "the last full member cannot step down");
    p.publishCase(soloCase.id, soloCase.setLevel(p.dana.id, "full", { now: T0 + 114 }));
    const handedOver = p.loadCase(soloCase.id, p.dana, p.wsDana);
    p.publishCase(soloCase.id, handedOver.remove(p.bob.id, { now: T0 + 115 }));
    ok(code(() => p.loadCase(soloCase.id, p.bob, p.wsBob)) === "not_a_member", "bob is off the handed-over case");

    // Removal from the workspace: the case writes nothing until it moves to a key Bob lacks.
    publish(p.server, p.ws.remove(p.bob.id, { now: T0 + 120 }));
    const wsDana = load(p.server, p.dana, { pinnedHead: p.wsDana.head });
    danaCase = p.loadCase(bobCase.id, p.dana, wsDana);
    ok(danaCase.needsRotation && danaCase.members.find((m) => m.id === p.bob.id).departed, "bob is departed");
    ok(code(() => danaCase.encrypt("x", ctx)) === "case_needs_rotation", "no write under a key bob holds");
    const rotations = danaCase.removeDeparted({ now: T0 + 121 });
    ok(rotations.length === 1 && !rotations[0].grants.some((g) => g.memberId === p.bob.id), "bob gets no new grant");
    rotations.forEach((r) => p.publishCase(bobCase.id, r));
    const after = danaCase.encrypt("Written after Bob left.", ctx);
    ok(code(() => bobCase.decrypt(after, ctx)) === "unknown_epoch", "bob's old case object cannot read new notes");
    ok(code(() => load(p.server, p.bob, { pinnedHead: p.wsBob.head })) === "not_a_member", "nor reload the workspace");
    ok(code(() => p.loadCase(bobCase.id, p.bob, p.wsBob)) === "workspace_out_of_date", "nor load the case on his old log");

    // Deletion: held by the signed retention date, then a tombstone; no one loads it again.
    ok(code(() => danaCase.delete({ now: T0 + 130 })) === "under_retention", "retention holds");
    p.publishCase(bobCase.id, { logEntry: danaCase.setRetention(0, { now: T0 + 131 }), grants: [] });
    const copy = new Map([...p.cases].map(([k, v]) => [k, { log: [...v.log], grants: new Map(v.grants) }]));
    p.publishCase(bobCase.id, { logEntry: danaCase.delete({ now: T0 + 132 }), grants: [] });
    ok(code(() => danaCase.decrypt(after, ctx)) === "unknown_epoch", "the deleting object drops its keys");
    ok(code(() => p.loadCase(bobCase.id, p.dana, wsDana)) === "case_deleted", "deleted for everyone");
    // A copy of the server taken before deletion still opens for a member with its grants:
    // crypto-shredding is the server dropping them (SECURITY.md#cases), checked end to end in e2e.
    ok(p.loadCase(bobCase.id, p.dana, wsDana, undefined, copy).decryptText(after, ctx) === "Written after Bob left.", "control: the old copy");
  });

  check("a malicious server's case attacks fail with their own codes through the package", () => {
    const p = practice();
    const { case: bobCase, change } = Case.create(p.wsBob, { now: T0 + 100 });
    p.publishCase(bobCase.id, change);
    p.publishCase(bobCase.id, bobCase.add(p.carol.id, "summary", { now: T0 + 101 }));
    const { case: danaCase, change: dc } = Case.create(p.wsDana, { now: T0 + 102 });
    p.publishCase(danaCase.id, dc);
    p.publishCase(danaCase.id, danaCase.add(p.carol.id, "full", { now: T0 + 103 }));
    const c = p.cases.get(bobCase.id);
    const carolGrants = c.grants.get(p.carol.id);
    const withLog = (log, grants = carolGrants) => Case.load(p.wsCarol, { log, grants });
    // It raises Carol's level: the add entry's level byte is signed.
    const raised = c.log.map((e) => e.slice());
    raised[1][117 + 32] ^= 3; // the level byte of the add entry (FORMAT.md#case-entry-kinds)
    ok(code(() => withLog(raised)) === "bad_signature", "raised level");
    // It serves Dana's case grant for Bob's case, or Bob's grant to Carol.
    ok(code(() => withLog(c.log, p.cases.get(danaCase.id).grants.get(p.carol.id))) === "wrong_case", "another case's grant");
    ok(code(() => withLog(c.log, c.grants.get(p.bob.id))) === "not_for_this_member", "another member's grant");
    ok(code(() => withLog(c.log, [])) === "missing_grant", "no grant");
    // It replays an old access list, or forks, to a member who saw the newer state.
    const seen = p.loadCase(bobCase.id, p.carol, p.wsCarol).head;
    ok(code(() => Case.load(p.wsCarol, { log: c.log.slice(0, 1), grants: [], pinnedHead: seen })) === "rollback_detected", "rollback");
    const forked = seen.slice(0, -2) + (seen.endsWith("AA") ? "AQ" : "AA");
    ok(code(() => Case.load(p.wsCarol, { log: c.log, grants: carolGrants, pinnedHead: forked })) === "fork_detected", "fork");
    ok(code(() => Case.load(p.wsCarol, { log: c.log, grants: carolGrants, pinnedHead: p.loadCase(danaCase.id, p.carol, p.wsCarol).head })) === "wrong_case", "another case's head");
    // It moves a record between cases, or lowers its level.
    const note = bobCase.encrypt("Clinical detail.", ctx);
    ok(code(() => danaCase.decrypt(note, ctx)) === "wrong_case", "moved record");
    const lowered = note.slice();
    lowered[5] |= 0x02;
    const carolCase = p.loadCase(bobCase.id, p.carol, p.wsCarol);
    ok(code(() => carolCase.decrypt(lowered, ctx)) === "decryption_failed", "level lowered in the header");
    // It keeps a removed member on the case: the case refuses to write until it rotates.
    publish(p.server, p.ws.remove(p.carol.id, { now: T0 + 110 }));
    const wsBob = load(p.server, p.bob, { pinnedHead: p.wsBob.head });
    const stale = p.loadCase(bobCase.id, p.bob, wsBob);
    ok(code(() => stale.encrypt("x", ctx)) === "case_needs_rotation", "no write under a removed member's key");
    ok(code(() => Case.load(p.wsCarol, { log: c.log, grants: carolGrants, pinnedHead: "x" })) === "malformed", "bad head");
    ok(code(() => Case.load(p.wsCarol, { log: new Array(10_001).fill(c.log[0]), grants: [] })) === "log_too_large", "oversized log");
  });

  // ---------- record integrity (FORMAT.md#revisions) ----------
  check("integrity: signed revisions with author and number, history, sign-off, tombstone and the audit report", () => {
    const p = practice();
    const { case: c, change } = Case.create(p.wsBob, { now: T0 + 100 });
    p.publishCase(c.id, change);
    p.publishCase(c.id, c.add(p.carol.id, "full", { now: T0 + 101 }));
    const w1 = c.write("Intake: sleep poor.", ctx, { now: T0 + 110 });
    const w2 = c.write("Intake: sleep poor; referred.", ctx, { previous: w1.revision, now: T0 + 120 });
    const carolCase = p.loadCase(c.id, p.carol, p.wsCarol);
    const opened = carolCase.openRecordText({ revisions: [w1.revision, w2.revision], record: w2.record }, ctx);
    ok(opened.value === "Intake: sleep poor; referred." && !opened.deleted, "latest value");
    ok(opened.revision.number === 2 && opened.revision.author === p.bob.id && opened.revision.time === T0 + 120, "author, number, time");
    ok(opened.revisions.length === 2 && opened.revisions[0].kind === "write", "history");
    ok(new TextDecoder().decode(carolCase.openRevision({ revisions: [w1.revision, w2.revision] }, 0, w1.record, ctx)) === "Intake: sleep poor.", "old value");
    // Sign-off, then an edit after it.
    const signed = carolCase.signOff(w2.revision, { now: T0 + 130 });
    const so = c.verifySignOff(signed, w2.revision);
    ok(so.signer === p.carol.id && so.revisionNumber === 2, "sign-off verifies");
    const w3 = c.write("Intake: sleep poor; referred to GP.", ctx, { previous: w2.revision, now: T0 + 140 });
    ok(code(() => c.verifySignOff(signed, w3.revision)) === "signoff_mismatch", "an edit after sign-off is unsigned");
    // A tombstone: who deleted it and when.
    const tomb = c.deleteRecord(ctx, { previous: w3.revision, now: T0 + 150 });
    const gone = carolCase.openRecordText({ revisions: [w1.revision, w2.revision, w3.revision, tomb] }, ctx);
    ok(gone.deleted && gone.value === undefined && gone.revision.kind === "delete" && gone.revision.author === p.bob.id, "tombstone");
    // The audit trail: appended by both, read by both, exported.
    const trail = c.verifyAudit([]);
    const entries = [
      c.appendAudit(trail, { action: "create", recordId: ctx.recordId, field: ctx.field, revision: w1.revision }, { now: T0 + 110 }),
      c.appendAudit(trail, { action: "edit", recordId: ctx.recordId, field: ctx.field, revision: w2.revision }, { now: T0 + 120 }),
    ];
    const carolTrail = carolCase.verifyAudit(entries);
    entries.push(carolCase.appendAudit(carolTrail, { action: "sign-off", recordId: ctx.recordId, field: ctx.field, revision: w2.revision, note: "=reviewed" }, { now: T0 + 130 }));
    const read = c.verifyAudit(entries, { pin: carolTrail.head });
    ok(read.entries.map((e) => e.event.action).join() === "create,edit,sign-off", "actions");
    ok(read.entries[2].author === p.carol.id && read.latestRevision(ctx.recordId, ctx.field) === 2, "author and latest");
    const csv = read.toCsv({ [p.bob.id]: "Bob", [p.carol.id]: "Carol" });
    ok(csv.split("\r\n").length === 5 && csv.includes(",Carol,sign-off,n-42,body,2,") && csv.includes(",'=reviewed"), "CSV, formula-safe");
    ok(read.toHtml("K.L. <audit>").includes("K.L. &#60;audit&#62;"), "printable page escapes");
    const idx = p.wsBob.blindIndex("Zoë  Martin");
    ok(idx === p.wsCarol.blindIndex("zoe\u0308 martin") && /^[A-Za-z0-9_-]{27}$/.test(idx), "blind index: one name, one index, however typed");
    ok(idx !== p.wsBob.blindIndex("Zoe Martin") && p.wsBob.blindIndexes("Zoë Martin").includes(idx), "blind index: another name differs; every epoch searched");
    ok(p.wsCarol.blindIndex(`${" ".repeat(2000)}Zoë\t\tMartin${" ".repeat(2000)}`) === idx, "blind index: white space is collapsed before the 1024-byte limit");
    ok(code(() => p.wsCarol.blindIndex("x".repeat(1025))) === "invalid_argument", "blind index: past 1024 bytes");
    ok(code(() => p.wsBob.blindIndex("")) === "invalid_argument", "blind index: empty text");
    ok(initials("John Doe") === "J.D." && initials("  anne-marie   o'neil ") === "A.O." && initials("Émile Zola") === "É.Z.", "initials");
    trail.free(); carolTrail.free(); read.free();
    ok(code(() => read.entries) === "freed", "freed trail");
  });

  check("a malicious server's attacks on record integrity fail with their own codes through the package", () => {
    const p = practice();
    const { case: c, change } = Case.create(p.wsBob, { now: T0 + 100 });
    p.publishCase(c.id, change);
    p.publishCase(c.id, c.add(p.carol.id, "full", { now: T0 + 101 }));
    const w1 = c.write("one", ctx, { now: T0 + 110 });
    const w2 = c.write("two", ctx, { previous: w1.revision, now: T0 + 120 });
    const fork = c.write("two, another branch", ctx, { previous: w1.revision, now: T0 + 121 });
    const { pin } = c.openRecord({ revisions: [w1.revision, w2.revision], record: w2.record }, ctx);
    ok(code(() => c.openRecord({ revisions: [w1.revision], record: w1.record, pin }, ctx)) === "rollback_detected", "rolled back");
    ok(code(() => c.openRecord({ revisions: [w1.revision, fork.revision], record: fork.record, pin }, ctx)) === "fork_detected", "forked");
    const w3 = c.write("three", ctx, { previous: w2.revision, now: T0 + 122 });
    ok(c.openRecordText({ revisions: [w2.revision, w3.revision], record: w3.record, pin }, ctx).value === "three", "from the pinned revision on");
    ok(code(() => c.openRecord({ revisions: [w3.revision], record: w3.record, pin }, ctx)) === "broken_chain", "only after the pin");
    ok(code(() => c.openRecord({ revisions: new Array(100_001).fill(w1.revision), record: w1.record }, ctx)) === "log_too_large", "history past its cap");
    ok(code(() => c.openRecord({ revisions: [w1.revision, w2.revision, fork.revision], record: fork.record }, ctx)) === "fork_detected", "two children of one parent");
    ok(code(() => c.openRecord({ revisions: [w1.revision, w2.revision], record: w1.record }, ctx)) === "record_mismatch", "another revision's record");
    // Attributed to another member: the author id at offset 73.
    const misattributed = w1.revision.slice();
    misattributed.set(b64(p.carol.id), 73);
    ok(code(() => c.openRecord({ revisions: [misattributed], record: w1.record }, ctx)) === "bad_signature", "misattributed");
    // A sign-off replayed on a different revision.
    const signed = c.signOff(w1.revision);
    ok(code(() => c.verifySignOff(signed, w2.revision)) === "signoff_mismatch", "replayed sign-off");
    // The audit trail: an entry dropped or reordered.
    const trail = c.verifyAudit([]);
    const entries = ["create", "edit", "export"].map((action, i) =>
      c.appendAudit(trail, { action, recordId: ctx.recordId, field: ctx.field, revision: [w1, w2, w2][i].revision }, { now: T0 + 130 + i }));
    ok(code(() => c.verifyAudit([entries[0], entries[2]])) === "broken_chain", "dropped audit entry");
    ok(code(() => c.verifyAudit([entries[1], entries[0], entries[2]])) === "broken_chain", "reordered audit entries");
    ok(code(() => c.verifyAudit(entries.slice(0, 2), { pin: trail.head })) === "rollback_detected", "audit cut below its pin");
    // A kept trail extended by what the server serves after it: a skipped or altered entry
    // is refused and the kept trail is as it was; the honest answer then extends it.
    const kept = c.verifyAudit(entries.slice(0, 1));
    const altered = entries[1].slice();
    altered[altered.length - 70] ^= 1;
    ok(code(() => c.extendAudit(kept, [entries[2]])) === "broken_chain", "extension skips an entry");
    ok(code(() => c.extendAudit(kept, [altered, entries[2]])) === "bad_signature", "extension alters an entry");
    ok(kept.length === 1, "kept trail unchanged after a refused extension");
    c.extendAudit(kept, entries.slice(1));
    ok(kept.length === 3 && kept.head === trail.head, "kept trail extended to the full head");
    ok(code(() => c.extendAudit(kept, new Array(100_000).fill(entries[0]))) === "log_too_large", "extension past the cap");
    kept.free();
    // A withheld tombstone shown as a live record, to a client reading the audit trail.
    const tomb = c.deleteRecord(ctx, { previous: w2.revision, now: T0 + 140 });
    const withDelete = c.verifyAudit(entries);
    c.appendAudit(withDelete, { action: "delete", recordId: ctx.recordId, field: ctx.field, revision: tomb });
    ok(code(() => c.openRecord({ revisions: [w1.revision, w2.revision], record: w2.record, audit: withDelete }, ctx)) === "rollback_detected", "withheld tombstone");
    ok(c.openRecord({ revisions: [w1.revision, w2.revision, tomb], audit: withDelete }, ctx).audited === true, "the audited tombstone");
    ok(code(() => c.write("x", ctx, { previous: new Uint8Array(10) })) === "malformed", "garbage previous");
    ok(code(() => c.appendAudit(trail, { action: "viewed" })) === "invalid_argument", "unknown action");
  });

  check("no secret stays in wasm memory once used and freed (SECURITY.md#memory)", async () => {
    const find = (needle) => {
      const hay = hazmat.wasmMemory();
      for (let i = hay.indexOf(needle[0]); i >= 0 && i <= hay.length - needle.length; i = hay.indexOf(needle[0], i + 1)) {
        let j = 1;
        while (j < needle.length && hay[i + j] === needle[j]) j++;
        if (j === needle.length) return i;
      }
      return -1;
    };
    const absent = (needle, what) => ok(find(needle) < 0, `${what} is still in wasm memory`);
    const present = (needle, what) => ok(find(needle) >= 0, `control: ${what} should be found while in use`);
    const ascii = (text) => new TextEncoder().encode(text);
    const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    const seedOfKit = (kit) => {
      const symbols = [...kit.replace(/ /g, "")].map((c) => crockford.indexOf(c));
      const seed = new Uint8Array(32);
      for (let bit = 0; bit < 256; bit++) {
        if (symbols[1 + Math.floor(bit / 5)] & (0x10 >> (bit % 5))) seed[bit >> 3] |= 0x80 >> (bit % 8);
      }
      return seed;
    };

    // The recovery kit text, and the seed it restores, after free().
    const member = Member.generate();
    const kit = member.recoveryKit();
    const seed = seedOfKit(kit);
    present(seed, "the seed of a live member");
    member.free();
    absent(seed, "the seed, after generate and free");
    absent(ascii(kit), "the recovery kit text");
    const restored = Member.fromRecoveryKit(kit);
    ok(restored.recoveryKit() === kit, "the kit restores the member");
    restored.free();
    absent(seed, "the seed, after fromRecoveryKit and free");
    absent(ascii(kit), "the kit text, after fromRecoveryKit");

    // The invite link payload and its secret, after describe and accept.
    const alice = Member.generate();
    const ws = Workspace.create(alice);
    const { link, invite } = ws.createInvite();
    const payload = b64(link.slice("#confide-invite=".length));
    const secret = payload.slice(17, 49);
    const bob = Member.generate();
    Invite.describe(link);
    const acceptance = Invite.accept(bob, link);
    absent(ascii(link.slice(1)), "the invite link text");
    absent(secret, "the invite secret");
    ws.admit(acceptance);
    absent(secret, "the invite secret, after admit");
    // Controls that held before: the link after load, the passphrase after export, note plaintext.
    const wsBob = Workspace.load(bob, { log: ws.log, grants: [ws.grant(bob.publicBundle)], invite: link });
    absent(ascii(link.slice(1)), "the invite link text, after load");
    absent(secret, "the invite secret, after load");
    const note = "Session note: sleep improving, no panic attacks this week.";
    const ct = ws.encrypt(note, ctx);
    ok(wsBob.decryptText(ct, ctx) === note, "bob reads");
    absent(ascii(note), "note plaintext after encrypt and decrypt");
    const passphrase = "a long passphrase nobody guesses 4711";
    await bob.exportWithPassphrase(passphrase);
    absent(ascii(passphrase), "the passphrase after export");
    // Content keys, once their workspaces are freed.
    const key = hazmat.contentKey(ws, 0);
    present(key, "the content key of a live workspace");
    // Case keys, once the case objects are freed (the workspaces still live).
    const { case: c } = Case.create(ws);
    const add = c.add(bob.id, "summary");
    const bobsCase = Case.load(wsBob, { log: c.log, grants: add.grants.filter((g) => g.memberId === bob.id).map((g) => g.grant) });
    const caseKeys = [hazmat.caseKey(c, 0, "full"), hazmat.caseKey(c, 1, "full"), hazmat.caseKey(bobsCase, 1, "summary")];
    caseKeys.forEach((k) => present(k, "a case key of a live case"));
    c.free(); bobsCase.free();
    caseKeys.forEach((k) => absent(k, "a case key, after the cases are freed"));
    ws.free(); wsBob.free(); alice.free(); bob.free();
    absent(key, "the content key, after both workspaces are freed");
  });

  await init();
  const failed = [];
  let passed = 0;
  for (const [name, f] of checks) {
    try {
      await f();
      passed++;
    } catch (e) {
      failed.push({ name, message: String(e?.message ?? e) });
    }
  }
  return { passed, failed, total: checks.length };
}
