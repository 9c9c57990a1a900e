// Clients: the cases this member is on, creating one, and the open client's page: its
// session notes (full members read and write them, summary members read the summaries),
// who is on the case at which level, and a full member's tools (add a colleague, change a
// level, share history, remove, hand over, delete). The data and the server's case routes
// are in cases.js. Nothing here puts a client's name, a note or a key into an error, a log
// line or a URL: errors show their code and plain words (errors.js).
import { isConfideError } from "/pkg/dist/index.js";
import { ApiError } from "./api.js";
import {
  CF, PROFILE, changeCase, createCase, currentCase, dropAllCases, dropCase, getText, listCaseRecords, listCases, loadCase,
  removeDepartedFrom, rewriteProfile, writeNote,
} from "./cases.js";
import { confirmStep } from "./dialog.js";
import { PageError, action, clearError, showError } from "./errors.js";
import { focusOn, notice, state, ui } from "./ui.js";
import { isAdmin } from "./workspace.js";

/** Errors of the case panel speak of the client's case, not the workspace. */
const CASE = { scope: "case" };
const YEAR_SECONDS = 365.25 * 86400;
const STATUS = { attended: "attended", cancelled: "cancelled", "no-show": "did not attend" };

const levelWords = (level) => (level === "full" ? "full access" : "summaries only");
const date = (seconds) => new Date(seconds * 1000).toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });

/** What the page calls a colleague: their fingerprint, which they can read out to compare. */
function colleague(id) {
  const m = state.ws?.members.find((x) => x.id === id);
  return m ? { fingerprint: m.fingerprint, role: m.role } : null;
}

/** The name this member may see: the label for full members, the initials for summary members. */
async function clientName(caseId, c) {
  const field = c.level === "full" ? CF.label : CF.initials;
  try {
    return await getText(caseId, c, PROFILE, field);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return "(unnamed client)";
    throw e;
  }
}

function el(tag, { testid, className, text } = {}) {
  const e = document.createElement(tag);
  if (testid) e.dataset.testid = testid;
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function button(testid, text, className = "secondary") {
  const b = el("button", { testid, className, text });
  b.type = "button";
  return b;
}

function errorIn(parent, e, prefix, testid = "client-open-error") {
  const err = el("p", { testid, className: "error" });
  showError(err, e, prefix, CASE);
  parent.append(err);
}

/**
 * One step at a time: a refresh, opening a client, a change, a save. Each runs after the one
 * before has finished, so no step works on a case another step has since replaced (and
 * zeroized), whatever the order of clicks.
 */
let queue = Promise.resolve();
function serially(fn) {
  const run = queue.then(fn);
  queue = run.catch(() => {});
  return run;
}

/** How many times the list has been redrawn (`data-refreshed` on the panel, for tests). */
let redrawn = 0;

// ---------- the list ---------------------------------------------------------------------

/**
 * Lists the clients whose cases this member is on, each verified (Case.load) and named as
 * its level allows; redraws the open client. Its failures show in the Clients panel only:
 * the rest of the page keeps working.
 */
export function refreshClients() {
  return serially(async () => {
    try {
      await listClients();
    } finally {
      ui.clients.dataset.refreshed = String(++redrawn);
    }
  });
}

async function listClients() {
  clearError(ui.clientsError);
  let list;
  try {
    list = await listCases();
  } catch (e) {
    showError(ui.clientsError, e, "Could not list your clients");
    return;
  }
  const items = [];
  for (const entry of list) items.push(await clientItem(entry));
  // By name; deleted and broken cases last.
  const order = (li) => (li.dataset.testid === "client" ? 0 : 1);
  const name = (li) => li.querySelector('[data-testid="open-client"]')?.textContent ?? "";
  items.sort((x, y) => order(x) - order(y) || name(x).localeCompare(name(y), "en"));
  ui.clientList.replaceChildren(...items);
  const current = list.filter((e) => !e.deleted);
  ui.clientsNone.textContent = isAdmin()
    ? "You are on no client's case, so this browser holds no key to any client's notes. As an admin you run the practice's roster; the clinicians decide who is on their clients' cases."
    : "You are on no client's case, so this browser holds no key to any client's notes. Create a client below, or ask a colleague to add you to theirs.";
  ui.clientsNone.hidden = current.length > 0;
  if (state.caseId === null) return;
  if (!current.some((e) => e.caseId === state.caseId)) {
    const deleted = list.some((e) => e.caseId === state.caseId && e.deleted);
    closeCase();
    notice(ui.clientsNotice, deleted ? "That client's case has been deleted." : "You are no longer on that client's case.");
    return;
  }
  await showCase();
}

async function clientItem(entry) {
  const li = el("li", { testid: "client" });
  li.dataset.caseId = entry.caseId;
  let c;
  try {
    c = await loadCase(entry.caseId);
  } catch (e) {
    if (isConfideError(e) && e.code === "case_deleted") {
      li.dataset.testid = "client-deleted";
      li.append(el("span", { text: "A deleted client. Its notes open for no one any more: the server has deleted the case's keys." }));
      return li;
    }
    li.dataset.testid = "client-broken";
    li.append(el("span", { className: "meta", text: `Case ${entry.caseId}` }));
    errorIn(li, e, "This client's case does not open");
    return li;
  }
  li.dataset.level = c.level;
  try {
    const name = await clientName(entry.caseId, c);
    const open = button("open-client", name, "link");
    open.setAttribute("aria-label", `Open ${name} (${levelWords(c.level)})`);
    open.addEventListener("click", () =>
      action(open, ui.clientsError, "Could not open the client", () => openCase(entry.caseId), CASE),
    );
    li.append(open, " ", el("span", { testid: "client-level", className: `badge ${c.level}`, text: levelWords(c.level) }));
    if (entry.caseId === state.caseId) open.setAttribute("aria-current", "true");
  } catch (e) {
    li.dataset.testid = "client-broken";
    errorIn(li, e, "This client's name does not open");
  }
  return li;
}

/** Creates a client's case from the form, then opens it. */
async function createClient() {
  const label = ui.clientLabelInput.value.trim();
  const initials = ui.clientInitialsInput.value.trim();
  if (label === "" || initials === "") throw new PageError("client_incomplete");
  const years = Number(ui.clientRetention.value);
  const retentionUntil = years > 0 ? Math.floor(Date.now() / 1000 + years * YEAR_SECONDS) : 0;
  const caseId = await createCase({ label, initials, retentionUntil });
  ui.clientLabelInput.value = "";
  ui.clientInitialsInput.value = "";
  ui.clientRetention.value = "0";
  state.caseId = caseId;
  await listClients();
  focusOn(ui.caseNoteInput);
}

// ---------- the open client ------------------------------------------------------------

function openCase(caseId) {
  return serially(() => showClient(caseId));
}

async function showClient(caseId) {
  clearError(ui.caseError);
  notice(ui.caseNotice, "");
  notice(ui.clientsNotice, "");
  state.caseId = caseId;
  await showCase();
  markOpen();
  focusOn(ui.caseTitle);
}

/** The open client's entry in the list says so (aria-current). */
function markOpen() {
  for (const b of ui.clientList.querySelectorAll('[data-testid="open-client"]')) {
    if (b.closest("li").dataset.caseId === state.caseId) b.setAttribute("aria-current", "true");
    else b.removeAttribute("aria-current");
  }
}

export function closeCase() {
  if (state.caseId !== null) dropCase(state.caseId);
  state.caseId = null;
  markOpen();
  ui.case.hidden = true;
  delete ui.case.dataset.caseId;
  ui.caseNotes.replaceChildren();
  ui.caseMembers.replaceChildren();
}

/** Leaving the workspace (a switch, a removal): no client stays open, no case key stays held. */
export function forgetClients() {
  closeCase();
  dropAllCases();
  ui.clientList.replaceChildren();
}

/**
 * Shows the open client as the server has it now. A full member first moves the case to new
 * keys if someone on it has left the practice (removeDeparted), so nothing is ever written
 * under a key a departed colleague holds (SECURITY.md#cases, "Leaving"). Everything is
 * fetched and opened first, then shown at once: the page never shows one client's title over
 * another's notes.
 */
async function showCase() {
  const caseId = state.caseId;
  ui.case.hidden = false;
  ui.case.dataset.caseId = caseId;
  let shown;
  try {
    shown = await gatherCase(caseId);
  } catch (e) {
    // The workspace moved to a new epoch meanwhile (a refresh, a save), and its old keys went
    // with the case loaded against them: load it again, once.
    if (!(isConfideError(e) && e.code === "freed")) return showCaseError(caseId, e);
    try {
      shown = await gatherCase(caseId);
    } catch (again) {
      return showCaseError(caseId, again);
    }
  }
  const { name, notes, level, epoch, retentionUntil, members, departed } = shown;
  const full = level === "full";
  ui.case.dataset.level = level;
  ui.caseAccess.textContent = full
    ? "Full access: you read and write this client's notes."
    : "Summary access: you see each session's summary only. The clinical notes stay with the full members.";
  ui.caseAccess.className = `access ${level}`;
  ui.caseId.textContent = caseId;
  ui.caseEpoch.textContent = String(epoch);
  ui.caseLevel.textContent = full ? "full" : "summary";
  ui.caseRetention.textContent = retentionUntil
    ? `Kept until ${date(retentionUntil)}: it cannot be deleted before.`
    : "None set: the client's case can be deleted at any time.";
  if (departed > 0) {
    notice(
      ui.caseNotice,
      `${departed === 1 ? "A colleague" : `${departed} colleagues`} on this case left the practice: the case has moved to new keys they never had.`,
    );
  }
  ui.caseNoteForm.hidden = !full;
  ui.caseTools.hidden = !full;
  clearError(ui.caseError);
  ui.caseNotes.replaceChildren(...notes);
  ui.caseNotesEmpty.hidden = notes.length > 0;
  renderMembers(members, full);
  if (full) renderTools(members, retentionUntil);
  ui.caseTitle.textContent = name;
}

/** Loads the case (moving it on from departed colleagues first) and opens what it shows. */
async function gatherCase(caseId) {
  let c = await loadCase(caseId);
  const departed = await removeDepartedFrom(caseId);
  if (departed > 0) c = await currentCase(caseId);
  return {
    departed,
    level: c.level,
    epoch: c.epoch,
    retentionUntil: c.retentionUntil,
    members: c.members,
    name: await clientName(caseId, c),
    notes: await noteItems(caseId, c),
  };
}

function showCaseError(caseId, e) {
  ui.case.dataset.level = "";
  ui.caseTitle.textContent = "A client's case";
  ui.caseId.textContent = caseId;
  for (const dd of [ui.caseEpoch, ui.caseLevel, ui.caseRetention, ui.caseAccess]) dd.textContent = "—";
  ui.caseNoteForm.hidden = true;
  ui.caseTools.hidden = true;
  ui.caseNotes.replaceChildren();
  ui.caseMembers.replaceChildren();
  showError(ui.caseError, e, "This client's case does not open", CASE);
}

/** The case's session notes as list items, newest first, each opened as far as this member may. */
async function noteItems(caseId, c) {
  const records = (await listCaseRecords(caseId)).filter((r) => r.recordId !== PROFILE && r.fields.has(CF.summary));
  const items = [];
  for (const rec of records) {
    const li = el("li", { testid: "case-note" });
    li.dataset.recordId = rec.recordId;
    items.push(li);
    const when = new Date(rec.updatedAt).toLocaleString("en-GB");
    try {
      const s = JSON.parse(await getText(caseId, c, rec.recordId, CF.summary));
      const minutes = Number.isSafeInteger(s?.minutes) ? `${s.minutes} min` : "duration not given";
      const line = el("p", { testid: "case-note-summary", className: "note-head" });
      line.append(el("strong", { className: "badge summary", text: "Summary" }), ` ${minutes} · ${STATUS[s?.status] ?? "status not given"} · ${when}`);
      li.append(line);
      if (c.level !== "full" || !rec.fields.has(CF.note)) continue;
      li.append(el("p", { testid: "case-note-body", className: "note-body", text: await getText(caseId, c, rec.recordId, CF.note) }));
    } catch (e) {
      if (isLocked(e)) li.append(lockedNote(li.childElementCount === 0 ? when : null));
      else errorIn(li, e, "This note does not open", "case-note-open-error");
    }
  }
  return items;
}

/** A record of an epoch before this member joined (and not shared since): keys it never had. */
function isLocked(e) {
  return isConfideError(e) && e.code === "unknown_epoch";
}

function lockedNote(when) {
  const p = el("p", {
    testid: "case-note-locked",
    className: "placeholder",
    text: "Written before you joined this case. A full member can share the case's history with you.",
  });
  if (when) p.prepend(`${when}: `);
  return p;
}

function renderMembers(members, full) {
  const items = members.map((m) => {
    const li = el("li", { testid: "case-member" });
    li.dataset.memberId = m.id;
    const who = colleague(m.id);
    if (who) li.append(el("code", { testid: "case-member-fingerprint", className: "fingerprint", text: who.fingerprint }));
    else li.append(el("span", { testid: "case-member-fingerprint", text: "A colleague who left the practice" }));
    const about = el("span", { className: "meta" });
    about.append(" ", el("span", { testid: "case-member-level", text: m.level }));
    if (m.id === state.member.id) about.append(" · you");
    if (m.departed) about.append(" · left the practice");
    li.append(about);
    if (full && m.id !== state.member.id && !m.departed) li.append(memberActions(m));
    return li;
  });
  ui.caseMembers.replaceChildren(...items);
}

function memberActions(m) {
  const actions = el("div", { className: "actions" });
  const other = m.level === "full" ? "summary" : "full";
  const level = button("case-set-level", other === "full" ? "Give full access" : "Summaries only");
  level.addEventListener("click", () =>
    action(level, ui.caseMembersError, "Could not change the access", () => serially(async () => {
      await change((c) => c.setLevel(m.id, other), { joined: true });
      notice(ui.caseNotice, other === "full" ? "They now have full access." : "They now read the summaries only, from now on.");
    }), CASE),
  );
  const share = button("case-share-history", "Share history");
  share.addEventListener("click", () =>
    action(share, ui.caseMembersError, "Could not share the history", () => serially(async () => {
      await change((c) => c.shareHistory(m.id));
      notice(ui.caseNotice, "Shared: they now read the notes written before they joined, at their level.");
    }), CASE),
  );
  const remove = button("case-remove-member", "Remove", "secondary danger");
  remove.addEventListener("click", () =>
    action(remove, ui.caseMembersError, "Could not remove", () => serially(async () => {
      const sure = await confirmStep({
        title: "Remove this colleague from the case?",
        text:
          `The colleague with the fingerprint ${colleague(m.id)?.fingerprint ?? "shown"} loses access to this client's notes ` +
          "from now on: the case moves to new keys they never receive. They keep what they have already read.",
        ok: "Remove from the case",
        danger: true,
      });
      if (!sure) return;
      await change((c) => c.remove(m.id));
      notice(ui.caseNotice, "Removed from this client's case.");
      focusOn(ui.caseTitle);
    }), CASE),
  );
  // Each row has the same three buttons: their names say whom they act on.
  const whom = colleague(m.id)?.fingerprint ?? "this colleague";
  level.setAttribute("aria-label", `${level.textContent}: ${whom}`);
  share.setAttribute("aria-label", `Share history with ${whom}`);
  remove.setAttribute("aria-label", `Remove ${whom} from this case`);
  actions.append(level, share, remove);
  return actions;
}

function option(value, text) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  return o;
}

function renderTools(members, retentionUntil) {
  const on = new Map(members.map((m) => [m.id, m.level]));
  const others = state.ws.members.filter((m) => m.id !== state.member.id);
  const describe = (m) => `${m.fingerprint}${m.role === "admin" ? " (admin)" : ""}`;
  const addable = others.filter((m) => !on.has(m.id));
  ui.caseAddWho.replaceChildren(...addable.map((m) => option(m.id, describe(m))));
  ui.caseAdd.disabled = addable.length === 0;
  const heirs = others.filter((m) => on.get(m.id) !== "full");
  ui.caseHandoverTo.replaceChildren(...heirs.map((m) => option(m.id, describe(m))));
  ui.caseHandover.disabled = heirs.length === 0;
  const now = Date.now() / 1000;
  const held = retentionUntil > now;
  ui.caseDeleteHint.textContent = held
    ? `Kept until ${date(retentionUntil)} (retention): it cannot be deleted before.`
    : "Deleting is for good: the server deletes the case's keys, and nobody can open its notes again, from any copy.";
  ui.caseDelete.disabled = held;
}

/**
 * A change to the open case, then the page shows the case as it is now. `joined`: someone
 * joined or changed level, so the profile moves to the new epoch for them to read.
 */
async function change(build, { joined = false } = {}) {
  await changeCase(state.caseId, build);
  if (joined) await rewriteProfile(state.caseId);
  await showCase();
}

async function addColleague() {
  const id = ui.caseAddWho.value;
  const level = ui.caseAddLevel.value === "summary" ? "summary" : "full";
  if (!id) throw new PageError("nobody_chosen");
  await change((c) => c.add(id, level), { joined: true });
  notice(ui.caseNotice, "Added. They read what is written from now on; “Share history” gives them the earlier notes.");
  focusOn(ui.caseAdd.disabled ? ui.caseTitle : ui.caseAdd);
}

/**
 * Hand over: the colleague gets full access (added, or raised) and the history, in two log
 * entries. The case still has this member on it: they remove us, since nobody can remove
 * themselves (the package refuses it: `cannot_remove_self`).
 */
async function handOver() {
  const id = ui.caseHandoverTo.value;
  if (!id) throw new PageError("nobody_chosen");
  await change((c) => {
    const on = c.members.find((m) => m.id === id);
    const first = on ? c.setLevel(id, "full") : c.add(id, "full");
    return [first, c.shareHistory(id)];
  }, { joined: true });
  notice(
    ui.caseNotice,
    "Handed over: your colleague now has full access and the case's history. To leave the case, ask them to remove you.",
  );
  focusOn(ui.caseTitle);
}

async function deleteClient() {
  const caseId = state.caseId;
  const c = await currentCase(caseId);
  const kept = c.retentionUntil ? `Retention: kept until ${date(c.retentionUntil)}.` : "Retention: none set.";
  const sure = await confirmStep({
    title: "Delete this client?",
    text:
      `${kept} Every note of this client becomes unreadable, for everyone on the case and for you: ` +
      "the server deletes the case's keys, so no copy of the notes, backups included, opens again. This cannot be undone.",
    ok: "Delete the client",
    danger: true,
  });
  if (!sure) return;
  await changeCase(caseId, (fresh) => ({ logEntry: fresh.delete(), grants: [] }));
  closeCase();
  notice(ui.clientsNotice, "The client's case is deleted: nobody can open its notes any more.");
  await listClients();
  focusOn(ui.clientLabelInput);
}

async function saveCaseNote() {
  const note = ui.caseNoteInput.value;
  if (note.trim() === "") throw new PageError("note_empty");
  const minutes = /^\d{1,3}$/.test(ui.caseMinutes.value.trim()) ? Number(ui.caseMinutes.value.trim()) : NaN;
  if (!Number.isSafeInteger(minutes) || minutes < 1 || minutes > 600) throw new PageError("minutes_invalid");
  const status = ui.caseStatus.value in STATUS ? ui.caseStatus.value : "attended";
  // A colleague may have left the practice since the case was opened: new keys first.
  await removeDepartedFrom(state.caseId);
  const c = await writeNote(state.caseId, { note, minutes, status });
  ui.caseNoteInput.value = "";
  ui.caseNoteSaved.textContent = `Saved, encrypted at the case's key epoch ${c.epoch}.`;
  await showCase();
  focusOn(ui.caseNoteInput);
}

export function wireClients() {
  ui.clientForm.addEventListener("submit", (event) => {
    event.preventDefault();
    action(ui.createClient, ui.clientFormError, "Could not create the client", () => serially(createClient));
  });
  ui.caseNoteForm.addEventListener("submit", (event) => {
    event.preventDefault();
    ui.caseNoteSaved.textContent = "";
    action(ui.caseSaveNote, ui.caseNoteError, "Not saved", () => serially(saveCaseNote), CASE);
  });
  ui.caseAdd.addEventListener("click", () => action(ui.caseAdd, ui.caseToolsError, "Could not add", () => serially(addColleague), CASE));
  ui.caseHandover.addEventListener("click", () =>
    action(ui.caseHandover, ui.caseToolsError, "Could not hand over", () => serially(handOver), CASE),
  );
  ui.caseDelete.addEventListener("click", () =>
    action(ui.caseDelete, ui.caseToolsError, "Not deleted", () => serially(deleteClient), CASE),
  );
  ui.caseClose.addEventListener("click", () =>
    serially(() => {
      closeCase();
      focusOn(ui.clientList.querySelector("button") ?? ui.clientLabelInput);
    }),
  );
}
