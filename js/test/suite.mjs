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
  const { init, Member, Workspace, ConfideError, isConfideError, recordSize } = confide;
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

  check("every vector gives its expected outcome through the package", () => {
    ok(vectors.length >= 30, `only ${vectors.length} vectors`);
    for (const v of vectors) {
      const got = code(() => {
        if (v.kind === "bundle") {
          ok(Member.fingerprintOf(hex(v.bundle)) === v.fingerprint, "fingerprint");
          ok(toHex(hazmat.memberFromSeed(hex(v["member seed"])).publicBundle) === v.bundle, "bundle from seed");
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
