// A practice of four, in four browser contexts, over the real server: Mia, the manager, runs
// the roster and reads no note; Alice and Ben, clinicians, each with clients of their own;
// Sam, a supervisor, reads the summaries of Alice's clients. Each client is a case
// (SECURITY.md#cases). The tests run in order on one practice:
//   1. each person sees exactly what they should, and nothing else, in the page and from the
//      server's API with the package in Node;
//   2. a colleague added to a case reads from then on, and the earlier notes once the history
//      is shared; a handover from Alice to Ben, after which Alice has no access;
//   3. Mia removes Alice from the practice: Alice's browser can no longer load, and the case
//      she shared with Ben writes nothing until Ben's page moves it to new keys;
//   4. Ben deletes a client: nobody can open its notes, neither on the server nor from a copy
//      of the server's bulk data taken before the deletion (with the current key store), served
//      by a second server.
// at-rest.spec.mjs then searches every server file, the copy's included, for what was typed.
import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { test, expect } from "@playwright/test";
import { asMember, codeThrown } from "./api.mjs";
import {
  CASE_NOTE_HANDOVER, CASE_NOTE_HANNA, CASE_NOTE_LENA, CASE_NOTE_PAUL, CASE_NOTE_ROTATED, HANNA, LENA, PAUL, VIEWPORT,
  adminWithWorkspace, admit, axeViolations, colleagueWaiting, confirm, createInviteLink, openProfile, ready, visibleAlerts,
} from "./fixtures.mjs";
import { OwnServer } from "./server.mjs";

test.describe.configure({ mode: "serial" });

const SHOTS = process.env.CONFIDE_SCREENSHOTS === "1";

const DATA = "build/e2e-data";
let mia, alice, ben, sam; // { page, context, problems, fingerprint, kit, link? }
let wsId;
const caseOf = {}; // client label → case id

// ---------- steps --------------------------------------------------------------------

async function join(browser, who) {
  const link = await createInviteLink(mia.page);
  const p = await colleagueWaiting(browser, link);
  await mia.page.bringToFront();
  await admit(mia.page, p.fingerprint);
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

const clientButton = (p, name) => p.page.getByTestId("open-client").filter({ hasText: name });
const clientNames = (p) => p.page.getByTestId("open-client");

async function createClient(p, client) {
  await p.page.bringToFront();
  await p.page.getByTestId("client-label-input").fill(client.label);
  await p.page.getByTestId("client-initials-input").fill(client.initials);
  await p.page.getByTestId("create-client").click();
  await expect(p.page.getByTestId("case-title")).toHaveText(client.label);
  await expect(p.page.getByTestId("case-level")).toHaveText("full");
  caseOf[client.label] = await p.page.getByTestId("case").getAttribute("data-case-id");
}

async function openClient(p, name) {
  await p.page.bringToFront();
  await clientButton(p, name).click();
  await expect(p.page.getByTestId("case-title")).toHaveText(name);
}

async function writeCaseNote(p, text, minutes = 50, status = "attended") {
  await p.page.getByTestId("case-note-input").fill(text);
  await p.page.getByTestId("case-minutes").fill(String(minutes));
  await p.page.getByTestId("case-status").selectOption(status);
  await p.page.getByTestId("case-save-note").click();
  await expect(p.page.getByTestId("case-note-saved")).toContainText("Saved");
  await expect(p.page.getByTestId("case-note-body").filter({ hasText: text })).toHaveCount(1);
}

const memberRow = (p, fingerprint) => p.page.getByTestId("case-member").filter({ hasText: fingerprint });

async function addToCase(p, who, level) {
  await p.page.getByTestId("case-add-who").selectOption({ label: who.fingerprint });
  await p.page.getByTestId("case-add-level").selectOption(level);
  await p.page.getByTestId("case-add").click();
  await expect(memberRow(p, who.fingerprint).getByTestId("case-member-level")).toHaveText(level);
}

/** Everything the page shows, as text: what a person can read on their screen. */
const screenText = (p) => p.page.locator("main").innerText();

const casePath = (caseId, rest = "") => `/api/workspaces/${wsId}/cases/${caseId}${rest}`;

/** The record id of the newest note of the open case. */
const firstNoteId = (p) => p.page.getByTestId("case-note").first().getAttribute("data-record-id");

// ---------- the practice -------------------------------------------------------------

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  mia = await adminWithWorkspace(browser);
  wsId = mia.workspaceId;
  alice = await join(browser, "Alice");
  ben = await join(browser, "Ben");
  sam = await join(browser, "Sam");
});

test.afterAll(async () => {
  for (const p of [mia, alice, ben, sam]) await p?.context.close();
});

test("each person sees exactly what they should: clinicians their clients, the supervisor summaries, the manager nothing", async () => {
  test.setTimeout(120_000);
  // Alice: two clients, with Sam on both at summary level. Ben: one client of his own.
  await createClient(alice, LENA);
  await addToCase(alice, sam, "summary");
  await writeCaseNote(alice, CASE_NOTE_LENA, 50, "attended");
  await expect(alice.page.getByTestId("case-note-summary")).toContainText("50 min · attended");
  await createClient(alice, PAUL);
  await addToCase(alice, sam, "summary");
  await writeCaseNote(alice, CASE_NOTE_PAUL, 45, "attended");
  await createClient(ben, HANNA);
  await writeCaseNote(ben, CASE_NOTE_HANNA, 30, "no-show");
  await expect(ben.page.getByTestId("case-note-summary")).toContainText("30 min · did not attend");

  for (const p of [mia, alice, ben, sam]) await refresh(p);
  // The clinicians: their own clients, by name, and nobody else's.
  await expect(clientNames(alice)).toHaveText([PAUL.label, LENA.label].sort());
  await expect(alice.page.getByTestId("client-level")).toHaveText(["full access", "full access"]);
  await expect(clientNames(ben)).toHaveText([HANNA.label]);
  // Sam: Alice's clients by their initials, summaries only; never Ben's.
  await expect(clientNames(sam)).toHaveText([LENA.initials, PAUL.initials].sort());
  await expect(sam.page.getByTestId("client-level")).toHaveText(["summaries only", "summaries only"]);
  await openClient(sam, LENA.initials);
  await expect(sam.page.getByTestId("case-access")).toContainText("Summary access");
  await expect(sam.page.getByTestId("case-level")).toHaveText("summary");
  await expect(sam.page.getByTestId("case-note-summary")).toHaveCount(1);
  await expect(sam.page.getByTestId("case-note-summary")).toContainText("Summary 50 min · attended");
  await expect(sam.page.getByTestId("case-note-body")).toHaveCount(0);
  await expect(sam.page.getByTestId("case-note-form")).toBeHidden();
  await expect(sam.page.getByTestId("case-tools")).toBeHidden();
  await expect(sam.page.getByTestId("case-members").getByRole("button")).toHaveCount(0);
  // Mia, the manager: no client at all, and the page says why.
  await expect(mia.page.getByTestId("clients-none")).toBeVisible();
  await expect(mia.page.getByTestId("clients-none")).toContainText("no key to any client's notes");
  await expect(mia.page.getByTestId("client-list").locator("li")).toHaveCount(0);
  if (SHOTS) await mia.page.getByTestId("clients").screenshot({ path: "docs/demo-manager.png" });

  // Nothing of what each may not read is anywhere on their screens.
  const never = {
    mia: [LENA.label, PAUL.label, HANNA.label, CASE_NOTE_LENA, CASE_NOTE_PAUL, CASE_NOTE_HANNA, LENA.initials, HANNA.initials],
    alice: [HANNA.label, HANNA.initials, CASE_NOTE_HANNA],
    ben: [LENA.label, PAUL.label, CASE_NOTE_LENA, CASE_NOTE_PAUL, LENA.initials],
    sam: [LENA.label, PAUL.label, HANNA.label, CASE_NOTE_LENA, CASE_NOTE_PAUL, CASE_NOTE_HANNA, HANNA.initials],
  };
  for (const [name, p] of Object.entries({ mia, alice, ben, sam })) {
    const text = await screenText(p);
    for (const s of never[name]) expect(text.includes(s), `${name} sees ${JSON.stringify(s.slice(0, 16))}`).toBe(false);
  }

  // Accessible (axe, in Chromium), and usable at a phone's width: Alice's client page with
  // its tools, Sam's summary view, Mia's page without clients.
  for (const p of [alice, sam, mia]) expect(await axeViolations(p.page), `axe: ${p.who ?? "Mia"}`).toEqual([]);
  await alice.page.setViewportSize({ width: 360, height: 740 });
  await expect
    .poll(() => alice.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth))
    .toBeLessThanOrEqual(0);
  await alice.page.setViewportSize(VIEWPORT);

  // The server's side, with the package in Node: what each person can fetch, and open.
  const lena = caseOf[LENA.label];
  await openClient(alice, LENA.label);
  const noteId = await firstNoteId(alice);
  // The clinical note and its summary are signed revisions (integrity.spec.mjs): revision 1's records.
  const notePath = casePath(lena, `/revisions/${noteId}/note/1`);
  const summaryPath = casePath(lena, `/revisions/${noteId}/summary/1`);
  const [apiMia, apiBen, apiSam] = await Promise.all([asMember(mia.kit), asMember(ben.kit), asMember(sam.kit)]);
  try {
    // Mia and Ben are not on Lena's case: the server answers as if it did not exist.
    expect((await apiMia.json(`/api/workspaces/${wsId}/cases`)).cases).toEqual([]);
    for (const api of [apiMia, apiBen]) {
      for (const path of [casePath(lena, "/log"), casePath(lena, "/grants"), casePath(lena, "/records"), casePath(lena, "/revisions"), notePath, summaryPath]) {
        expect(await api.status(path), path).toBe(404);
      }
    }
    // Sam may fetch the ciphertext; the package opens the summary, and not the note.
    const samWs = await apiSam.workspace(wsId, { invite: sam.invite });
    const samCase = await apiSam.loadCase(samWs, lena);
    expect(samCase.level).toBe("summary");
    const ctx = (field) => ({ recordId: noteId, field });
    expect(samCase.decryptText(await apiSam.bytes(summaryPath), ctx("summary"))).toBe(JSON.stringify({ minutes: 50, status: "attended" }));
    const noteBytes = await apiSam.bytes(notePath);
    expect(codeThrown(() => samCase.decrypt(noteBytes, ctx("note")))).toBe("level_too_low");
    // Mia's workspace keys open no client's record, however she would get the ciphertext.
    const miaWs = await apiMia.workspace(wsId);
    const summaryBytes = await apiSam.bytes(summaryPath);
    expect(codeThrown(() => miaWs.decrypt(noteBytes, ctx("note")))).toMatch(/^[a-z_]+$/);
    expect(codeThrown(() => miaWs.decrypt(summaryBytes, ctx("summary")))).toMatch(/^[a-z_]+$/);
    for (const x of [samCase, samWs, miaWs]) x.free();
  } finally {
    for (const api of [apiMia, apiBen, apiSam]) api.free();
  }
  for (const p of [mia, alice, ben, sam]) expect(await visibleAlerts(p.page), p.who ?? "Mia").toEqual([]);
});

test("a colleague added reads from then on, the history once shared; handover from Alice to Ben, then Alice has no access", async () => {
  test.setTimeout(120_000);
  // Ben joins Paul's case as a co-therapist: he reads what is written from now on only.
  await openClient(alice, PAUL.label);
  await addToCase(alice, ben, "full");
  await refresh(ben);
  await expect(clientNames(ben)).toHaveText([HANNA.label, PAUL.label].sort());
  await openClient(ben, PAUL.label);
  await expect(ben.page.getByTestId("case-note-locked")).toHaveCount(1);
  await expect(ben.page.getByTestId("case-note-body")).toHaveCount(0);
  // Alice shares the history with him: now he reads the earlier note too.
  await alice.page.bringToFront();
  await memberRow(alice, ben.fingerprint).getByTestId("case-share-history").click();
  await expect(alice.page.getByTestId("case-notice")).toContainText("Shared");
  await refresh(ben);
  await expect(ben.page.getByTestId("case-note-body")).toHaveText([CASE_NOTE_PAUL]);
  await expect(ben.page.getByTestId("case-note-locked")).toHaveCount(0);

  // Ben cannot see Lena until Alice hands her over.
  await expect(clientButton(ben, LENA.label)).toHaveCount(0);
  await openClient(alice, LENA.label);
  const lena = caseOf[LENA.label];
  const epochBefore = Number(await alice.page.getByTestId("case-epoch").textContent());
  await alice.page.getByTestId("case-handover-to").selectOption({ label: ben.fingerprint });
  await alice.page.getByTestId("case-handover").click();
  await expect(alice.page.getByTestId("case-notice")).toContainText("Handed over");
  await expect(memberRow(alice, ben.fingerprint).getByTestId("case-member-level")).toHaveText("full");
  await expect(alice.page.getByTestId("case-epoch")).toHaveText(String(epochBefore + 1));

  // Ben now has Lena in full, with her history; he removes Alice (nobody removes themselves).
  await refresh(ben);
  await openClient(ben, LENA.label);
  await expect(ben.page.getByTestId("case-note-body")).toHaveText([CASE_NOTE_LENA]);
  await memberRow(ben, alice.fingerprint).getByTestId("case-remove-member").click();
  await expect(ben.page.getByTestId("confirm-title")).toHaveText("Remove this colleague from the case?");
  await confirm(ben.page, true);
  await expect(memberRow(ben, alice.fingerprint)).toHaveCount(0);
  await expect(ben.page.getByTestId("case-member-level")).toHaveText(["summary", "full"]);
  await writeCaseNote(ben, CASE_NOTE_HANDOVER, 50, "attended");
  await expect(ben.page.getByTestId("case-note-body")).toHaveText([CASE_NOTE_HANDOVER, CASE_NOTE_LENA]);

  // Alice: Lena has gone from her list and her screen, and the server gives her nothing of it.
  await refresh(alice);
  await expect(alice.page.getByTestId("clients-notice")).toHaveText("You are no longer on that client's case.");
  await expect(alice.page.getByTestId("case")).toBeHidden();
  await expect(clientNames(alice)).toHaveText([PAUL.label]);
  const apiAlice = await asMember(alice.kit);
  try {
    for (const path of [casePath(lena, "/log"), casePath(lena, "/grants"), casePath(lena, "/records")]) {
      expect(await apiAlice.status(path), path).toBe(404);
    }
  } finally {
    apiAlice.free();
  }
  // Sam, still on Lena's case at summary level, reads both summaries, by either clinician.
  await refresh(sam);
  await openClient(sam, LENA.initials);
  await expect(sam.page.getByTestId("case-note-summary")).toHaveCount(2);
  await expect(sam.page.getByTestId("case-note-body")).toHaveCount(0);
  // A server that serves Sam an older case log (before Alice's removal) is caught against the head
  // his browser pinned, and the page says so, as for the workspace's log.
  await sam.page.route("**/api/workspaces/*/cases/*/log", async (route) => {
    const response = await route.fetch();
    const log = await response.json();
    const entries = log.entries.slice(0, -1);
    await route.fulfill({ response, json: { ...log, entries, head: { ...log.head, seq: entries.length - 1 } } });
  });
  await refresh(sam);
  await expect(sam.page.getByTestId("case-error").getByTestId("error-code")).toHaveText("rollback_detected");
  await expect(sam.page.getByTestId("case-error")).toContainText("older history of this client's case");
  await expect(sam.page.getByTestId("case-note-summary")).toHaveCount(0);
  await sam.page.unrouteAll();
  await refresh(sam);
  await expect(sam.page.getByTestId("case-error")).toBeHidden();
  await expect(sam.page.getByTestId("case-note-summary")).toHaveCount(2);
  if (SHOTS) {
    await ben.page.getByTestId("clients-area").screenshot({ path: "docs/demo-client.png" });
    await sam.page.getByTestId("clients-area").screenshot({ path: "docs/demo-supervisor.png" });
  }
});

test("Mia removes Alice from the practice: her browser can no longer load, and Paul's case moves to new keys before Ben writes", async () => {
  test.setTimeout(120_000);
  const paul = caseOf[PAUL.label];
  await mia.page.bringToFront();
  await mia.page.getByTestId("member").filter({ hasText: alice.fingerprint }).getByTestId("remove-member").click();
  await confirm(mia.page, true);
  await expect(mia.page.getByTestId("member-fingerprint")).toHaveText([mia.fingerprint, ben.fingerprint, sam.fingerprint]);

  // Alice's browser: refused from now on, and the clients are gone from the page.
  await alice.page.bringToFront();
  await alice.page.getByTestId("refresh").click();
  await expect(alice.page.locator("body")).toHaveAttribute("data-state", "removed");
  await expect(alice.page.getByTestId("clients-area")).toBeHidden();
  await alice.page.reload();
  await expect(alice.page.getByTestId("create-workspace")).toBeVisible();
  await expect(alice.page.getByTestId("clients-area")).toBeHidden();
  const apiAlice = await asMember(alice.kit);
  const aliceId = apiAlice.member.id;
  try {
    expect(await apiAlice.status(`/api/workspaces/${wsId}/cases`)).toBe(404);
    expect(await apiAlice.status(casePath(paul, "/log"))).toBe(404);
  } finally {
    apiAlice.free();
  }

  // Paul's case still has Alice's keys in its current epoch: the package refuses to write.
  const apiBen = await asMember(ben.kit);
  try {
    const benWs = await apiBen.workspace(wsId, { invite: ben.invite });
    const before = await apiBen.loadCase(benWs, paul);
    expect(before.needsRotation).toBe(true);
    expect(codeThrown(() => before.encrypt("x", { recordId: "r", field: "note" }))).toBe("case_needs_rotation");
    before.free();

    // Ben opens Paul: the page moves the case to new keys (removeDeparted) and publishes it.
    await refresh(ben);
    await openClient(ben, PAUL.label);
    await expect(ben.page.getByTestId("case-notice")).toContainText("left the practice: the case has moved to new keys");
    await expect(memberRow(ben, alice.fingerprint)).toHaveCount(0);
    await expect(ben.page.getByTestId("case-member")).toHaveCount(2);
    const epoch = await ben.page.getByTestId("case-epoch").textContent();
    await writeCaseNote(ben, CASE_NOTE_ROTATED, 45, "attended");
    await expect(ben.page.getByTestId("case-note-saved")).toContainText(`key epoch ${epoch}`);
    await expect(ben.page.getByTestId("case-note-body")).toHaveText([CASE_NOTE_ROTATED, CASE_NOTE_PAUL]);

    const benWs2 = await apiBen.workspace(wsId, { invite: ben.invite });
    const after = await apiBen.loadCase(benWs2, paul);
    expect(after.needsRotation).toBe(false);
    expect(after.members.map((m) => m.id)).not.toContain(aliceId);
    for (const x of [after, benWs, benWs2]) x.free();
  } finally {
    apiBen.free();
  }

  // Sam reads the new summary under the new keys; then Ben ends Sam's supervision of Paul.
  await refresh(sam);
  await openClient(sam, PAUL.initials);
  await expect(sam.page.getByTestId("case-note-summary")).toHaveCount(2);
  await expect(sam.page.getByTestId("case-note-locked")).toHaveCount(0);
  await ben.page.bringToFront();
  await memberRow(ben, sam.fingerprint).getByTestId("case-remove-member").click();
  await confirm(ben.page, true);
  await expect(memberRow(ben, sam.fingerprint)).toHaveCount(0);
  await refresh(sam);
  await expect(sam.page.getByTestId("clients-notice")).toHaveText("You are no longer on that client's case.");
  await expect(clientNames(sam)).toHaveText([LENA.initials]);
});

test("Ben deletes a client: nobody can open its notes, not even from a copy of the server's data taken before", async ({ browser }, info) => {
  test.setTimeout(120_000);
  const lena = caseOf[LENA.label];
  await openClient(ben, LENA.label);
  const noteIds = await ben.page.getByTestId("case-note").evaluateAll((els) => els.map((e) => e.dataset.recordId));
  expect(noteIds).toHaveLength(2);
  const pinnedBefore = await ben.page.evaluate(
    ([ws, c]) => Object.entries(localStorage).find(([k]) => k.startsWith("confide-demo/case-head/") && k.endsWith(`/${ws}/${c}`))?.[1],
    [wsId, lena],
  );
  expect(pinnedBefore).toBeTruthy();

  // The operator's backup of the bulk data (the SQLite file and the blob folder), taken now.
  const restore = new OwnServer(`restore-${info.project.name}`, 2);
  rmSync(restore.dataDir, { recursive: true, force: true });
  mkdirSync(restore.dataDir, { recursive: true });
  for (const f of ["confide.sqlite3", "confide.sqlite3-wal"]) {
    if (existsSync(`${DATA}/${f}`)) copyFileSync(`${DATA}/${f}`, `${restore.dataDir}/${f}`);
  }
  cpSync(`${DATA}/blobs`, `${restore.dataDir}/blobs`, { recursive: true });

  // Ben deletes Lena's case: the dialog shows the retention, and asks first.
  await expect(ben.page.getByTestId("case-retention")).toContainText("None set");
  await ben.page.getByTestId("case-delete").click();
  await expect(ben.page.getByTestId("confirm-title")).toHaveText("Delete this client?");
  await expect(ben.page.getByTestId("confirm-text")).toContainText("Retention: none set.");
  await confirm(ben.page, true);
  await expect(ben.page.getByTestId("case")).toBeHidden();
  await expect(ben.page.getByTestId("clients-notice")).toContainText("deleted");
  await expect(ben.page.getByTestId("client-deleted")).toHaveCount(1);
  await expect(clientButton(ben, LENA.label)).toHaveCount(0);
  await refresh(sam);
  await expect(sam.page.getByTestId("client-deleted")).toHaveCount(1);
  await expect(clientNames(sam)).toHaveCount(0);

  // The live server: the log ends in the tombstone; no grant, record or note is served.
  const pinnedAfter = await ben.page.evaluate(
    ([ws, c]) => Object.entries(localStorage).find(([k]) => k.startsWith("confide-demo/case-head/") && k.endsWith(`/${ws}/${c}`))?.[1],
    [wsId, lena],
  );
  const [apiBen, apiSam] = await Promise.all([asMember(ben.kit), asMember(sam.kit)]);
  expect(pinnedAfter).not.toBe(pinnedBefore); // the page pinned the tombstone
  const live = {
    ben: await apiBen.workspace(wsId, { invite: ben.invite }),
    sam: await apiSam.workspace(wsId, { invite: sam.invite }),
  };
  try {
    for (const [name, api] of Object.entries({ ben: apiBen, sam: apiSam })) {
      expect(await api.grants(casePath(lena, "/grants")), name).toEqual([]);
      for (const id of noteIds) expect(await api.status(casePath(lena, `/revisions/${id}/note`)), name).toBe(410); // case_deleted
      await expect(api.loadCase(live[name], lena)).rejects.toMatchObject({ code: "case_deleted" });
    }
  } finally {
    for (const x of [live.ben, live.sam, apiBen, apiSam]) x.free();
  }

  // The backup put back with the *current* key store, served by a second server.
  for (const f of ["keys.sqlite3", "keys.sqlite3-wal"]) {
    if (existsSync(`${DATA}/${f}`)) copyFileSync(`${DATA}/${f}`, `${restore.dataDir}/${f}`);
  }
  await restore.start();
  try {
    const [oldBen, oldSam, oldMia, oldAlice] = await Promise.all([
      asMember(ben.kit, restore.url), asMember(sam.kit, restore.url), asMember(mia.kit, restore.url), asMember(alice.kit, restore.url),
    ]);
    try {
      for (const [name, api] of Object.entries({ ben: oldBen, sam: oldSam })) {
        // The copy still lists the case and serves its ciphertext, but holds no key to it.
        expect((await api.json(`/api/workspaces/${wsId}/cases`)).cases.map((c) => c.caseId), name).toContain(lena);
        expect((await api.json(casePath(lena, "/grants"))).grants, name).toEqual([]);
        const ws = await api.workspace(wsId, { invite: (name === "ben" ? ben : sam).invite });
        await expect(api.loadCase(ws, lena)).rejects.toMatchObject({ code: "missing_grant" });
        // (No key to open it with: the case's grants, its only keys, are gone from the copy.)
        const summary = await api.bytes(casePath(lena, `/revisions/${noteIds.at(-1)}/summary/1`));
        expect(summary.length, name).toBeGreaterThan(0);
        ws.free();
      }
      // Ben's browser pinned the tombstone: to it the copy is a rollback, as well.
      const benWs = await oldBen.workspace(wsId, { invite: ben.invite });
      await expect(oldBen.loadCase(benWs, lena, { pinnedHead: pinnedAfter })).rejects.toMatchObject({ code: "rollback_detected" });
      benWs.free();
      // Mia was never on the case, Alice has left the practice: the copy serves them nothing of it.
      for (const api of [oldMia, oldAlice]) expect(await api.status(casePath(lena, "/log"))).toBe(404);
    } finally {
      for (const api of [oldBen, oldSam, oldMia, oldAlice]) api.free();
    }

    // And in a browser: Ben restores his kit against the copy; Lena's case does not open.
    const ben2 = await openProfile(browser, { baseURL: restore.url });
    await ready(ben2.page);
    await ben2.page.getByText("I have a recovery kit").click();
    await ben2.page.getByTestId("restore-kit").fill(ben.kit);
    await ben2.page.getByTestId("restore-identity").click();
    await expect(ben2.page.locator("body")).toHaveAttribute("data-state", "check");
    await ben2.page.getByTestId("check-matches").click();
    await expect(ben2.page.locator("body")).toHaveAttribute("data-state", "open");
    await expect(ben2.page.locator(`[data-testid="client-broken"][data-case-id="${lena}"] [data-testid="error-code"]`)).toHaveText(
      "missing_grant",
    );
    const text = await ben2.page.locator("main").innerText();
    for (const s of [LENA.label, CASE_NOTE_LENA, CASE_NOTE_HANDOVER]) expect(text.includes(s)).toBe(false);
    await ben2.context.close();
  } finally {
    await restore.kill();
  }
});
