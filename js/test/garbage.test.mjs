// Garbage into every export: each call throws ConfideError, and the module keeps working.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as confide from "confide";

const { init, Member, Workspace, Case, ConfideError, isConfideError, recordSize, plaintextSize } = confide;

function garbageValues(valid) {
  const random = (n) => crypto.getRandomValues(new Uint8Array(n));
  const values = [
    undefined, null, 0, -1, 1.5, NaN, Infinity, 2 ** 53, 10n, true, "", "text", Symbol("s"),
    {}, [], [1, 2, 3], () => 1, new ArrayBuffer(16), new Uint16Array(8), new DataView(new ArrayBuffer(4)),
    new Uint8Array(0), random(1), random(3), random(4), random(97), random(1316), random(1320), random(5000),
    new Uint8Array(64 * 1024 * 1024), // huge, within the cap: parsed and rejected
    { length: 10 }, new Proxy({}, { get: () => { throw new Error("trap"); } }),
  ];
  if (valid) {
    values.push(valid.subarray(0, 1), valid.subarray(0, valid.length >> 1), valid.subarray(0, valid.length - 1));
    const extended = new Uint8Array(valid.length + 1);
    extended.set(valid);
    values.push(extended);
    for (const i of [0, 3, 4, 5, 10, valid.length - 1]) {
      const t = valid.slice();
      t[i] ^= 0x41;
      values.push(t);
    }
  }
  return values;
}

test("every export rejects garbage with ConfideError and keeps working", async () => {
  await init();
  const alice = Member.generate();
  const bob = Member.generate();
  const ws = Workspace.create(alice);
  const ctx = { recordId: "n-42", field: "body" };
  const record = ws.encrypt("Client reported better sleep.", ctx);
  const grant = ws.grant(bob.publicBundle);
  const { case: c, change } = Case.create(ws);
  const caseRecord = c.encrypt("Case note.", ctx);
  const skip = () => { throw new ConfideError("invalid_argument", "valid input, skipped"); };

  const stillWorks = () => {
    const ct = ws.encrypt("still alive", ctx);
    assert.equal(ws.decryptText(ct, ctx), "still alive");
    assert.equal(ws.decryptText(record, ctx), "Client reported better sleep.");
    assert.equal(Workspace.openGrant(bob, grant, alice.publicBundle).id, ws.id);
    assert.equal(c.decryptText(caseRecord, ctx), "Case note.");
    assert.equal(Case.load(ws, { log: c.log, grants: [change.grants[0].grant] }).decryptText(caseRecord, ctx), "Case note.");
  };

  const calls = {
    "Member.fingerprintOf": (g) => Member.fingerprintOf(g),
    "Workspace.create": (g) => Workspace.create(g),
    "Workspace.openGrant(member)": (g) => Workspace.openGrant(g, grant, alice.publicBundle),
    "Workspace.openGrant(grant)": (g) => Workspace.openGrant(bob, g, alice.publicBundle),
    "Workspace.openGrant(granter)": (g) => Workspace.openGrant(bob, grant, g),
    "ws.encrypt(plaintext)": (g) => { if (typeof g === "string" || g instanceof Uint8Array) throw new ConfideError("invalid_argument", "valid input, skipped"); return ws.encrypt(g, ctx); },
    "ws.encrypt(context)": (g) => ws.encrypt("x", g),
    "ws.encrypt(recordId)": (g) => { if (typeof g === "string" && g.length > 0) throw new ConfideError("invalid_argument", "valid input, skipped"); return ws.encrypt("x", { recordId: g, field: "body" }); },
    "ws.encrypt(options)": (g) => { if (g === undefined || (typeof g === "object" && g !== null && !("pad" in g))) throw new ConfideError("invalid_argument", "valid input, skipped"); return ws.encrypt("x", ctx, g); },
    "ws.encrypt(pad)": (g) => { if (g === undefined || typeof g === "boolean") throw new ConfideError("invalid_argument", "valid input, skipped"); return ws.encrypt("x", ctx, { pad: g }); },
    "ws.decrypt(record)": (g) => ws.decrypt(g, ctx),
    "ws.decrypt(context)": (g) => ws.decrypt(record, g),
    "ws.decrypt(field)": (g) => ws.decrypt(record, { recordId: "n-42", field: g }),
    "ws.decryptText(record)": (g) => ws.decryptText(g, ctx),
    "ws.grant": (g) => ws.grant(g),
    "plaintextSize": (g) => plaintextSize(g),
    "ws.encryptStream(context)": (g) => ws.encryptStream(g),
    "ws.encryptStream(options)": (g) => { if (g === undefined || (typeof g === "object" && g !== null && !("pad" in g) && !("signal" in g) && !("onProgress" in g))) throw new ConfideError("invalid_argument", "valid input, skipped"); return ws.encryptStream(ctx, g); },
    "ws.encryptStream(signal)": (g) => { if (g === undefined) throw new ConfideError("invalid_argument", "valid input, skipped"); return ws.encryptStream(ctx, { signal: g }); },
    "ws.decryptStream(context)": (g) => ws.decryptStream(g),
    "ws.decryptStream(onProgress)": (g) => { if (g === undefined || typeof g === "function") throw new ConfideError("invalid_argument", "valid input, skipped"); return ws.decryptStream(ctx, { onProgress: g }); },
    "Case.create(workspace)": (g) => Case.create(g),
    "Case.create(options)": (g) => { if (g === undefined || (typeof g === "object" && g !== null && !("retentionUntil" in g) && !("now" in g))) skip(); return Case.create(ws, g); },
    "Case.create(retentionUntil)": (g) => { if (g == null || (Number.isSafeInteger(g) && g >= 0)) skip(); /* null means "not given", as for every option */ return Case.create(ws, { retentionUntil: g }); },
    "Case.load(options)": (g) => Case.load(ws, g),
    "Case.load(log entry)": (g) => Case.load(ws, { log: [g], grants: [change.grants[0].grant] }),
    "Case.load(grant)": (g) => Case.load(ws, { log: c.log, grants: [g] }),
    "Case.load(pinnedHead)": (g) => { if (g === undefined) skip(); return Case.load(ws, { log: c.log, grants: [change.grants[0].grant], pinnedHead: g }); },
    "case.add(member)": (g) => c.add(g, "full"),
    "case.add(level)": (g) => c.add(bob.id, g),
    "case.encrypt(level)": (g) => { if (g === undefined) skip(); return c.encrypt("x", ctx, { level: g }); },
    "case.decrypt(record)": (g) => c.decrypt(g, ctx),
    "case.setRetention": (g) => { if (Number.isSafeInteger(g) && g >= 0) skip(); return c.setRetention(g); },
    "recordSize": (g) => { if (Number.isSafeInteger(g) && g >= 0 && g <= confide.MAX_PLAINTEXT_BYTES) throw new ConfideError("invalid_argument", "valid input, skipped"); return recordSize(g); },
    "recordSize(options)": (g) => { if (g === undefined || (typeof g === "object" && g !== null && !("pad" in g))) throw new ConfideError("invalid_argument", "valid input, skipped"); return recordSize(10, g); },
  };
  const validFor = {
    "Workspace.openGrant(grant)": grant, "Workspace.openGrant(granter)": alice.publicBundle,
    "Member.fingerprintOf": bob.publicBundle, "ws.grant": bob.publicBundle,
    "ws.decrypt(record)": record, "ws.decryptText(record)": record,
    "Case.load(log entry)": c.log[0], "Case.load(grant)": change.grants[0].grant, "case.decrypt(record)": caseRecord,
  };

  let count = 0;
  for (const [name, call] of Object.entries(calls)) {
    for (const g of garbageValues(validFor[name])) {
      let thrown;
      try {
        call(g);
      } catch (e) {
        thrown = e;
      }
      assert.ok(thrown !== undefined, `${name} accepted ${describe(g)}`);
      assert.ok(thrown instanceof ConfideError && isConfideError(thrown), `${name}(${describe(g)}) threw ${thrown?.name}: ${thrown?.message}`);
      assert.equal(typeof thrown.code, "string");
      assert.notEqual(thrown.code, "internal", `${name}(${describe(g)}) hit an internal error`);
      count++;
    }
    stillWorks();
  }
  assert.ok(count > 500, `only ${count} garbage calls`);

  // Past the one-shot cap: rejected before any copy into wasm memory.
  const tooBig = new Uint8Array(confide.MAX_PLAINTEXT_BYTES + 1);
  assert.throws(() => ws.encrypt(tooBig, ctx, { pad: false }), (e) => isConfideError(e) && e.code === "invalid_argument");
  stillWorks();
});

test("a megabyte of random bytes, 200 times, is rejected and the module keeps working", async () => {
  await init();
  const ws = Workspace.create(Member.generate());
  const junk = new Uint8Array(1 << 20);
  for (let i = 0; i < junk.length; i += 65536) crypto.getRandomValues(junk.subarray(i, i + 65536));
  for (let i = 0; i < 200; i++) {
    assert.throws(() => ws.decrypt(junk, { recordId: "r", field: "f" }), (e) => isConfideError(e));
  }
  assert.equal(ws.decryptText(ws.encrypt("ok", { recordId: "r", field: "f" }), { recordId: "r", field: "f" }), "ok");
});

function describe(v) {
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (typeof v === "symbol" || typeof v === "bigint") return typeof v;
  try { return JSON.stringify(v)?.slice(0, 40) ?? String(v); } catch { return typeof v; }
}
