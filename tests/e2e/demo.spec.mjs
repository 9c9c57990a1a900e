// Drives the demo page (www/) end to end: identity, encrypt, decrypt, grant, wrong context,
// and no console errors or CSP violations along the way.
import { test, expect } from "@playwright/test";

const FINGERPRINT = /^(\d{5} ){11}\d{5}$/;
const NOTE = "Client reported sleeping better. Discussed the family visit on Sunday — ünïcode ✓.";

/** Collects console errors, page errors and CSP violations for one page. */
function watch(page) {
  const problems = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("requestfailed", (req) => problems.push(`requestfailed: ${req.url()}`));
  page.on("response", (res) => {
    if (res.status() >= 400) problems.push(`http ${res.status()}: ${res.url()}`);
  });
  return problems;
}

async function openReady(page) {
  // Record CSP violations from the page itself, before any script runs.
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.goto("/");
  await expect(page.locator("body")).toHaveAttribute("data-state", "ready");
}

async function expectClean(page, problems) {
  const csp = await page.evaluate(() => window.__cspViolations);
  expect(csp, "CSP violations").toEqual([]);
  expect(problems, "console errors").toEqual([]);
}

test("serves the page with a strict CSP and the wasm with its MIME type", async ({ request }) => {
  const page = await request.get("/");
  expect(page.status()).toBe(200);
  expect(page.headers()["content-type"]).toMatch(/^text\/html/);
  const csp = page.headers()["content-security-policy"];
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(page.headers()["x-content-type-options"]).toBe("nosniff");
  expect(page.headers()["referrer-policy"]).toBe("no-referrer");

  const wasm = await request.get("/confide/wasm/confide_wasm_bg.wasm");
  expect(wasm.status()).toBe(200);
  expect(wasm.headers()["content-type"]).toBe("application/wasm");
  const js = await request.get("/confide/dist/index.js");
  expect(js.headers()["content-type"]).toMatch(/^text\/javascript/);

  for (const path of [
    "/confide/package.json",
    "/confide/src/index.ts",
    "/confide/dist/hazmat.js",
    "/serve.mjs",
    "/..%2fMakefile",
    "/confide/dist/..%2f..%2f..%2fMakefile",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/nope.html",
  ]) {
    const res = await request.get(path);
    expect(res.status(), path).toBe(404);
  }
});

test("a therapist encrypts and decrypts a note; a colleague reads it after a grant", async ({ page }) => {
  const problems = watch(page);
  await openReady(page);

  await expect(page).toHaveTitle("Confide — session notes");
  const aliceFp = (await page.getByTestId("alice-fingerprint").textContent()).trim();
  const bobFp = (await page.getByTestId("bob-fingerprint").textContent()).trim();
  expect(aliceFp).toMatch(FINGERPRINT);
  expect(bobFp).toMatch(FINGERPRINT);
  expect(bobFp).not.toBe(aliceFp);
  // Bob's device computes Alice's fingerprint from her public bundle: the same digits.
  await expect(page.getByTestId("bob-sees-alice")).toHaveText(aliceFp);
  await expect(page.getByTestId("workspace-id")).toHaveText(/^[A-Za-z0-9_-]{22}$/);
  await expect(page.getByTestId("workspace-epoch")).toHaveText("0");

  // Encrypt.
  await expect(page.getByTestId("record-id")).toHaveValue("note-1");
  await page.getByTestId("note-input").fill(NOTE);
  await page.getByTestId("encrypt").click();
  const ct = page.getByTestId("ciphertext");
  await expect(ct).toBeVisible();
  const ctText = await ct.textContent();
  expect(ctText).not.toContain(NOTE);
  expect(ctText).not.toContain("sleeping");
  expect(ctText).toMatch(/^[0-9a-f ]+/);
  await expect(page.getByTestId("ciphertext-length")).toHaveText(/^\d[\d,]* bytes$/);
  const bytes = Number((await page.getByTestId("ciphertext-length").textContent()).replace(/\D/g, ""));
  expect(bytes).toBeGreaterThan(Buffer.byteLength(NOTE));
  await expect(page.getByTestId("server-note")).toContainText("server would store only");
  await expect(page.getByTestId("ciphertext-record")).toHaveText("note-1");
  // Nothing on the page outside the note's own inputs shows the plaintext yet.
  await expect(page.getByTestId("decrypted")).toHaveText("");

  // Decrypt.
  await page.getByTestId("decrypt").click();
  await expect(page.getByTestId("decrypted")).toHaveText(NOTE);
  await expect(page.getByTestId("note-error")).toBeHidden();

  // Grant to the colleague; he opens it and reads the same note.
  await expect(page.getByTestId("bob-decrypt")).toBeDisabled();
  await page.getByTestId("grant").click();
  await expect(page.getByTestId("grant-status")).toHaveAttribute("data-state", "granted");
  await expect(page.getByTestId("grant-status")).toContainText("epoch 0");
  await page.getByTestId("bob-decrypt").click();
  await expect(page.getByTestId("bob-decrypted")).toHaveText(NOTE);
  await expect(page.getByTestId("bob-error")).toBeHidden();

  // The same ciphertext under another record id does not open.
  await expect(page.getByTestId("wrong-record-id")).toHaveValue("note-2");
  await page.getByTestId("wrong-decrypt").click();
  const wrong = page.getByTestId("wrong-result");
  await expect(wrong).toHaveAttribute("data-state", "refused");
  await expect(wrong.getByTestId("error-code")).toHaveText("decryption_failed");
  await expect(wrong).toContainText('record "note-2"');
  await expect(wrong).not.toContainText(NOTE);

  // With the right record id it opens again.
  await page.getByTestId("wrong-record-id").fill("note-1");
  await page.getByTestId("wrong-decrypt").click();
  await expect(wrong).toHaveAttribute("data-state", "opened");

  await expectClean(page, problems);
});

test("a fresh encryption differs each time and a new record id is bound in", async ({ page }) => {
  const problems = watch(page);
  await openReady(page);

  await page.getByTestId("note-input").fill("short");
  await page.getByTestId("encrypt").click();
  const first = await page.getByTestId("ciphertext").textContent();
  const firstLen = await page.getByTestId("ciphertext-length").textContent();
  await page.getByTestId("note-input").fill("also short, different length");
  await page.getByTestId("encrypt").click();
  await expect(page.getByTestId("ciphertext")).not.toHaveText(first);
  // Padding: both short notes land in the same size bucket.
  await expect(page.getByTestId("ciphertext-length")).toHaveText(firstLen);

  await page.getByTestId("record-id").fill("note-7");
  await page.getByTestId("encrypt").click();
  await expect(page.getByTestId("ciphertext-record")).toHaveText("note-7");
  await page.getByTestId("decrypt").click();
  await expect(page.getByTestId("decrypted")).toHaveText("also short, different length");
  await page.getByTestId("wrong-record-id").fill("note-1");
  await page.getByTestId("wrong-decrypt").click();
  await expect(page.getByTestId("wrong-result").getByTestId("error-code")).toHaveText("decryption_failed");

  // An empty record id is rejected by the library with its code, shown on the page.
  await page.getByTestId("record-id").fill("");
  await page.getByTestId("encrypt").click();
  await expect(page.getByTestId("note-error").getByTestId("error-code")).toHaveText("invalid_argument");

  await expectClean(page, problems);
});
