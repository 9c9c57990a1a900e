// What the e2e tests type into the page and upload, the steps they share, and the helpers
// that check the page stays clean. The at-rest test searches the server's files for every
// string typed here.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { expect } from "@playwright/test";

/** Two notes and an edit, with client identifiers a therapist might really type. */
export const CLIENT_1 = "Client JM-4471 (Jonas Meyer)";
export const NOTE_1 = "Jonas reported sleeping better since the new routine. Discussed the family visit on Sunday.";
export const NOTE_1_EDITED = "Jonas reported sleeping better since the new routine; panic attacks down to one a week.";
export const CLIENT_2 = "Client RK-0932 (Rosa Keller)";
export const NOTE_2 = "Rosa started exposure work today: elevator, two floors, anxiety 6/10 falling to 3/10.";
export const TRANSCRIPT_NAME = "transcript-jonas-meyer.txt";
export const TRANSCRIPT =
  "THERAPIST: How has the week been?\nJONAS: Better. I slept through four nights out of seven.\n" +
  "THERAPIST: What changed?\nJONAS: I stopped checking the news after nine in the evening.\n";
export const AUDIO_NAME = "session-jonas-meyer.wav";

/** Every string the at-rest test must not find in the server's files. */
export const SECRETS = [CLIENT_1, NOTE_1, NOTE_1_EDITED, CLIENT_2, NOTE_2, TRANSCRIPT, TRANSCRIPT_NAME, AUDIO_NAME];

export const SAMPLE_RATE = 22_050;
export const AUDIO_SECONDS = 75;

/**
 * A mono 16-bit PCM WAV of a 440 Hz tone under seeded noise, ~3.3 MB. The noise makes every
 * 64-byte window distinct from anything that occurs naturally in a database file (a window
 * of silence would be all zero bytes, found in any SQLite page), so the at-rest search for
 * the audio's windows has no false alarms.
 */
export function makeWav() {
  const samples = SAMPLE_RATE * AUDIO_SECONDS;
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write("RIFF", 0, "ascii");
  buf.writeUInt32LE(36 + samples * 2, 4);
  buf.write("WAVEfmt ", 8, "ascii");
  buf.writeUInt32LE(16, 16); // fmt chunk size
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(SAMPLE_RATE, 24);
  buf.writeUInt32LE(SAMPLE_RATE * 2, 28); // byte rate
  buf.writeUInt16LE(2, 32); // block align
  buf.writeUInt16LE(16, 34); // bits per sample
  buf.write("data", 36, "ascii");
  buf.writeUInt32LE(samples * 2, 40);
  let x = 0x9e3779b9; // xorshift32 seed
  for (let i = 0; i < samples; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const noise = (x % 4001) - 2000;
    const tone = Math.round(9000 * Math.sin((2 * Math.PI * 440 * i) / SAMPLE_RATE));
    buf.writeInt16LE(tone + noise, 44 + i * 2);
  }
  return buf;
}

/** Collects console errors, page errors, failed requests and HTTP errors of one page. */
export function watch(page) {
  const problems = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("requestfailed", (req) => problems.push(`requestfailed ${req.failure()?.errorText}: ${req.method()} ${req.url()}`));
  page.on("response", (res) => {
    if (res.status() >= 400) problems.push(`http ${res.status()}: ${res.url()}`);
  });
  return problems;
}

/**
 * Records CSP violations, and every value a progress bar takes together with the words
 * beside it at that moment (window.__progress: upload bar values; window.__progressShown:
 * { bar, value, text } for the upload and note bars).
 */
export async function instrument(page) {
  await page.addInitScript(() => {
    window.__cspViolations = [];
    window.__progress = [];
    window.__progressShown = [];
    const words = { "upload-progress": "upload-status", "note-progress": "note-saved" };
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
    new MutationObserver((records) => {
      for (const r of records) {
        const bar = r.target.dataset?.testid;
        if (!(bar in words)) continue;
        const value = Number(r.target.value);
        if (bar === "upload-progress") window.__progress.push(value);
        const text = document.querySelector(`[data-testid="${words[bar]}"]`)?.textContent ?? "";
        window.__progressShown.push({ bar, value, text });
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ["value"] });
  });
}

/** Each progress value shown with a percentage in words agrees with it. */
export async function progressDisagreements(page) {
  const shown = await page.evaluate(() => window.__progressShown);
  return shown.filter(({ value, text }) => {
    const m = /(\d+)%/.exec(text);
    return m && Number(m[1]) !== Math.floor(value * 100);
  });
}

export async function cspViolations(page) {
  return page.evaluate(() => window.__cspViolations);
}

// ---------- more of what the scenarios type (the at-rest test searches for all of it) ----

export const CLIENT_3 = "Client TB-2210 (Tomas Brandt)";
export const NOTE_3 = "Tomas described the argument with his sister; we rehearsed the conversation for Friday.";
export const NOTE_DRAFT = "Draft, not saved yet: Tomas may need a referral to the sleep clinic.";
export const NOTE_REMOVED = "Typed by a colleague who was removed meanwhile: Lena's intake went well.";
export const NOTE_OUTAGE = "Written while the server was down: Mira asked to move her sessions to Thursdays.";
export const CLIENT_4 = "Client MW-7781 (Mira Weiss)";

SECRETS.push(CLIENT_3, NOTE_3, NOTE_DRAFT, NOTE_REMOVED, NOTE_OUTAGE, CLIENT_4);

export const KIT = /^([0-9A-HJKMNP-TV-Z]{5} ){10}[0-9A-HJKMNP-TV-Z]{5}$/;
export const FINGERPRINT = /^(\d{5} ){11}\d{5}$/;
export const VIEWPORT = { width: 1360, height: 900 };
export const POLL_MS = 1500;

// ---------- steps a therapist takes, shared by the scenarios --------------------------

/** A new browser profile (its own storage and keys) on the demo page. */
export async function openProfile(browser, { viewport = VIEWPORT, baseURL } = {}) {
  const context = await browser.newContext({ viewport, ...(baseURL ? { baseURL } : {}) });
  const page = await context.newPage();
  const problems = watch(page);
  await instrument(page);
  return { context, page, problems };
}

/** Opens `url` and waits until the page has started (data-state is set). */
export async function ready(page, url = "/") {
  await page.goto(url);
  await expect(page.locator("body")).toHaveAttribute("data-state", /^(?!error$)\w+/);
}

/** Creates an identity and saves its kit; returns { fingerprint, kit }. */
export async function createIdentity(page) {
  await page.getByTestId("create-identity").click();
  await expect(page.getByTestId("recovery-kit")).toHaveText(KIT);
  const kit = (await page.getByTestId("recovery-kit").textContent()).trim();
  const fingerprint = (await page.getByTestId("my-fingerprint").textContent()).trim();
  await page.getByTestId("kit-saved").click();
  return { fingerprint, kit };
}

/** A therapist with an identity and a new workspace of her own, on `browser`. */
export async function adminWithWorkspace(browser, options = {}) {
  const profile = await openProfile(browser, options);
  await ready(profile.page);
  const { fingerprint, kit } = await createIdentity(profile.page);
  await profile.page.getByTestId("create-workspace").click();
  await expect(profile.page.locator("body")).toHaveAttribute("data-state", "open");
  const workspaceId = (await profile.page.getByTestId("workspace-id").textContent()).trim();
  return { ...profile, fingerprint, kit, workspaceId };
}

export async function writeNote(page, client, body) {
  await page.getByTestId("client-input").fill(client);
  await page.getByTestId("note-input").fill(body);
  await page.getByTestId("save-note").click();
  await expect(page.getByTestId("note-saved")).toContainText("Saved");
  await expect(page.getByTestId("note-body").filter({ hasText: body })).toHaveCount(1);
}

export async function createInviteLink(page, role = "member") {
  const before = await page.getByTestId("invite-link").inputValue();
  if (role !== "member") await page.getByTestId("invite-role").selectOption(role);
  await page.getByTestId("create-invite").click();
  await expect(page.getByTestId("invite-link")).toHaveValue(/#confide-invite=/);
  await expect(page.getByTestId("invite-link")).not.toHaveValue(before);
  return page.getByTestId("invite-link").inputValue();
}

/** A colleague opens `link` in a new profile, creates an identity and waits to be let in. */
export async function colleagueWaiting(browser, link, options = {}) {
  const profile = await openProfile(browser, options);
  await ready(profile.page, link);
  await expect(profile.page.getByTestId("invitation")).toBeVisible();
  const { fingerprint, kit } = await createIdentity(profile.page);
  await expect(profile.page.getByTestId("waiting")).toBeVisible();
  await expect(profile.page.getByTestId("waiting-fingerprint")).toHaveText(fingerprint);
  return { ...profile, fingerprint, kit };
}

/** The admin admits the colleague whose fingerprint she compared. */
export async function admit(page, fingerprint) {
  const item = page.getByTestId("pending-item").filter({ hasText: fingerprint });
  await expect(item).toHaveCount(1, { timeout: 15_000 });
  await item.getByTestId("admit").click();
  await expect(page.getByTestId("member-fingerprint").filter({ hasText: fingerprint })).toHaveCount(1);
}

/** Answers the confirmation dialog. */
export async function confirm(page, answer) {
  await expect(page.getByTestId("confirm-dialog")).toBeVisible();
  await page.getByTestId(answer ? "confirm-ok" : "confirm-cancel").click();
  await expect(page.getByTestId("confirm-dialog")).toBeHidden();
}

/** Every error or alert element that is visible, with its text. */
export async function visibleAlerts(page) {
  return page.locator('[role="alert"]:visible, .error:visible').allTextContents();
}

/**
 * axe-core in the page: no serious or critical violations of WCAG 2.1 A/AA or best practice.
 * axe is loaded as a same-origin script (served by page.route, so the page's CSP allows it).
 * Chromium only: in Firefox ESR 153, driven headless over WebDriver BiDi, axe.run crashes the
 * content process (SIGSEGV), which shuts the browser down; no rule subset was reliably safe.
 * What axe checks is the page's markup and CSS, the same in both browsers; the keyboard and
 * focus checks, which do differ, run in both.
 */
const AXE_PATH = "/__e2e/axe.min.js";
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export async function axeViolations(page) {
  if (page.context().browser()?.browserType().name() !== "chromium") return [];
  if (!(await page.evaluate(() => "axe" in globalThis))) {
    await page.route(`**${AXE_PATH}`, (route) =>
      route.fulfill({ status: 200, contentType: "text/javascript", body: AXE_SOURCE }),
    );
    await page.addScriptTag({ url: AXE_PATH });
  }
  const result = await page.evaluate(() =>
    globalThis.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
      resultTypes: ["violations"],
    }),
  );
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** FORMAT.md#fingerprint, written here independently: the display fingerprint of a bundle. */
export function fingerprintOf(bundle) {
  const hash = createHash("sha512").update(Buffer.from("confide/v1/fingerprint\0")).update(bundle).digest();
  const groups = [];
  for (let i = 0; i < 12; i++) groups.push(String(hash.readUIntBE(5 * i, 5) % 100000).padStart(5, "0"));
  return groups.join(" ");
}

/** The invitee's bundle inside an acceptance (FORMAT.md#acceptance: bytes 52 to 1368). */
export function bundleOfAcceptance(acceptance) {
  return acceptance.subarray(52, 1368);
}

// ---------- the practice of four (cases.spec.mjs): each client is a case ---------------

export const LENA = { label: "Client LS-3318 (Lena Schulz)", initials: "L.S." };
export const PAUL = { label: "Client PK-5120 (Paul Krüger)", initials: "P.K." };
export const HANNA = { label: "Client HN-7702 (Hanna Novak)", initials: "H.N." };
export const CASE_NOTE_LENA = "Lena described intrusive memories of the crash; we practised grounding with the five senses.";
export const CASE_NOTE_PAUL = "Paul's sleep diary shows four awakenings a night; agreed to try stimulus control.";
export const CASE_NOTE_HANNA = "Hanna is ambivalent about the job offer; we explored her values and what she fears losing.";
export const CASE_NOTE_HANDOVER = "First session with Ben after the handover: Lena feels safe to go on, flashbacks less often.";
export const CASE_NOTE_ROTATED = "Written after Alice left the practice: Paul sleeps six hours now; review in a month.";
/** A session summary as the page writes it (summary level): duration and status, as JSON. */
export const summaryText = (minutes, status) => JSON.stringify({ minutes, status });

SECRETS.push(
  LENA.label, PAUL.label, HANNA.label, CASE_NOTE_LENA, CASE_NOTE_PAUL, CASE_NOTE_HANNA, CASE_NOTE_HANDOVER,
  CASE_NOTE_ROTATED, summaryText(50, "attended"), summaryText(45, "attended"), summaryText(30, "no-show"),
);

// ---------- record integrity (integrity.spec.mjs): a note revised, signed off, audited ----

export const EVA = { label: "Client EV-6604 (Eva Vogel)", initials: "E.V." };
export const REV_1 = "Eva's panic attacks began after the move; we mapped the triggers along her bus route.";
export const REV_2 = "Eva's panic attacks began after the move in March; triggers mapped along her bus route, no medication.";
export const REV_3 = "Eva's panic attacks began after the move in March; after supervision: ask her GP for a medication review.";
export const REV_FORK = "A revision the server kept back from Alice: Eva cancelled the medication review.";
export const NOTE_UNSIGNED = "Written before signed revisions: Eva's first assessment, moderate panic disorder.";

SECRETS.push(EVA.label, REV_1, REV_2, REV_3, REV_FORK, NOTE_UNSIGNED);
