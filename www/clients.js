// Clients: the cases this member is on, creating one, and the open client's page: its
// session notes (full members read and write them, summary members read the summaries),
// who is on the case at which level, and a full member's tools (add a colleague, change a
// level, share history, remove, hand over, delete). The data and the server's case routes
// are in cases.js. Nothing here puts a client's name, a note or a key into an error, a log
// line or a URL: errors show their code and plain words (errors.js).
import { isConfideError } from "/pkg/dist/index.js";
import { ApiError } from "./api.js";
import {
  CF, PROFILE, appendAudit, changeCase, createCase, currentCase, dropAllCases, dropCase, fetchRevisions, fetchSignOffs, getText, readField,
  listCaseRecords, listCases, loadAudit, loadCase, openEarlier, openSigned, removeDepartedFrom, reviseNote, revisionHash,
  rewriteProfile, signOffRevision, writeNote,
} from "./cases.js";
import { confirmStep } from "./dialog.js";
import { PageError, action, clearError, codeOf, showError } from "./errors.js";
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
    return await readField(caseId, c, PROFILE, field);
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
  ui.caseAudit.hidden = true;
  ui.caseAuditView.hidden = true;
  report = null;
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
  const { name, notes, level, epoch, retentionUntil, members, departed, auditError } = shown;
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
  if (auditError) showError(ui.caseAuditError, auditError, "The audit trail does not verify", CASE);
  else clearError(ui.caseAuditError);
  ui.caseAudit.hidden = true;
  ui.caseAuditView.hidden = true;
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
  // The audit trail, verified against its pin, vouches for each note's latest revision. If it
  // does not verify, the notes still open against their own pins, and the page says so.
  let audit;
  let auditError = null;
  try {
    ({ trail: audit } = await loadAudit(caseId, c));
  } catch (e) {
    if (codeOf(e) === "freed") throw e;
    auditError = e;
  }
  return {
    departed,
    auditError,
    level: c.level,
    epoch: c.epoch,
    retentionUntil: c.retentionUntil,
    members: c.members,
    name: await clientName(caseId, c),
    notes: await noteItems(caseId, c, audit),
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
async function noteItems(caseId, c, audit) {
  const records = (await listCaseRecords(caseId)).filter((r) => r.recordId !== PROFILE && r.fields.has(CF.summary));
  const audited = audit ? audit.entries : [];
  const items = [];
  for (const rec of records) {
    const li = el("li", { testid: "case-note" });
    li.dataset.recordId = rec.recordId;
    items.push(li);
    const when = new Date(rec.updatedAt).toLocaleString("en-GB");
    try {
      const s = JSON.parse(await readField(caseId, c, rec.recordId, CF.summary));
      const minutes = Number.isSafeInteger(s?.minutes) ? `${s.minutes} min` : "duration not given";
      const line = el("p", { testid: "case-note-summary", className: "note-head" });
      line.append(el("strong", { className: "badge summary", text: "Summary" }), ` ${minutes} · ${STATUS[s?.status] ?? "status not given"} · ${when}`);
      li.append(line);
    } catch (e) {
      if (isLocked(e)) li.append(lockedNote(when));
      else if (codeOf(e) === "rollback_detected" || codeOf(e) === "fork_detected") li.append(staleWarning(codeOf(e)));
      else errorIn(li, e, "This note does not open", "case-note-open-error");
      continue;
    }
    const ctx = { recordId: rec.recordId, field: CF.note };
    try {
      if (c.level === "full") await fullNote(li, caseId, c, ctx, rec, audit, when);
      else await summaryNote(li, caseId, c, ctx, audited, when);
    } catch (e) {
      if (isLocked(e)) li.append(lockedNote(null));
      else if (codeOf(e) === "rollback_detected" || codeOf(e) === "fork_detected") li.append(staleWarning(codeOf(e)));
      else errorIn(li, e, "This note does not open", "case-note-open-error");
    }
  }
  return items;
}

/** The alert on a note whose history the server rolled back or forked: its text is not shown. */
function staleWarning(code) {
  const p = el("p", {
    testid: "case-note-integrity",
    className: "error",
    text:
      code === "rollback_detected"
        ? "The server served an older version of this note than this browser has seen. Do not rely on it; tell your practice."
        : "The server served a version of this note that differs from the one this browser has seen. Do not rely on it; tell your practice.",
  });
  p.setAttribute("role", "alert");
  return p;
}

/** How the page names a member of the practice: the fingerprint it shows colleagues by. */
function who(id) {
  const fp = colleague(id)?.fingerprint ?? "a colleague who left the practice";
  return id === state.member.id ? `${fp} (you)` : fp;
}

function revisionLine(number, kind, author, time) {
  const p = el("p", { testid: "case-note-revision", className: "meta" });
  p.dataset.revision = String(number);
  p.append(kind === "delete" ? `Deleted by ` : `Revision ${number} by `);
  p.append(el("code", { className: "fingerprint", text: who(author) }), kind === "delete" ? ` on ${date(time)} (revision ${number})` : `, ${date(time)}`);
  return p;
}

/**
 * A full member's view of a note: its verified latest revision (or a note written before
 * signed revisions), who wrote it, its sign-offs, and what they can do with it.
 */
async function fullNote(li, caseId, c, ctx, rec, audit, when) {
  const opened = await openSigned(caseId, c, ctx, audit);
  if (opened === null) {
    if (!rec.fields.has(CF.note)) return;
    li.append(el("p", { testid: "case-note-body", className: "note-body", text: await getText(caseId, c, ctx.recordId, CF.note) }));
    li.append(el("p", { testid: "case-note-revision", className: "meta", text: "unsigned (written before signed revisions)" }));
    return;
  }
  const latest = opened.revision;
  if (!opened.deleted) li.append(el("p", { testid: "case-note-body", className: "note-body", text: opened.value }));
  li.append(revisionLine(latest.number, latest.kind, latest.author, latest.time));
  const earlier = opened.revisions.slice(0, -1).map((r) => r.bytes);
  const signed = latest.kind === "write" ? await signOffLines(li, caseId, c, ctx, latest, earlier) : false;
  const actions = el("div", { className: "actions" });
  const history = el("div", { testid: "case-note-history", className: "history" });
  history.hidden = true;
  history.id = `history-${ctx.recordId}`;
  actions.append(historyButton(caseId, c, ctx, opened.revisions, history, when));
  if (!opened.deleted) {
    actions.prepend(editButton(li, caseId, ctx, latest, opened.value, when));
    if (latest.author !== state.member.id && !signed) actions.append(signOffButton(caseId, ctx, latest, when));
    actions.append(deleteButton(caseId, ctx, latest, when));
  }
  li.append(actions, history);
}

/**
 * A summary member's view of a note's revisions: it holds no key to the note, so it cannot
 * verify the note's history; the case's verified audit trail says which revision is the
 * latest and who wrote it, and the revision served must have the hash the trail records.
 */
async function summaryNote(li, caseId, c, ctx, audited, when) {
  let latest;
  for (const e of audited) {
    const ev = e.event;
    if (!ev || ev.recordId !== ctx.recordId || ev.field !== ctx.field || !["create", "edit", "delete"].includes(ev.action)) continue;
    if (!latest || ev.revisionNumber > latest.number) {
      latest = { number: ev.revisionNumber, hash: ev.revisionHash, author: e.author, time: e.time, kind: ev.action === "delete" ? "delete" : "write" };
    }
  }
  if (!latest) return; // a note written before signed revisions: nothing to sign off
  const revisions = await fetchRevisions(caseId, ctx);
  if (revisions.length < latest.number) throw new PageError("rollback_detected");
  const bytes = revisions[latest.number - 1];
  if ((await revisionHash(bytes)) !== latest.hash) throw new PageError("fork_detected");
  li.append(revisionLine(latest.number, latest.kind, latest.author, latest.time));
  if (latest.kind !== "write") return;
  const info = { ...latest, bytes };
  const signed = await signOffLines(li, caseId, c, ctx, info, revisions.slice(0, latest.number - 1));
  if (latest.author !== state.member.id && !signed) {
    const actions = el("div", { className: "actions" });
    actions.append(signOffButton(caseId, ctx, info, when));
    li.append(actions);
  }
}

/**
 * The note's sign-offs, each verified (verifySignOff) against the latest revision; one of an
 * earlier revision shows that the note was edited after it. Returns whether this member has
 * signed off the latest revision.
 */
async function signOffLines(li, caseId, c, ctx, latest, earlier) {
  const current = [];
  let stale = null;
  for (const s of await fetchSignOffs(caseId, ctx)) {
    try {
      current.push(c.verifySignOff(s, latest.bytes));
      continue;
    } catch (e) {
      if (!(isConfideError(e) && e.code === "signoff_mismatch")) continue; // not a genuine sign-off: shown as none
    }
    for (const r of earlier) {
      try {
        const info = c.verifySignOff(s, r);
        if (!stale || info.revisionNumber > stale.revisionNumber) stale = info;
        break;
      } catch {
        // a sign-off of another revision
      }
    }
  }
  for (const s of current) {
    const p = el("p", { testid: "case-note-signoff", className: "signoff" });
    p.append("Signed off by ", el("code", { className: "fingerprint", text: who(s.signer) }), ` on ${date(s.time)} (revision ${s.revisionNumber})`);
    li.append(p);
  }
  if (current.length === 0 && stale) {
    const p = el("p", { testid: "case-note-signoff-stale", className: "signoff stale" });
    p.append(
      `Edited after sign-off: revision ${latest.number} is not signed off (revision ${stale.revisionNumber} was, by `,
      el("code", { className: "fingerprint", text: who(stale.signer) }),
      ` on ${date(stale.time)}).`,
    );
    li.append(p);
  }
  return current.some((s) => s.signer === state.member.id);
}

/** The alert under a note for its actions' failures. */
function noteError(li) {
  let err = li.querySelector('[data-testid="case-note-action-error"]');
  if (!err) {
    err = el("p", { testid: "case-note-action-error", className: "error" });
    err.setAttribute("role", "alert");
    err.hidden = true;
    li.append(err);
  }
  return err;
}

/** After a change to a note, the page shows the case again and focus goes back to that note. */
async function afterNoteChange(recordId, message) {
  await showCase();
  notice(ui.caseNotice, message);
  const li = [...ui.caseNotes.children].find((x) => x.dataset.recordId === recordId);
  focusOn(li?.querySelector("button") ?? ui.caseTitle);
}

function editButton(li, caseId, ctx, latest, text, when) {
  const edit = button("case-note-edit", "Edit");
  edit.setAttribute("aria-label", `Edit the note of ${when}`);
  edit.addEventListener("click", () => {
    if (li.querySelector("form")) return;
    const form = el("form", { testid: "case-note-editor", className: "note-editor" });
    const id = `edit-${ctx.recordId}`;
    const label = el("label", { text: "Edit the clinical note" });
    label.htmlFor = id;
    const area = el("textarea", { testid: "case-note-edit-input" });
    area.id = id;
    area.rows = 5;
    area.value = text;
    const save = el("button", { testid: "case-note-edit-save", text: `Save as revision ${latest.number + 1}` });
    save.type = "submit";
    const cancel = button("case-note-edit-cancel", "Cancel");
    const err = el("p", { testid: "case-note-edit-error", className: "error" });
    err.setAttribute("role", "alert");
    err.hidden = true;
    const actions = el("div", { className: "actions" });
    actions.append(save, cancel);
    form.append(label, area, actions, err);
    form.noValidate = true;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      action(save, err, "Not saved", () => serially(async () => {
        if (area.value.trim() === "") throw new PageError("note_empty");
        try {
          await reviseNote(caseId, ctx.recordId, latest.bytes, area.value);
        } catch (e) {
          if (e instanceof ApiError && e.code === "head_moved") throw new PageError("note_moved");
          throw e;
        }
        await afterNoteChange(ctx.recordId, `Saved as revision ${latest.number + 1}, signed by you.`);
      }), CASE);
    });
    cancel.addEventListener("click", () => {
      form.remove();
      focusOn(edit);
    });
    edit.closest(".actions").after(form);
    focusOn(area);
  });
  return edit;
}

function historyButton(caseId, c, ctx, revisions, box, when) {
  const b = button("case-note-history-toggle", "History");
  b.setAttribute("aria-label", `History of the note of ${when}`);
  b.setAttribute("aria-expanded", "false");
  b.setAttribute("aria-controls", box.id);
  b.addEventListener("click", () =>
    action(b, noteError(box.closest("li")), "The history does not open", () => serially(async () => {
      if (!box.hidden) {
        box.hidden = true;
        b.setAttribute("aria-expanded", "false");
        return;
      }
      const list = el("ol", { className: "revisions" });
      for (const [i, r] of revisions.entries()) {
        const item = el("li", { testid: "case-note-history-item" });
        item.dataset.revision = String(r.number);
        if (r.kind === "delete") {
          item.append(`Revision ${r.number}: deleted by `, el("code", { className: "fingerprint", text: who(r.author) }), ` on ${date(r.time)}`);
        } else {
          item.append(`Revision ${r.number} by `, el("code", { className: "fingerprint", text: who(r.author) }), `, ${new Date(r.time * 1000).toLocaleString("en-GB")}`);
          item.append(el("p", { testid: "case-note-history-text", className: "note-body", text: await openEarlier(caseId, c, ctx, revisions, i) }));
        }
        list.append(item);
      }
      const heading = el("h4", { text: "History, oldest first" });
      heading.tabIndex = -1;
      box.replaceChildren(heading, list);
      box.hidden = false;
      b.setAttribute("aria-expanded", "true");
      focusOn(heading);
    }), CASE),
  );
  return b;
}

function signOffButton(caseId, ctx, latest, when) {
  const b = button("case-note-signoff-button", "Sign off");
  b.setAttribute("aria-label", `Sign off revision ${latest.number} of the note of ${when}`);
  b.addEventListener("click", () =>
    action(b, noteError(b.closest("li")), "Not signed off", () => serially(async () => {
      await signOffRevision(caseId, ctx, latest.bytes);
      await afterNoteChange(ctx.recordId, `Signed off revision ${latest.number}.`);
    }), CASE),
  );
  return b;
}

function deleteButton(caseId, ctx, latest, when) {
  const b = button("case-note-delete", "Delete", "secondary danger");
  b.setAttribute("aria-label", `Delete the note of ${when}`);
  b.addEventListener("click", () =>
    action(b, noteError(b.closest("li")), "Not deleted", () => serially(async () => {
      const sure = await confirmStep({
        title: "Delete this note?",
        text: "Its text no longer shows as current. Its history keeps every revision, and the note shows who deleted it and when.",
        ok: "Delete the note",
        danger: true,
      });
      if (!sure) return;
      try {
        await reviseNote(caseId, ctx.recordId, latest.bytes, null);
      } catch (e) {
        if (e instanceof ApiError && e.code === "head_moved") throw new PageError("note_moved");
        throw e;
      }
      await afterNoteChange(ctx.recordId, "The note is deleted; its history stays.");
    }), CASE),
  );
  return b;
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

// ---------- the audit report ---------------------------------------------------------

/** Member id → the name the page shows them by (their fingerprint), for the audit report. */
function memberNames() {
  const names = {};
  for (const m of state.ws.members) names[m.id] = m.fingerprint;
  return names;
}

/** The client's initials (every member of the case reads them), for the report's title. */
async function clientInitials(caseId, c) {
  try {
    return await readField(caseId, c, PROFILE, CF.initials);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return "";
    throw e;
  }
}

const isoDay = () => new Date().toISOString().slice(0, 10);

/**
 * Verifies the open client's audit trail (against its pin) and offers it as CSV and as a
 * printable page. Making the report is itself recorded: an "export" entry first.
 */
async function auditReport() {
  const caseId = state.caseId;
  const c = await currentCase(caseId);
  await appendAudit(caseId, c, { action: "export", note: "audit report" });
  const initials = await clientInitials(caseId, c);
  const names = memberNames();
  const { trail, count } = await loadAudit(caseId, c);
  const csv = trail.toCsv(names);
  const html = trail.toHtml(`Audit trail of ${initials || "a client"}, ${isoDay()}`, names);
  report = { csv, html, file: `audit-${initials.replace(/[^\p{L}\p{N}]/gu, "") || "client"}-${isoDay()}.csv` };
  ui.caseAuditSummary.textContent = `${count} ${count === 1 ? "entry" : "entries"}, each signed by the colleague who made it and chained to the one before: verified in this browser.`;
  ui.caseAuditView.hidden = true;
  ui.caseAudit.hidden = false;
  focusOn(ui.caseAuditCsv);
}

/** The last report made, for its two buttons. */
let report = null;

function downloadCsv() {
  if (!report) return;
  const url = URL.createObjectURL(new Blob([report.csv], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = report.file;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * The report as a printable view in the page. toHtml's page is parsed inert (DOMParser runs
 * nothing) and only its text is copied into the page's own elements, so nothing in it is
 * ever inserted as HTML. Its inline stylesheet (a fixed string, no "<" in it) is dropped
 * first: the page's CSP refuses inline styles, even in a parsed document; style.css styles
 * the table instead.
 */
function showPrintable() {
  if (!report) return;
  const doc = new DOMParser().parseFromString(report.html.replace(/<style>[^<]*<\/style>/, ""), "text/html");
  ui.caseAuditTitle.textContent = doc.querySelector("h1")?.textContent ?? "Audit trail";
  ui.caseAuditIntro.textContent = doc.querySelector("body > p")?.textContent ?? "";
  const head = document.createElement("tr");
  for (const th of doc.querySelectorAll("thead th")) head.append(el("th", { text: th.textContent }));
  ui.caseAuditHead.replaceChildren(head);
  const rows = [...doc.querySelectorAll("tbody tr")].map((tr) => {
    const row = el("tr", { testid: "case-audit-row" });
    for (const td of tr.querySelectorAll("td")) row.append(el("td", { text: td.textContent }));
    return row;
  });
  ui.caseAuditRows.replaceChildren(...rows);
  ui.caseAuditView.hidden = false;
  focusOn(ui.caseAuditTitle);
}

export function wireClients() {
  ui.caseAuditOpen.addEventListener("click", () =>
    action(ui.caseAuditOpen, ui.caseAuditError, "No audit report", () => serially(auditReport), CASE),
  );
  ui.caseAuditCsv.addEventListener("click", downloadCsv);
  ui.caseAuditPrintable.addEventListener("click", showPrintable);
  ui.caseAuditPrint.addEventListener("click", () => {
    document.body.classList.add("printing-audit");
    window.print();
  });
  window.addEventListener("afterprint", () => document.body.classList.remove("printing-audit"));
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
