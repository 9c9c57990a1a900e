// Cases (FORMAT.md#cases) in a practice of 50 members and 1,000 cases, written once per run by
// examples/bench-practice.rs (practice.json names each log entry and grant as [offset, length]
// in practice.bin). Shared by Node and Chromium (bench/page.html); in Node it also runs alone:
//   node bench/practice.mjs build/bench-practice '{"ms":800,"rounds":5,"warmupMs":300}'
// and prints one JSON line. Three figures, each against a peer measured in the same run:
// 1. a member's view (its workspace and every case it is on) loaded, on 40 and on 1,000 cases;
// 2. a clinician on 200 cases removed from the workspace, and those cases rotated;
// 3. a note opened in a case, loaded or not, against a note opened in the workspace.
import { Case, init, Member, Workspace } from "../js/dist/index.js";
import { measureSync, now } from "./measure.mjs";

const T = 1_790_001_000; // after every entry of the practice (T0 + 1000)
const NOTE_CONTEXT = { recordId: "n-42", field: "body" };

function check(cond, what) {
  if (!cond) throw new Error(`benchmark self-check failed: ${what}`);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The practice, with each named blob as a Uint8Array (what a client would have fetched). */
function openPractice(index, bin) {
  const blob = ([at, length]) => bin.subarray(at, at + length);
  const blobs = (list) => list.map(blob);
  const bytes = (list) => list.reduce((n, [, length]) => n + length, 0);
  const workspace = { log: blobs(index.workspace.log), head: index.workspace.head, bytes: bytes(index.workspace.log) };
  const people = Object.fromEntries(
    Object.entries(index.people).map(([role, p]) => [role, { id: p.id, kit: p.kit, grant: blob(p.grant), grantBytes: p.grant[1] }]),
  );
  const cases = index.caseList.map((c) => ({
    senior: c.senior,
    log: blobs(c.log),
    logBytes: bytes(c.log),
    grants: Object.fromEntries(Object.entries(c.grants).map(([role, list]) => [role, { list: blobs(list), bytes: bytes(list) }])),
  }));
  return { members: index.members, caseCount: index.cases, workspace, people, cases };
}

function loadWorkspace(p, role, member) {
  return Workspace.load(member, { log: p.workspace.log, grants: [p.people[role].grant], pinnedHead: p.workspace.head });
}

/**
 * Figure 1: `role`'s view from nothing: `Workspace.load`, then `Case.load` of every case it
 * holds grants of, with the grants addressed to it. The inputs are sliced before the clock.
 */
function loadView(p, role) {
  const member = Member.fromRecoveryKit(p.people[role].kit);
  const mine = p.cases.filter((c) => c.grants[role].list.length > 0);
  const inputs = mine.map((c) => ({ log: c.log, grants: c.grants[role].list }));
  const t0 = now();
  const ws = loadWorkspace(p, role, member);
  const t1 = now();
  const loaded = inputs.map((input) => Case.load(ws, input));
  const t2 = now();
  check(loaded.length === mine.length && loaded.every((c) => c.heldEpochs.length > 0), `${role}'s cases load`);
  for (const c of loaded) c.free();
  ws.free();
  member.free();
  return {
    cases: mine.length,
    entries: mine.reduce((n, c) => n + c.log.length, 0),
    grants: mine.reduce((n, c) => n + c.grants[role].list.length, 0),
    caseBytes: mine.reduce((n, c) => n + c.logBytes + c.grants[role].bytes, 0),
    workspaceBytes: p.workspace.bytes + p.people[role].grantBytes,
    workspaceMs: t1 - t0,
    casesMs: t2 - t1,
    totalMs: t2 - t0,
  };
}

/**
 * Figure 2: the director, with its workspace and the senior clinician's 200 cases loaded
 * (untimed), removes the senior clinician from the workspace, then runs `removeDeparted` on
 * each of those cases (a remove entry and a new epoch granted to the members who remain).
 */
function removeClinician(p) {
  const director = Member.fromRecoveryKit(p.people.director.kit);
  const seniorId = p.people.senior.id;
  const t0 = now();
  const ws = loadWorkspace(p, "director", director);
  const cases = p.cases.filter((c) => c.senior).map((c) => Case.load(ws, { log: c.log, grants: c.grants.director.list }));
  const loadMs = now() - t0;
  const t1 = now();
  const removal = ws.remove(seniorId, { now: T });
  const t2 = now();
  let changes = 0;
  let caseGrants = 0;
  let entryBytes = 0;
  for (const c of cases) {
    for (const change of c.removeDeparted({ now: T })) {
      changes++;
      caseGrants += change.grants.length;
      entryBytes += change.logEntry.length;
      check(!change.grants.some((g) => g.memberId === seniorId), "no grant to the removed clinician");
    }
  }
  const t3 = now();
  check(changes === cases.length && cases.every((c) => !c.needsRotation), "every case moved to a new epoch");
  check(!ws.members.some((m) => m.id === seniorId), "the clinician is off the workspace");
  for (const c of cases) c.free();
  ws.free();
  director.free();
  return {
    cases: cases.length,
    loadMs,
    removeMs: t2 - t1,
    workspaceGrants: removal.grants.length,
    rotateMs: t3 - t2,
    changes,
    caseGrants,
    entryBytes,
    totalMs: t3 - t1,
  };
}

/**
 * Figure 3: a 1 KiB note opened (a) in the workspace, (b) in a case already loaded, (c) in a
 * case loaded for it: a case the director made and added the clinician to (2 entries, 1
 * grant), `Case.load` then `decrypt`. Peer for the one grant: `Workspace.openGrant` (verify the
 * granter's signature, X-Wing open), the figure "Open grant" of the throughput table. Also
 * `ws.grant`, the peer of the grants a removal seals (figure 2).
 */
function noteOpenCases(p) {
  const clinician = Member.fromRecoveryKit(p.people.clinician.kit);
  const director = Member.fromRecoveryKit(p.people.director.kit);
  const ws = loadWorkspace(p, "clinician", clinician);
  const directorWs = loadWorkspace(p, "director", director);
  const own = p.cases.find((c) => c.grants.clinician.list.length > 0);
  const loadedCase = Case.load(ws, { log: own.log, grants: own.grants.clinician.list });
  check(loadedCase.level === "full", "the clinician is full on its case");
  const { case: small, change: created } = Case.create(directorWs, { now: T });
  const added = small.add(clinician.id, "full", { now: T });
  const smallInput = { log: [created.logEntry, added.logEntry], grants: added.grants.filter((g) => g.memberId === clinician.id).map((g) => g.grant) };
  check(smallInput.grants.length === 1, "one grant to open");

  const note = globalThis.crypto.getRandomValues(new Uint8Array(1024));
  const wsNote = ws.encrypt(note, NOTE_CONTEXT);
  const caseNote = loadedCase.encrypt(note, NOTE_CONTEXT);
  const smallNote = small.encrypt(note, NOTE_CONTEXT);
  const same = (a) => a.length === note.length && a.every((x, i) => x === note[i]);
  const directorBundle = director.publicBundle;
  const wsGrant = p.people.clinician.grant;
  const fns = {
    "workspace.decrypt": () => ws.decrypt(wsNote, NOTE_CONTEXT),
    "case.decrypt": () => loadedCase.decrypt(caseNote, NOTE_CONTEXT),
    "case.loadDecrypt": () => {
      const c = Case.load(ws, smallInput);
      try {
        return c.decrypt(smallNote, NOTE_CONTEXT);
      } finally {
        c.free();
      }
    },
    "workspace.openGrant": () => Workspace.openGrant(clinician, wsGrant, directorBundle).free(),
    // The peer of figure 2's case grants: the bundle checked, an X-Wing seal, an Ed25519 signature.
    "workspace.grant": () => ws.grant(directorBundle),
  };
  check(same(fns["workspace.decrypt"]()) && same(fns["case.decrypt"]()) && same(fns["case.loadDecrypt"]()), "each path opens the note");
  const free = () => {
    for (const x of [loadedCase, small, ws, directorWs, clinician, director]) x.free();
  };
  return { fns, free, smallEntries: smallInput.log.length };
}

/**
 * Runs the three figures on the practice `index` (practice.json, parsed) and `bin`
 * (practice.bin). Loads and removals: `samples` each, interleaved; note opens: `rounds` of
 * `ms` each per path, interleaved, after a `warmupMs` warm-up each.
 */
export async function runPractice({ index, bin, ms = 800, rounds = 5, warmupMs = 300, samples = 3, log = () => {} }) {
  await init();
  const p = openPractice(index, bin);
  const views = { clinician: [], director: [] };
  const removals = [];
  loadView(p, "clinician"); // warm-up: the first load also pays for compiling the hot paths
  for (let s = 0; s < samples; s++) {
    for (const role of s % 2 === 0 ? ["clinician", "director"] : ["director", "clinician"]) {
      views[role].push(loadView(p, role));
    }
    removals.push(removeClinician(p));
    const v = (r) => views[r][s];
    const rm = removals[s];
    log(
      `cases ${s + 1}/${samples}: view on ${v("clinician").cases} cases ${v("clinician").totalMs.toFixed(0)} ms, ` +
        `on ${v("director").cases} ${v("director").totalMs.toFixed(0)} ms; removal ${rm.totalMs.toFixed(0)} ms ` +
        `(ws.remove ${rm.removeMs.toFixed(0)}, ${rm.changes} removeDeparted ${rm.rotateMs.toFixed(0)}, after loading them in ${rm.loadMs.toFixed(0)})`,
    );
  }

  const open = noteOpenCases(p);
  try {
    const ids = Object.keys(open.fns);
    for (const id of ids) measureSync(open.fns[id], warmupMs);
    const out = Object.fromEntries(ids.map((id) => [id, []]));
    for (let r = 0; r < rounds; r++) {
      for (const id of r % 2 === 0 ? ids : [...ids].reverse()) out[id].push(measureSync(open.fns[id], ms));
      log(`note open ${r + 1}/${rounds}: ` + ids.map((id) => `${id}=${out[id][r].toFixed(0)}`).join(" "));
    }
    return {
      members: p.members,
      caseCount: p.caseCount,
      views,
      removals,
      noteOpen: { rounds: out, smallEntries: open.smallEntries },
      summary: {
        clinicianMs: median(views.clinician.map((v) => v.totalMs)),
        directorMs: median(views.director.map((v) => v.totalMs)),
        removalMs: median(removals.map((r) => r.totalMs)),
      },
    };
  } finally {
    open.free();
  }
}

if (globalThis.process?.argv?.[1]?.endsWith("bench/practice.mjs")) {
  const { readFile } = await import("node:fs/promises");
  const [dir = "build/bench-practice", opts = "{}"] = process.argv.slice(2);
  const index = JSON.parse(await readFile(`${dir}/practice.json`, "utf8"));
  const bin = new Uint8Array(await readFile(`${dir}/practice.bin`));
  const r = await runPractice({ index, bin, ...JSON.parse(opts), log: (m) => process.stderr.write(`  [node] ${m}\n`) });
  process.stdout.write(JSON.stringify(r) + "\n");
}
