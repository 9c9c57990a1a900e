// Two therapists, two browser contexts (separate storage, separate keys), one real server
// (playwright.config.mjs starts confide-server on a fresh data directory). The whole flow
// of the demo: identity, workspace, notes and an edit, a transcript, a recording uploaded
// with progress and played back by range decryption, an invite link, admission, the
// colleague reading, removal, and the removed colleague shut out of what follows; axe-core
// at each stage. at-rest.spec.mjs then searches the server's files for everything typed.
import { test, expect } from "@playwright/test";
import {
  AUDIO_NAME, AUDIO_SECONDS, CLIENT_1, CLIENT_2, FINGERPRINT, KIT, NOTE_1, NOTE_1_EDITED, NOTE_2, SAMPLE_RATE,
  TRANSCRIPT, TRANSCRIPT_NAME, VIEWPORT, axeViolations, confirm, cspViolations, instrument, makeWav, progressDisagreements, watch,
} from "./fixtures.mjs";

const SHOTS = process.env.CONFIDE_SCREENSHOTS === "1";

test("serves the page and the package with a strict CSP, and nothing else", async ({ request }) => {
  const page = await request.get("/");
  expect(page.status()).toBe(200);
  expect(page.headers()["content-type"]).toMatch(/^text\/html/);
  const csp = page.headers()["content-security-policy"];
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).toContain("media-src 'self' blob:");
  expect(csp).toContain("object-src 'none'");
  expect(page.headers()["x-content-type-options"]).toBe("nosniff");
  expect(page.headers()["referrer-policy"]).toBe("no-referrer");

  const wasm = await request.get("/pkg/wasm/confide_wasm_bg.wasm");
  expect(wasm.headers()["content-type"]).toBe("application/wasm");
  const js = await request.get("/pkg/dist/index.js");
  expect(js.headers()["content-type"]).toMatch(/^text\/javascript/);
  for (const path of ["/pkg/package.json", "/pkg/src/index.ts", "/pkg/dist/hazmat.js", "/serve.mjs", "/%2e%2e/Makefile"]) {
    expect((await request.get(path)).status(), path).toBe(404);
  }
  // No session, no data.
  expect((await request.get("/api/workspaces")).status()).toBe(401);
});

test("two therapists share notes, a transcript and a recording; removal shuts one out", async ({ browser }) => {
  test.setTimeout(180_000);
  const wav = makeWav();

  // ---- Alice: identity and workspace -------------------------------------------------
  const aliceContext = await browser.newContext({ viewport: VIEWPORT });
  const a = await aliceContext.newPage();
  const aliceProblems = watch(a);
  await instrument(a);
  await a.goto("/");
  await expect(a.locator("body")).toHaveAttribute("data-state", "ready");
  await expect(a).toHaveTitle("Confide — session notes");
  const a11y = [];
  const axe = async (page, stage) => a11y.push(...(await axeViolations(page)).map((v) => `${stage}: ${v}`));
  await axe(a, "first visit");

  await a.getByTestId("create-identity").click();
  await expect(a.getByTestId("my-fingerprint")).toHaveText(FINGERPRINT);
  const aliceFp = (await a.getByTestId("my-fingerprint").textContent()).trim();
  await expect(a.getByTestId("session-state")).toContainText("Logged in");
  // The recovery kit step comes first: 11 groups of 5, and nothing goes on until it is saved.
  await expect(a.getByTestId("kit-step")).toBeVisible();
  await expect(a.getByTestId("recovery-kit")).toHaveText(KIT);
  await expect(a.getByTestId("kit-fingerprint")).toHaveText(aliceFp);
  await expect(a.getByTestId("workspace")).toBeHidden();
  await axe(a, "recovery kit");
  await a.getByTestId("kit-saved").click();
  await expect(a.getByTestId("kit-step")).toBeHidden();

  await a.getByTestId("create-workspace").click();
  await expect(a.locator("body")).toHaveAttribute("data-state", "open");
  await expect(a.getByTestId("workspace-id")).toHaveText(/^[A-Za-z0-9_-]{22}$/);
  await expect(a.getByTestId("workspace-epoch")).toHaveText("0");
  await expect(a.getByTestId("my-role")).toHaveText("admin");
  await expect(a.getByTestId("member-fingerprint")).toHaveText([aliceFp]);

  // ---- a note with a transcript, then an edit ------------------------------------------
  await a.getByTestId("client-input").fill(CLIENT_1);
  await a.getByTestId("note-input").fill(NOTE_1);
  await a.getByTestId("transcript-input").setInputFiles({
    name: TRANSCRIPT_NAME,
    mimeType: "text/plain",
    buffer: Buffer.from(TRANSCRIPT),
  });
  await a.getByTestId("save-note").click();
  await expect(a.getByTestId("note-saved")).toContainText("epoch 0");
  await expect(a.getByTestId("note")).toHaveCount(1);
  // The editor is ready for the next note.
  await expect(a.getByTestId("editor-title")).toHaveText("New note");
  await expect(a.getByTestId("note-input")).toHaveValue("");
  await expect(a.getByTestId("note-body")).toHaveText(NOTE_1);
  await expect(a.getByTestId("note-client")).toHaveText(CLIENT_1);
  const recordId = await a.getByTestId("note").getAttribute("data-record-id");
  expect(recordId).toMatch(/^[0-9a-f-]{36}$/); // random: says nothing about the client

  await a.getByTestId("edit-note").click();
  await expect(a.getByTestId("note-input")).toHaveValue(NOTE_1);
  await expect(a.getByTestId("client-input")).toHaveValue(CLIENT_1);
  await a.getByTestId("note-input").fill(NOTE_1_EDITED);
  await a.getByTestId("save-note").click();
  await expect(a.getByTestId("note-body")).toHaveText(NOTE_1_EDITED);
  await expect(a.getByTestId("note")).toHaveCount(1);
  await expect(a.getByTestId("note")).toHaveAttribute("data-record-id", recordId);

  await a.getByTestId("show-transcript").click();
  await expect(a.getByTestId("transcript")).toHaveText(`${TRANSCRIPT_NAME}\n\n${TRANSCRIPT}`);

  // ---- a recording: upload with progress --------------------------------------------
  const blobRequests = [];
  a.on("request", (req) => {
    if (req.method() === "GET" && /\/blobs\/[^/]+$/.test(new URL(req.url()).pathname)) {
      blobRequests.push(req.headers()["range"] ?? "none");
    }
  });
  await a.getByTestId("audio-input").setInputFiles({ name: AUDIO_NAME, mimeType: "audio/wav", buffer: wav });
  await a.getByTestId("upload-audio").click();
  await expect(a.getByTestId("upload-progress")).toHaveAttribute("data-state", "done", { timeout: 60_000 });
  await expect(a.getByTestId("upload-status")).toHaveText("Uploaded 3.2 MB, encrypted in this browser.");
  const progress = await a.evaluate(() => window.__progress);
  expect(progress.some((v) => v > 0 && v < 1), `intermediate progress in ${progress}`).toBe(true);
  expect(progress.at(-1)).toBe(1);
  for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);
  // The bar and the words agree, and the words are a therapist's, not the protocol's.
  expect(await progressDisagreements(a), "progress bar and words").toEqual([]);
  const words = (await a.evaluate(() => window.__progressShown)).map((p) => p.text).join(" | ");
  expect(words).not.toMatch(/HTTP|stream|connection|protocol/i);
  await expect(a.getByTestId("recording-name")).toHaveText([AUDIO_NAME]);
  await expect(a.getByTestId("recording-date")).toHaveText([/3\.2 MB · \d\d\/\d\d\/\d{4}, \d\d:\d\d:\d\d/]);

  // ---- playback and seeking, by range decryption ------------------------------------
  await a.getByTestId("open-recording").click();
  const player = a.getByTestId("player");
  await expect(player).toHaveAttribute("data-state", "ready");
  await expect(player).toHaveAttribute("data-mode", "ranges");
  await expect(a.getByTestId("player-time")).toHaveText(`0:00 / 1:${String(AUDIO_SECONDS - 60).padStart(2, "0")}`);
  await a.getByTestId("player-play").click();
  await expect(player).toHaveAttribute("data-playing", "true");
  await expect.poll(async () => Number(await player.getAttribute("data-position")), { timeout: 15_000 }).toBeGreaterThan(0.3);

  await a.getByTestId("player-seek").evaluate((el) => {
    el.value = "50";
    el.dispatchEvent(new Event("input"));
    el.dispatchEvent(new Event("change"));
  });
  await expect(player).toHaveAttribute("data-window-start", "50");
  await expect(a.getByTestId("player-status")).toContainText("Decrypted 0:50–1:10");
  await expect.poll(async () => Number(await player.getAttribute("data-position")), { timeout: 15_000 }).toBeGreaterThan(50.3);
  await expect(player).toHaveAttribute("data-playing", "true");
  await expect(a.getByTestId("player-time")).toHaveText(/^0:5\d \/ 1:15$/);
  await a.getByTestId("player-play").click(); // pause
  await expect(player).toHaveAttribute("data-playing", "false");

  // Every read of the recording was a Range request, and together they did not fetch it all:
  // the start (header) and the window at 0:50, never the whole ciphertext.
  expect(blobRequests.length).toBeGreaterThanOrEqual(2);
  let fetched = 0;
  for (const range of blobRequests) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(range);
    expect(m, `range header ${range}`).not.toBeNull();
    fetched += Number(m[2]) - Number(m[1]) + 1;
  }
  expect(fetched).toBeLessThan(wav.length);
  const seekOffset = 44 + 50 * SAMPLE_RATE * 2;
  expect(blobRequests.some((r) => Math.abs(Number(/^bytes=(\d+)/.exec(r)[1]) - seekOffset) < 20_000)).toBe(true);

  // ---- invite a colleague by link -----------------------------------------------------
  await a.getByTestId("create-invite").click();
  await expect(a.getByTestId("invite-link")).toHaveValue(/#confide-invite=/);
  const link = await a.getByTestId("invite-link").inputValue();
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#confide-invite=[A-Za-z0-9_-]+$/);

  const bobContext = await browser.newContext({ viewport: VIEWPORT });
  const b = await bobContext.newPage();
  const bobProblems = watch(b);
  await instrument(b);
  await b.goto(link);
  await expect(b.locator("body")).toHaveAttribute("data-state", "ready");
  await expect(b.getByTestId("invitation")).toBeVisible();
  expect(b.url()).not.toContain("confide-invite"); // the secret left the address bar
  await b.getByTestId("create-identity").click();
  await b.getByTestId("kit-saved").click();
  // Bob compares the inviter's fingerprint with Alice's, not a raw member id.
  await expect(b.getByTestId("inviter-fingerprint")).toHaveText(aliceFp);
  await expect(b.getByTestId("waiting")).toBeVisible();
  await expect(b.getByTestId("waiting-fingerprint")).toHaveText(FINGERPRINT);
  const bobFp = (await b.getByTestId("waiting-fingerprint").textContent()).trim();
  expect(bobFp).not.toBe(aliceFp);
  await axe(b, "waiting to join");

  // Alice sees Bob waiting, compares the fingerprint he reads out, and admits him.
  await expect(a.getByTestId("pending-fingerprint")).toHaveText([bobFp], { timeout: 15_000 });
  await axe(a, "workspace with a note, a recording in the player and a colleague waiting");
  if (SHOTS) await a.screenshot({ path: "docs/demo-admin.png", fullPage: true });
  await a.getByTestId("admit").click();
  await expect(a.getByTestId("member-fingerprint")).toHaveText([aliceFp, bobFp]);
  await expect(a.getByTestId("pending-item")).toHaveCount(0);

  // Bob's page notices, verifies the log against the link, opens his grant, reads.
  await expect(b.locator("body")).toHaveAttribute("data-state", "open", { timeout: 20_000 });
  await expect(b.getByTestId("my-role")).toHaveText("member");
  await expect(b.getByTestId("workspace-epoch")).toHaveText("0");
  await expect(b.getByTestId("member-fingerprint")).toHaveText([aliceFp, bobFp]);
  await expect(b.getByTestId("note-body")).toHaveText([NOTE_1_EDITED]);
  await expect(b.getByTestId("note-client")).toHaveText([CLIENT_1]);
  await b.getByTestId("show-transcript").click();
  await expect(b.getByTestId("transcript")).toContainText(TRANSCRIPT.split("\n")[1]);
  await expect(b.getByTestId("recording-name")).toHaveText([AUDIO_NAME]);
  await expect(b.getByTestId("admin-tools")).toBeHidden();
  await axe(b, "colleague's workspace");
  if (SHOTS) await b.screenshot({ path: "docs/demo-colleague.png", fullPage: true });

  // ---- removal -----------------------------------------------------------------------
  await a.getByTestId("member").filter({ hasText: bobFp }).getByTestId("remove-member").click();
  await expect(a.getByTestId("confirm-text")).toContainText(bobFp);
  await axe(a, "the remove confirmation");
  await confirm(a, true);
  await expect(a.getByTestId("workspace-epoch")).toHaveText("1");
  await expect(a.getByTestId("member-fingerprint")).toHaveText([aliceFp]);

  await a.getByTestId("new-note").click();
  await a.getByTestId("client-input").fill(CLIENT_2);
  await a.getByTestId("note-input").fill(NOTE_2);
  await a.getByTestId("save-note").click();
  await expect(a.getByTestId("note-saved")).toContainText("epoch 1");
  // Alice still reads the epoch-0 note through the history link.
  await expect(a.getByTestId("note-body")).toHaveText([NOTE_2, NOTE_1_EDITED]);

  // Bob's reload: the server no longer serves him the workspace, and his page says so.
  const bobRemovedAt = bobProblems.length;
  await b.getByTestId("refresh").click();
  await expect(b.getByTestId("workspace-error").getByTestId("error-code")).toHaveText("not_a_member");
  await expect(b.locator("body")).toHaveAttribute("data-state", "removed");
  await expect(b.getByTestId("notes-list")).toBeHidden();
  await expect(b.getByTestId("recordings-area")).toBeHidden();
  expect(await b.content()).not.toContain(NOTE_2);
  expect(await b.content()).not.toContain(CLIENT_2);

  // ---- nothing went wrong along the way ------------------------------------------------
  expect(a11y, "serious or critical accessibility violations (axe-core)").toEqual([]);
  expect(await cspViolations(a), "CSP violations (Alice)").toEqual([]);
  expect(await cspViolations(b), "CSP violations (Bob)").toEqual([]);
  expect(aliceProblems, "console and HTTP errors (Alice)").toEqual([]);
  expect(bobProblems.slice(0, bobRemovedAt), "console and HTTP errors (Bob, before removal)").toEqual([]);
  // After removal, only the server's 404s (and Chromium's console lines about them).
  for (const p of bobProblems.slice(bobRemovedAt)) expect(p).toMatch(/404/);
  // No plaintext in any console message either.
  for (const p of [...aliceProblems, ...bobProblems]) {
    for (const secret of [NOTE_1, NOTE_2, CLIENT_1, CLIENT_2]) expect(p).not.toContain(secret);
  }

  await aliceContext.close();
  await bobContext.close();
});

test("the recovery kit: a reload keeps the identity, the printed kit restores it elsewhere, a typo is caught", async ({ browser, browserName }) => {
  const first = await browser.newContext();
  const a = await first.newPage();
  await a.goto("/");
  await expect(a.locator("body")).toHaveAttribute("data-state", "ready");
  await a.getByTestId("create-identity").click();
  await expect(a.getByTestId("recovery-kit")).toHaveText(KIT);
  const kit = (await a.getByTestId("recovery-kit").textContent()).trim();
  const fp = (await a.getByTestId("my-fingerprint").textContent()).trim();
  // Printing shows the kit card alone. (Print emulation exists in Chromium only: see
  // firefox-bidi.mjs.)
  if (browserName === "chromium") {
    await a.emulateMedia({ media: "print" });
    expect(await a.getByTestId("recovery-kit").evaluate((el) => getComputedStyle(el).visibility)).toBe("visible");
    expect(await a.getByTestId("my-fingerprint").evaluate((el) => getComputedStyle(el).visibility)).toBe("hidden");
    await a.emulateMedia({ media: "screen" });
  }
  await a.getByTestId("kit-saved").click();

  // A reload: the identity comes back from this browser's storage, with no kit step.
  await a.reload();
  await expect(a.getByTestId("my-fingerprint")).toHaveText(fp);
  await expect(a.getByTestId("session-state")).toContainText("Welcome back");
  await expect(a.getByTestId("kit-step")).toBeHidden();
  await first.close();

  // Another browser profile: a typo is caught, the kit as printed restores the same identity.
  const second = await browser.newContext();
  const b = await second.newPage();
  await b.goto("/");
  await expect(b.locator("body")).toHaveAttribute("data-state", "ready");
  await b.getByText("I have a recovery kit").click();
  // An empty box is empty, not a typo.
  await b.getByTestId("restore-identity").click();
  await expect(b.getByTestId("identity-error").getByTestId("error-code")).toHaveText("kit_empty");
  await expect(b.getByTestId("identity-error")).toContainText("the box is empty");
  const typo = kit.slice(0, 8) + (kit[8] === "7" ? "8" : "7") + kit.slice(9);
  await b.getByTestId("restore-kit").fill(typo);
  await b.getByTestId("restore-identity").click();
  await expect(b.getByTestId("identity-error").getByTestId("error-code")).toHaveText("bad_recovery_kit");
  await b.getByTestId("restore-kit").fill(kit.toLowerCase());
  await b.getByTestId("restore-identity").click();
  await expect(b.getByTestId("my-fingerprint")).toHaveText(fp);
  await expect(b.getByTestId("session-state")).toContainText("Restored");
  await second.close();
});
