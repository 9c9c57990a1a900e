// The README's quickstart as a consumer app runs it, in the browser: init, members, a
// workspace, encrypt and decrypt, a grant, a stream, the confide/worker entry, a batch open
// and a passphrase backup (which starts the Argon2 worker). Copied into each app by
// tests/bundlers/run.mjs; the app passes its init options (the README's snippet, if any).
import { init, Member, Workspace, ConfideError } from "confide";
import { ConfideWorker } from "confide/worker";

const collect = async (readable) => {
  const parts = [];
  for (const reader = readable.getReader(); ;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return out;
};
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const bytes = (n) => new Uint8Array(n).map((_, i) => (i * 7 + 3) & 0xff);
const streamOf = (data) => new Blob([data]).stream();

/** Resolves to { ok, steps: [name...], error? }; never rejects. */
export async function quickstart(initOptions) {
  const steps = [];
  const step = (name, cond) => {
    if (!cond) throw new Error(`step failed: ${name}`);
    steps.push(name);
  };
  try {
    await init(initOptions);
    step("init", true);
    const alice = Member.generate();
    const bob = Member.generate();
    step("member", /^(\d{5} ){11}\d{5}$/.test(alice.fingerprint) && alice.publicBundle.length === 1316);
    const ws = Workspace.create(alice);
    const ctx = { recordId: "n-42", field: "body" };
    const ct = ws.encrypt("Client reported better sleep.", ctx);
    step("encrypt and decrypt", ws.decryptText(ct, ctx) === "Client reported better sleep.");
    const wsBob = Workspace.openGrant(bob, ws.grant(bob.publicBundle), alice.publicBundle);
    step("grant", wsBob.decryptText(ct, ctx) === "Client reported better sleep.");
    try {
      ws.decrypt(ct, { recordId: "n-43", field: "body" });
      step("context binding", false);
    } catch (e) {
      step("context binding", e instanceof ConfideError && e.code === "decryption_failed");
    }
    const audio = { recordId: "rec-7", field: "audio" };
    const data = bytes(100_000);
    const record = await collect(streamOf(data).pipeThrough(ws.encryptStream(audio)));
    step("stream", same(await collect(streamOf(record).pipeThrough(ws.decryptStream(audio))), data));
    const worker = new ConfideWorker();
    const fromWorker = await collect(streamOf(data).pipeThrough(worker.encryptStream(ws, audio)));
    step("confide/worker encrypt", same(ws.decrypt(fromWorker, audio), data));
    step("confide/worker decrypt", same(await collect(streamOf(record).pipeThrough(worker.decryptStream(ws, audio))), data));
    worker.terminate();
    const notes = await ws.decryptTextMany([{ record: ct, context: ctx }, { record: ct, context: audio }]);
    step("decryptTextMany", notes[0].ok && notes[0].value === "Client reported better sleep." && !notes[1].ok && notes[1].error.code === "decryption_failed");
    const backup = await alice.exportWithPassphrase("a long passphrase of your own");
    const again = await Member.importWithPassphrase(backup, "a long passphrase of your own");
    step("passphrase backup", again.fingerprint === alice.fingerprint);
    for (const x of [alice, bob, again, ws, wsBob]) x.free();
    return { ok: true, steps };
  } catch (e) {
    return { ok: false, steps, error: `${e?.name}: ${e?.code ?? ""} ${e?.message ?? e}` };
  }
}

/** What every browser app does with the outcome: show it for the test to read. */
export function show(result) {
  const out = document.getElementById("result") ?? document.body.appendChild(document.createElement("pre"));
  out.id = "result";
  out.textContent = JSON.stringify(result);
}
