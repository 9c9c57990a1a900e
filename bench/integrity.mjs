// Record integrity (issue 13's figures), shared by Node and Chromium (bench/page.html):
// 1. a 1 KiB note written as a signed revision and opened through its verified history,
//    against the same note as an unsigned case record (encrypt + decrypt), in interleaved rounds;
// 2. verifying the history of a record with 1,000 revisions;
// 3. verifying an audit trail of 100,000 entries (the cap, FORMAT.md#verifying-an-audit-trail);
// 4. a kept trail extended by the 20 entries after it (extendAudit), as the demo keeps one.
// The fixtures (revisions and entries) are written untimed in the same runtime.
import { init, Case, Member, Workspace } from "../js/dist/index.js";
import { measureSync, now } from "./measure.mjs";

function check(cond, what) {
  if (!cond) throw new Error(`benchmark self-check failed: ${what}`);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Times `fn` `samples` times after one untimed run; returns the median in ms. */
function timeMedian(fn, samples) {
  fn();
  const ms = [];
  for (let i = 0; i < samples; i++) {
    const t0 = now();
    fn();
    ms.push(now() - t0);
  }
  return median(ms);
}

export async function runIntegrity({ ms = 800, rounds = 5, warmupMs = 300, revisions = 1000, auditEntries = 100_000, extendBy = 20, samples = 3, log = () => {} } = {}) {
  await init();
  const cleo = Member.generate();
  const ws = Workspace.create(cleo);
  const { case: c } = Case.create(ws);
  const note = globalThis.crypto.getRandomValues(new Uint8Array(1024));
  const ctx = { recordId: "n-1", field: "body" };

  // 1. Signed versus unsigned, per 1 KiB note.
  const unsigned = () => {
    const r = c.encrypt(note, ctx);
    return c.decrypt(r, ctx);
  };
  const signed = () => {
    const w = c.write(note, ctx);
    return c.openRecord({ revisions: [w.revision], record: w.record }, ctx).value;
  };
  const same = (a) => a.length === note.length && a.every((b, i) => b === note[i]);
  check(same(unsigned()) && same(signed()), "both paths open the note");
  measureSync(unsigned, warmupMs);
  measureSync(signed, warmupMs);
  const perRound = [];
  for (let i = 0; i < rounds; i++) {
    const u = measureSync(unsigned, ms);
    const s = measureSync(signed, ms);
    perRound.push({ unsignedOps: u, signedOps: s, ratio: u / s });
    log(`integrity round ${i + 1}/${rounds}: unsigned ${u.toFixed(0)} ops/s, signed ${s.toFixed(0)} ops/s`);
  }
  const note1k = {
    unsignedOps: median(perRound.map((r) => r.unsignedOps)),
    signedOps: median(perRound.map((r) => r.signedOps)),
    ratio: median(perRound.map((r) => r.ratio)),
    rounds: perRound,
  };

  // 2. A record with 1,000 revisions, its whole history verified and the latest opened.
  log(`integrity: writing ${revisions} revisions`);
  const history = [];
  let last;
  for (let i = 0; i < revisions; i++) {
    last = c.write(`Revision ${i + 1} of the note.`, ctx, { previous: history.at(-1) });
    history.push(last.revision);
  }
  const openHistory = () => c.openRecordText({ revisions: history, record: last.record }, ctx);
  check(openHistory().revision.number === revisions, "the history opens at its last revision");
  const historyMs = timeMedian(openHistory, samples);
  log(`integrity: ${revisions}-revision history verified in ${historyMs.toFixed(1)} ms`);

  // 3. An audit trail of 100,000 entries, verified (and every body opened) from scratch.
  log(`integrity: writing ${auditEntries} audit entries`);
  const t0 = now();
  const trail = c.verifyAudit([]);
  const entries = [];
  const event = { action: "edit", recordId: "n-1", field: "body", revision: history[0] };
  for (let i = 0; i < auditEntries; i++) entries.push(c.appendAudit(trail, event));
  trail.free();
  const writeMs = now() - t0;
  const verify = () => {
    const t = c.verifyAudit(entries);
    const head = t.head;
    t.free();
    return head;
  };
  const fullHead = verify();
  check(typeof fullHead === "string", "the trail verifies");
  const auditMs = timeMedian(verify, samples);
  const auditBytes = entries.reduce((n, e) => n + e.length, 0);
  log(`integrity: ${auditEntries}-entry audit trail verified in ${auditMs.toFixed(1)} ms`);
  // 4. A kept trail, within the cap, extended by successive batches of the entries after it.
  // Calls: one checked here, one untimed and `samples` timed in timeMedian.
  const calls = samples + 2;
  const batches = [];
  for (let i = calls; i > 0; i--) batches.push(entries.slice(auditEntries - i * extendBy, auditEntries - (i - 1) * extendBy));
  const kept = c.verifyAudit(entries.slice(0, auditEntries - calls * extendBy));
  const extend = () => {
    c.extendAudit(kept, batches.shift());
    return kept.length;
  };
  check(extend() === auditEntries - (calls - 1) * extendBy, "the kept trail extends");
  const extendMs = timeMedian(extend, samples);
  check(kept.head === fullHead, "the extended trail is the whole trail");
  kept.free();
  log(`integrity: a kept trail extended by ${extendBy} entries in ${extendMs.toFixed(2)} ms`);

  c.free();
  ws.free();
  cleo.free();
  return { note1k, revisions, historyMs, auditEntries, auditMs, auditBytes, auditWriteMs: writeMs, extendBy, extendMs };
}
