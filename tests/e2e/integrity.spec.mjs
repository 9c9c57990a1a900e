// Record integrity in the demo (issue 13), over the real server: one client's note written as
// signed revisions by two clinicians, signed off by their supervisor, and audited. Alice runs
// the practice and the client; Ben is on the case with full access, Sam at summary level. The
// tests run in order on one practice:
//   1. a note shows its author and revision; Ben's edit is revision 2 by him; its history holds
//      both texts; a note written before signed revisions still opens, marked unsigned;
//   2. Sam signs off revision 2 and everyone on the case sees it; Alice's edit after it shows
//      as not signed off, to all three;
//   3. a server that rolls the note back, or forks it, gets a warning on the note and its
//      stale text is not shown;
//   4. Alice deletes the note: a signed tombstone, shown to all, and the history keeps the rest;
//   5. the audit report: the printable view, and the CSV, which lists the create, the edits,
//      the sign-off and the deletion by the right people.
import { readFileSync } from "node:fs";
import { test, expect } from "@playwright/test";
import { asMember } from "./api.mjs";
import {
  EVA, NOTE_UNSIGNED, REV_1, REV_2, REV_3, REV_FORK, VIEWPORT, adminWithWorkspace, admit, axeViolations, colleagueWaiting, confirm,
  cspViolations, createInviteLink, summaryText, visibleAlerts,
} from "./fixtures.mjs";

test.describe.configure({ mode: "serial" });

let alice, ben, sam; // { page, context, problems, fingerprint, kit, invite? }
let wsId, caseId, noteId;

const DAY = /\d{1,2} [A-Z][a-z]+ \d{4}/.source;

async function join(browser, who) {
  const link = await createInviteLink(alice.page);
  const p = await colleagueWaiting(browser, link);
  await alice.page.bringToFront();
  await admit(alice.page, p.fingerprint);
  await expect(p.page.locator("body")).toHaveAttribute("data-state", "open", { timeout: 20_000 });
  return { ...p, who, invite: new URL(link).hash };
}

/** Refresh, and wait until the page has redrawn its clients (the last step of a refresh). */
async function refresh(p) {
  await p.page.bringToFront();
  const clients = p.page.getByTestId("clients");
  const before = Number((await clients.getAttribute("data-refreshed")) ?? 0);
  await p.page.getByTestId("refresh").click();
  await expect.poll(async () => Number(await clients.getAttribute("data-refreshed"))).toBeGreaterThan(before);
  await expect(p.page.getByTestId("refresh")).toBeEnabled();
}

async function openClient(p, name) {
  await p.page.bringToFront();
  await p.page.getByTestId("open-client").filter({ hasText: name }).click();
  await expect(p.page.getByTestId("case-title")).toHaveText(name);
}

/** The note under test on `p`'s page (the case shows a second, unsigned one too). */
const note = (p) => p.page.locator(`[data-testid="case-note"][data-record-id="${noteId}"]`);
const revisionLine = (p) => note(p).getByTestId("case-note-revision");

async function editNote(p, text, number) {
  await note(p).getByTestId("case-note-edit").click();
  const input = note(p).getByTestId("case-note-edit-input");
  await expect(input).toBeFocused();
  await input.fill(text);
  await note(p).getByTestId("case-note-edit-save").click();
  await expect(p.page.getByTestId("case-notice")).toHaveText(`Saved as revision ${number}, signed by you.`);
  await expect(note(p).getByTestId("case-note-body")).toHaveText(text);
  await expect(note(p).getByTestId("case-note-edit")).toBeFocused();
}

/**
 * Clicks "Download CSV" and returns the file's name and text, as the page hands them to the
 * download link (a Blob URL). Chromium also saves the download: it must hold the same text.
 * Firefox over WebDriver BiDi reports no download events (tests/e2e/firefox-bidi.mjs).
 */
async function downloadCsv(page) {
  // The page's CSP lets nothing fetch a blob: URL, so the Blob is kept as the page makes it.
  await page.evaluate(() => {
    window.__downloads = [];
    const blobs = new Map();
    const createObjectURL = URL.createObjectURL;
    URL.createObjectURL = (blob) => {
      const url = createObjectURL.call(URL, blob);
      blobs.set(url, blob);
      return url;
    };
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function () {
      if (this.download) window.__downloads.push({ name: this.download, blob: blobs.get(this.href) });
      return click.call(this);
    };
  });
  const chromium = page.context().browser()?.browserType().name() === "chromium";
  const [download] = await Promise.all([
    chromium ? page.waitForEvent("download") : null,
    page.getByTestId("case-audit-csv").click(),
  ]);
  const linked = await page.evaluate(async () => {
    const [{ name, blob }] = window.__downloads;
    return { name, csv: await blob.text() };
  });
  // Firefox's download panel takes the window's focus: the page has it back, as a user would.
  await page.bringToFront();
  if (download) {
    expect(download.suggestedFilename()).toBe(linked.name);
    expect(readFileSync(await download.path(), "utf8")).toBe(linked.csv);
  }
  return linked;
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  alice = await adminWithWorkspace(browser);
  alice.who = "Alice";
  wsId = alice.workspaceId;
  ben = await join(browser, "Ben");
  sam = await join(browser, "Sam");
});

test.afterAll(async () => {
  for (const p of [alice, ben, sam]) await p?.context.close();
});

test("a note shows its author and revision; a colleague's edit is revision 2 by him; the history holds both texts", async () => {
  test.setTimeout(120_000);
  // Alice: a client with Ben (full) and Sam (summary) on the case, and a note.
  await alice.page.bringToFront();
  await alice.page.getByTestId("client-label-input").fill(EVA.label);
  await alice.page.getByTestId("client-initials-input").fill(EVA.initials);
  await alice.page.getByTestId("create-client").click();
  await expect(alice.page.getByTestId("case-title")).toHaveText(EVA.label);
  caseId = await alice.page.getByTestId("case").getAttribute("data-case-id");
  for (const [p, level] of [[ben, "full"], [sam, "summary"]]) {
    await alice.page.getByTestId("case-add-who").selectOption({ label: p.fingerprint });
    await alice.page.getByTestId("case-add-level").selectOption(level);
    await alice.page.getByTestId("case-add").click();
    await expect(alice.page.getByTestId("case-member").filter({ hasText: p.fingerprint }).getByTestId("case-member-level")).toHaveText(level);
  }
  await alice.page.getByTestId("case-note-input").fill(REV_1);
  await alice.page.getByTestId("case-minutes").fill("50");
  await alice.page.getByTestId("case-save-note").click();
  await expect(alice.page.getByTestId("case-note-saved")).toContainText("Saved");
  noteId = await alice.page.getByTestId("case-note").filter({ hasText: REV_1 }).getAttribute("data-record-id");
  await expect(note(alice).getByTestId("case-note-body")).toHaveText(REV_1);
  await expect(revisionLine(alice)).toHaveText(new RegExp(`^Revision 1 by ${alice.fingerprint} \\(you\\), ${DAY}$`));

  // A note as the page wrote them before signed revisions (a plain record), from Node.
  const api = await asMember(alice.kit);
  try {
    const ws = await api.workspace(wsId);
    const c = await api.loadCase(ws, caseId);
    const old = crypto.randomUUID();
    const path = (field) => `/api/workspaces/${wsId}/cases/${caseId}/records/${old}/${field}`;
    await api.put(path("note"), c.encrypt(NOTE_UNSIGNED, { recordId: old, field: "note" }, { level: "full" }));
    await api.put(path("summary"), c.encrypt(summaryText(45, "attended"), { recordId: old, field: "summary" }, { level: "summary" }));
    // Everything the page writes for a client is a signed revision: the profile and the
    // note's summary too, which open through their verified histories.
    const casePath = `/api/workspaces/${wsId}/cases/${caseId}`;
    const { records: revised } = await api.json(`${casePath}/revisions`);
    const fields = revised.map((r) => `${r.recordId}/${r.field}`);
    for (const f of ["profile/label", "profile/initials", `${noteId}/note`, `${noteId}/summary`]) expect(fields).toContain(f);
    const history = async (recordId, field) => {
      const { revisions } = await api.json(`${casePath}/revisions/${recordId}/${field}`);
      const record = await api.bytes(`${casePath}/revisions/${recordId}/${field}/${revisions.length}`);
      const opened = c.openRecordText({ revisions: revisions.map((r) => Buffer.from(r, "base64url")), record }, { recordId, field });
      return { number: opened.revision.number, value: opened.value };
    };
    expect(await history(noteId, "summary")).toEqual({ number: 1, value: summaryText(50, "attended") });
    // The label again at each change of the case's members (Ben, Sam): revisions 1 to 3.
    expect(await history("profile", "label")).toEqual({ number: 3, value: EVA.label });
    c.free();
    ws.free();
  } finally {
    api.free();
  }

  // Ben opens the client: Alice's revision 1, by her; he edits it into revision 2.
  await refresh(ben);
  await openClient(ben, EVA.label);
  await expect(note(ben).getByTestId("case-note-body")).toHaveText(REV_1);
  await expect(revisionLine(ben)).toHaveText(new RegExp(`^Revision 1 by ${alice.fingerprint}, ${DAY}$`));
  const unsigned = ben.page.getByTestId("case-note").filter({ hasText: NOTE_UNSIGNED });
  await expect(unsigned.getByTestId("case-note-revision")).toHaveText("unsigned (written before signed revisions)");
  await editNote(ben, REV_2, 2);
  await expect(revisionLine(ben)).toHaveText(new RegExp(`^Revision 2 by ${ben.fingerprint} \\(you\\), ${DAY}$`));

  // Alice sees Ben's revision, and the history: both texts, oldest first, with their authors.
  await refresh(alice);
  await expect(note(alice).getByTestId("case-note-body")).toHaveText(REV_2);
  await expect(revisionLine(alice)).toHaveText(new RegExp(`^Revision 2 by ${ben.fingerprint}, ${DAY}$`));
  await note(alice).getByTestId("case-note-history-toggle").click();
  await expect(note(alice).getByTestId("case-note-history-text")).toHaveText([REV_1, REV_2]);
  const items = note(alice).getByTestId("case-note-history-item");
  await expect(items.nth(0)).toContainText(`Revision 1 by ${alice.fingerprint} (you)`);
  await expect(items.nth(1)).toContainText(`Revision 2 by ${ben.fingerprint}`);
  await expect(note(alice).getByTestId("case-note-history-toggle")).toHaveAttribute("aria-expanded", "true");
  await expect(note(alice).getByRole("heading", { name: "History, oldest first" })).toBeFocused();
  for (const p of [alice, ben]) expect(await visibleAlerts(p.page), p.who).toEqual([]);
});

test("the supervisor signs off revision 2 and everyone on the case sees it; an edit after it shows as not signed off", async () => {
  test.setTimeout(120_000);
  // Sam, at summary level: the summary and who wrote which revision, never the note's text.
  await refresh(sam);
  await openClient(sam, EVA.initials);
  await expect(note(sam).getByTestId("case-note-summary")).toContainText("50 min · attended");
  await expect(note(sam).getByTestId("case-note-body")).toHaveCount(0);
  await expect(revisionLine(sam)).toHaveText(new RegExp(`^Revision 2 by ${ben.fingerprint}, ${DAY}$`));
  await note(sam).getByTestId("case-note-signoff-button").click();
  await expect(sam.page.getByTestId("case-notice")).toHaveText("Signed off revision 2.");
  const signedBySam = new RegExp(`^Signed off by ${sam.fingerprint} on ${DAY} \\(revision 2\\)$`);
  await expect(note(sam).getByTestId("case-note-signoff")).toHaveText(new RegExp(`^Signed off by ${sam.fingerprint} \\(you\\) on ${DAY} \\(revision 2\\)$`));
  await expect(note(sam).getByTestId("case-note-signoff-button")).toHaveCount(0);
  const samText = await sam.page.locator("main").innerText();
  for (const s of [EVA.label, REV_1, REV_2]) expect(samText.includes(s), `Sam sees ${s.slice(0, 16)}`).toBe(false);

  // Alice and Ben see Sam's sign-off of revision 2.
  for (const p of [alice, ben]) {
    await refresh(p);
    await expect(note(p).getByTestId("case-note-signoff")).toHaveText(signedBySam);
  }

  // Alice edits after the sign-off: revision 3 is not signed off, for all three.
  await alice.page.bringToFront();
  await editNote(alice, REV_3, 3);
  const stale = /^Edited after sign-off: revision 3 is not signed off \(revision 2 was, by .+\)\.$/;
  await expect(note(alice).getByTestId("case-note-signoff-stale")).toHaveText(stale);
  await expect(note(alice).getByTestId("case-note-signoff")).toHaveCount(0);
  for (const p of [ben, sam]) {
    await refresh(p);
    await expect(revisionLine(p)).toHaveText(new RegExp(`^Revision 3 by ${alice.fingerprint}, ${DAY}$`));
    await expect(note(p).getByTestId("case-note-signoff-stale")).toHaveText(stale);
    await expect(note(p).getByTestId("case-note-signoff-stale")).toContainText(sam.fingerprint);
  }
  await expect(note(sam).getByTestId("case-note-signoff-button")).toBeVisible();

  // Accessible (axe, in Chromium), and usable at a phone's width.
  for (const p of [alice, sam]) expect(await axeViolations(p.page), `axe: ${p.who}`).toEqual([]);
  await alice.page.setViewportSize({ width: 360, height: 740 });
  await expect
    .poll(() => alice.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth))
    .toBeLessThanOrEqual(0);
  await alice.page.setViewportSize(VIEWPORT);
  for (const p of [alice, ben, sam]) expect(await visibleAlerts(p.page), p.who).toEqual([]);
});

test("a server that rolls the note back or forks it: the page warns on the note and shows no stale text", async () => {
  test.setTimeout(60_000);
  const listPath = `/api/workspaces/${wsId}/cases/${caseId}/revisions/${noteId}/note`;
  const isList = (url) => url.pathname === listPath;
  // Alice's browser has accepted revision 3. The server now lists revisions 1 and 2 only.
  await alice.page.route(isList, async (route) => {
    const response = await route.fetch();
    const { revisions } = await response.json();
    await route.fulfill({ response, json: { revisions: revisions.slice(0, 2) } });
  });
  await refresh(alice);
  const warning = note(alice).getByTestId("case-note-integrity");
  await expect(warning).toHaveText(
    "The server served an older version of this note than this browser has seen. Do not rely on it; tell your practice.",
  );
  await expect(warning).toHaveAttribute("role", "alert");
  await expect(note(alice).getByTestId("case-note-body")).toHaveCount(0);
  expect((await alice.page.locator("main").innerText()).includes(REV_2)).toBe(false);
  await alice.page.unrouteAll();

  // A fork: another genuine revision 3, signed by Ben, that the server shows instead of Alice's.
  const api = await asMember(ben.kit);
  let fork;
  try {
    const ws = await api.workspace(wsId, { invite: ben.invite });
    const c = await api.loadCase(ws, caseId);
    const { revisions } = await api.json(listPath);
    const previous = new Uint8Array(Buffer.from(revisions[1], "base64url"));
    const written = c.write(REV_FORK, { recordId: noteId, field: "note" }, { previous, level: "full" });
    fork = {
      list: [revisions[0], revisions[1], Buffer.from(written.revision).toString("base64url")],
      record: Buffer.from(written.record),
    };
    c.free();
    ws.free();
  } finally {
    api.free();
  }
  await alice.page.route(isList, (route) => route.fulfill({ json: { revisions: fork.list } }));
  await alice.page.route(
    (url) => url.pathname === `${listPath}/3`,
    (route) => route.fulfill({ contentType: "application/octet-stream", body: fork.record }),
  );
  await refresh(alice);
  await expect(warning).toHaveText(
    "The server served a version of this note that differs from the one this browser has seen. Do not rely on it; tell your practice.",
  );
  await expect(note(alice).getByTestId("case-note-body")).toHaveCount(0);
  expect((await alice.page.locator("main").innerText()).includes(REV_FORK)).toBe(false);

  // The server behaves again: revision 3 opens as before.
  await alice.page.unrouteAll();
  await refresh(alice);
  await expect(warning).toHaveCount(0);
  await expect(note(alice).getByTestId("case-note-body")).toHaveText(REV_3);

  // The client's name rolled back to an earlier revision: the case does not open.
  const labelPath = `/api/workspaces/${wsId}/cases/${caseId}/revisions/profile/label`;
  await alice.page.route(
    (url) => url.pathname === labelPath,
    async (route) => {
      const response = await route.fetch();
      const { revisions } = await response.json();
      await route.fulfill({ response, json: { revisions: revisions.slice(0, -1) } });
    },
  );
  await refresh(alice);
  await expect(alice.page.getByTestId("case-error")).toContainText("does not open");
  await alice.page.unrouteAll();
  await refresh(alice);
  await expect(alice.page.getByTestId("case-error")).toBeHidden();
  // Every revision of it withheld, as if the name were from before signed revisions: the same.
  await alice.page.route((url) => url.pathname === labelPath, (route) => route.fulfill({ json: { revisions: [] } }));
  await refresh(alice);
  await expect(alice.page.getByTestId("case-error")).toContainText("does not open");
  await expect(alice.page.getByTestId("case-title")).not.toHaveText("(unnamed client)");
  await alice.page.unrouteAll();
  await refresh(alice);
  await expect(alice.page.getByTestId("case-error")).toBeHidden();
  await expect(note(alice).getByTestId("case-note-body")).toHaveText(REV_3);
});

test("deleting a note writes a signed tombstone: everyone sees who deleted it, and the history keeps every revision", async () => {
  test.setTimeout(60_000);
  await alice.page.bringToFront();
  await note(alice).getByTestId("case-note-delete").click();
  await expect(alice.page.getByTestId("confirm-title")).toHaveText("Delete this note?");
  await confirm(alice.page, true);
  await expect(alice.page.getByTestId("case-notice")).toHaveText("The note is deleted; its history stays.");
  await expect(note(alice).getByTestId("case-note-history-toggle")).toBeFocused();
  for (const p of [alice, ben, sam]) {
    if (p !== alice) await refresh(p);
    await expect(revisionLine(p)).toHaveText(new RegExp(`^Deleted by ${alice.fingerprint}( \\(you\\))? on ${DAY} \\(revision 4\\)$`));
    await expect(note(p).getByTestId("case-note-body")).toHaveCount(0);
    await expect(note(p).getByTestId("case-note-edit")).toHaveCount(0);
    await expect(note(p).getByTestId("case-note-signoff-button")).toHaveCount(0);
  }
  await ben.page.bringToFront();
  await note(ben).getByTestId("case-note-history-toggle").click();
  await expect(note(ben).getByTestId("case-note-history-text")).toHaveText([REV_1, REV_2, REV_3]);
  await expect(note(ben).getByTestId("case-note-history-item").nth(3)).toContainText(`Revision 4: deleted by ${alice.fingerprint}`);
});

test("the audit report: the CSV lists the create, the edits, the sign-off and the deletion by the right people", async () => {
  test.setTimeout(60_000);
  await alice.page.bringToFront();
  await alice.page.getByTestId("case-audit-open").click();
  await expect(alice.page.getByTestId("case-audit-summary")).toContainText("verified in this browser");
  await expect(alice.page.getByTestId("case-audit-csv")).toBeFocused();

  // The printable view: the trail's rows, as text in the page (the CSP allows no inline style).
  await alice.page.getByTestId("case-audit-printable").click();
  await expect(alice.page.getByTestId("case-audit-title")).toBeFocused();
  await expect(alice.page.getByTestId("case-audit-title")).toHaveText(/^Audit trail of E\.V\., \d{4}-\d{2}-\d{2}$/);
  await expect(alice.page.getByTestId("case-audit-row").filter({ hasText: "sign-off" })).toContainText(sam.fingerprint);
  expect(await axeViolations(alice.page), "axe: the audit report").toEqual([]);

  // The CSV, last: Firefox's download panel takes the window's focus from the page.
  const { name, csv } = await downloadCsv(alice.page);
  expect(name).toMatch(/^audit-EV-\d{4}-\d{2}-\d{2}\.csv$/);
  const rows = csv.trimEnd().split("\r\n").map((line) => line.split(","));
  expect(rows[0]).toEqual(["seq", "time (UTC)", "author", "action", "record", "field", "revision", "revision hash", "note"]);
  const events = rows
    .slice(1)
    .filter((r) => r[4] === noteId)
    .map((r) => [r[3], r[2], r[6]]);
  expect(events).toEqual([
    ["create", alice.fingerprint, "1"],
    ["edit", ben.fingerprint, "2"],
    ["sign-off", sam.fingerprint, "2"],
    ["edit", alice.fingerprint, "3"],
    ["delete", alice.fingerprint, "4"],
  ]);
  // Making the report is itself on the trail.
  expect(rows.at(-1)[3]).toBe("export");
  expect(rows.at(-1)[2]).toBe(alice.fingerprint);
  await expect(alice.page.getByTestId("case-audit-row")).toHaveCount(rows.length - 1);
  // Nothing of the note's text or the client's name is in it.
  for (const s of [EVA.label, REV_1, REV_2, REV_3]) expect(csv.includes(s)).toBe(false);
  for (const p of [alice, ben, sam]) {
    expect(await visibleAlerts(p.page), p.who).toEqual([]);
    expect(await cspViolations(p.page), p.who).toEqual([]);
    expect(p.problems, p.who).toEqual([]);
  }
});

test("the page keeps its verified audit trail and asks only for what follows it; an entry replayed there is refused", async () => {
  test.setTimeout(60_000);
  const auditPath = `/api/workspaces/${wsId}/cases/${caseId}/audit`;
  const asked = [];
  const onRequest = (r) => {
    const url = new URL(r.url());
    if (url.pathname === auditPath && r.method() === "GET") asked.push(url.search);
  };
  alice.page.on("request", onRequest);
  await refresh(alice);
  await expect.poll(() => asked.length).toBeGreaterThan(0);
  expect(asked.every((q) => /^\?after=\d+$/.test(q)), asked.join(" ")).toBe(true);
  alice.page.off("request", onRequest);

  // The server answers with the trail's first entry again, after the kept trail.
  await alice.page.route(
    (url) => url.pathname === auditPath && url.searchParams.has("after"),
    async (route) => {
      const response = await route.fetch({ url: new URL(auditPath, route.request().url()).href });
      const { entries } = await response.json();
      await route.fulfill({ response, json: { entries: entries.slice(0, 1) } });
    },
  );
  await refresh(alice);
  await expect(alice.page.getByTestId("case-audit-error")).toContainText("The audit trail does not verify");
  await alice.page.unrouteAll();
  await refresh(alice);
  await expect(alice.page.getByTestId("case-audit-error")).toBeHidden();
  expect(alice.problems).toEqual([]);
});
