// Every file in tests/vectors/, through the package (hazmat build: seeds from vectors).
import { test } from "node:test";
import assert from "node:assert/strict";
import { init, Workspace, Member, isConfideError } from "confide-hazmat";
import { memberFromSeed } from "confide-hazmat/hazmat";
import { loadVectors, hex, toHex } from "./vectors.mjs";

const outcome = (f) => {
  try {
    f();
    return "success";
  } catch (e) {
    assert.ok(isConfideError(e), `not a ConfideError: ${e}`);
    return e.code;
  }
};

test("every vector in tests/vectors gives its expected outcome", async () => {
  await init();
  const vectors = loadVectors();
  assert.ok(vectors.length >= 30, `only ${vectors.length} vectors`);
  for (const v of vectors) {
    const got = outcome(() => {
      if (v.kind === "bundle") {
        const fp = Member.fingerprintOf(hex(v.bundle));
        assert.equal(fp, v.fingerprint);
        assert.equal(toHex(memberFromSeed(hex(v["member seed"])).publicBundle), v.bundle);
      } else if (v.kind === "grant") {
        const ws = Workspace.openGrant(memberFromSeed(hex(v["member seed"])), hex(v.grant), hex(v["granter bundle"]));
        assert.equal(toHex(Uint8Array.from(atob(ws.id.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))), v["workspace id"]);
        assert.equal(String(ws.epoch), v.epoch);
      } else if (v.kind === "record") {
        const ws = Workspace.openGrant(memberFromSeed(hex(v["member seed"])), hex(v.grant), hex(v["granter bundle"]));
        const pt = ws.decrypt(hex(v.record), { recordId: v["record id"], field: v.field });
        assert.equal(toHex(pt), v.plaintext);
      } else {
        assert.fail(`unknown kind ${v.kind}`);
      }
    });
    assert.equal(got, v.expect, v.name);
  }
});
