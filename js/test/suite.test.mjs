// The shared suite (suite.mjs) in Node; browser.mjs runs the same file in Chromium and Firefox.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as confide from "confide-hazmat";
import * as hazmat from "confide-hazmat/hazmat";
import { loadVectors } from "./vectors.mjs";
import { runSuite } from "./suite.mjs";

test("the shared package suite passes in Node", async () => {
  const result = await runSuite({ confide, hazmat, vectors: loadVectors() });
  assert.deepEqual(result.failed, []);
  assert.equal(result.passed, result.total);
  assert.ok(result.total >= 8);
});
