// The independent WebCrypto decryptor (independent.mjs) against the package and the vectors.
// The content key of fresh records comes from the test-only hazmat build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadVectors, hex } from "./vectors.mjs";
import { independentDecrypt, Rejected, utf8 } from "./independent.mjs";

test("an independent WebCrypto decryptor opens Confide records", async () => {
  const { init, Member, Workspace } = await import("confide-hazmat");
  const { contentKey } = await import("confide-hazmat/hazmat");
  await init();
  const ws = Workspace.create(Member.generate());
  const key = contentKey(ws, 0);
  const cases = [
    ["Client reported better sleep.", {}],
    ["Séance — 睡眠 🌙".repeat(3000), {}],
    [new Uint8Array(16384).fill(7), { pad: false }],
    [new Uint8Array(0), { pad: false }],
    [crypto.getRandomValues(new Uint8Array(50_000)), { pad: true }],
  ];
  for (const [plaintext, options] of cases) {
    const record = ws.encrypt(plaintext, { recordId: "n-42", field: "body" }, options);
    const out = await independentDecrypt(key, record, "n-42", "body");
    const expected = typeof plaintext === "string" ? utf8(plaintext) : plaintext;
    assert.deepEqual(out.plaintext, expected);
    assert.equal(out.contentType, typeof plaintext === "string" ? 1 : 0);
    await assert.rejects(independentDecrypt(key, record, "n-43", "body"), Rejected);
  }
});

test("the independent decryptor agrees with every record vector", async () => {
  const records = loadVectors().filter((v) => v.kind === "record");
  assert.ok(records.length >= 20);
  for (const v of records) {
    const result = await independentDecrypt(hex(v["content key"]), hex(v.record), v["record id"], v.field).then(
      (r) => r,
      (e) => { if (!(e instanceof Rejected)) throw e; return null; },
    );
    if (v.expect === "success") {
      assert.ok(result, `${v.name} should open`);
      assert.deepEqual(result.plaintext, hex(v.plaintext), v.name);
    } else {
      assert.equal(result, null, `${v.name} should be rejected`);
    }
  }
});
