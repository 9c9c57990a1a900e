// After every scenario in both browsers (playwright.config.mjs runs this project last): the
// server's files hold none of what the therapists typed or uploaded. The suite's server is
// still running: its SQLite file, the -wal beside it and the blobs are exactly what an
// operator (or a thief of the disk or a backup) would get; the servers the outage tests
// killed left theirs too, and so did the second server of cases.spec.mjs, over a copy of the
// bulk data taken before a client's case was deleted.
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { test, expect } from "@playwright/test";
import { SECRETS, makeWav } from "./fixtures.mjs";
import { WINDOW, findAnyWindow, indexWindows, readTree } from "./scan.mjs";

test("the server's files hold none of it: no note, client, case note, summary, transcript or 64 bytes of audio", async () => {
  const dir = "build/e2e-data";
  const own = readdirSync("build").filter((d) => d.startsWith("e2e-") && d !== "e2e-data").map((d) => join("build", d));
  const files = [dir, ...own].filter((d) => existsSync(d)).flatMap((d) => readTree(d));
  const names = files.map((f) => relative(dir, f.path));
  expect(names).toContain("confide.sqlite3");
  expect(names).toContain("confide.sqlite3-wal");
  // The case grants' key store, apart from the bulk data (SECURITY.md#cases), and the copy.
  expect(names).toContain("keys.sqlite3");
  expect(own.filter((d) => d.startsWith(join("build", "e2e-restore-")))).toHaveLength(2);
  const blobs = files.filter((f) => f.path.startsWith(join(dir, "blobs")));
  expect(blobs.length).toBeGreaterThanOrEqual(1);
  const totalBlobBytes = blobs.reduce((n, f) => n + f.bytes.length, 0);
  expect(totalBlobBytes).toBeGreaterThan(3_000_000); // the encrypted recordings are there

  for (const secret of SECRETS) {
    for (const variant of [secret, secret.slice(0, 24), secret.slice(-24)]) {
      const needle = Buffer.from(variant, "utf8");
      for (const f of files) expect(f.bytes.indexOf(needle), `${JSON.stringify(variant.slice(0, 12))}… in ${f.path}`).toBe(-1);
    }
  }

  const wav = makeWav();
  const index = indexWindows(wav);
  // The search finds what is there (a window from the middle, at an odd offset of noise)…
  const control = Buffer.concat([randomBytes(1001), wav.subarray(777_777, 777_777 + WINDOW), randomBytes(999)]);
  // At 1001, or a little before if the noise's last bytes happen to continue the audio
  // (a window there matches too: seen once in a run).
  const found = findAnyWindow(index, control);
  expect(found).toBeGreaterThan(1001 - WINDOW);
  expect(found).toBeLessThanOrEqual(1001);
  expect(findAnyWindow(index, randomBytes(100_000))).toBe(-1);
  // …and finds nothing in any file a server wrote.
  for (const f of files) expect(findAnyWindow(index, f.bytes), `audio window in ${f.path}`).toBe(-1);
});
