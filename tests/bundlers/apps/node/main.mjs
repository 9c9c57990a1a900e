// The README's quickstart in plain Node ESM, from a fresh project that ran the README's
// `npm install`: prints one JSON line.
import { init, Member, Workspace, ConfideError } from "confide";
import { ConfideWorker } from "confide/worker";

const steps = [];
const step = (name, cond) => {
  if (!cond) throw new Error(`step failed: ${name}`);
  steps.push(name);
};
try {
  await init();
  step("init", true);
  const alice = Member.generate();
  const bob = Member.generate();
  const ws = Workspace.create(alice);
  const ctx = { recordId: "n-42", field: "body" };
  const ct = ws.encrypt("Client reported better sleep.", ctx);
  step("encrypt and decrypt", ws.decryptText(ct, ctx) === "Client reported better sleep.");
  step("grant", Workspace.openGrant(bob, ws.grant(bob.publicBundle), alice.publicBundle).decryptText(ct, ctx) === "Client reported better sleep.");
  const data = new Uint8Array(100_000).map((_, i) => i & 0xff);
  const audio = { recordId: "rec-7", field: "audio" };
  const record = new Uint8Array(await new Response(new Blob([data]).stream().pipeThrough(ws.encryptStream(audio))).arrayBuffer());
  const back = new Uint8Array(await new Response(new Blob([record]).stream().pipeThrough(ws.decryptStream(audio))).arrayBuffer());
  step("stream", back.length === data.length && back.every((x, i) => x === data[i]));
  const [note] = await ws.decryptTextMany([{ record: ct, context: ctx }]);
  step("decryptTextMany", note.ok && note.value === "Client reported better sleep.");
  try {
    new ConfideWorker();
    step("confide/worker refuses without Web Workers", false);
  } catch (e) {
    step("confide/worker refuses without Web Workers", e instanceof ConfideError && e.code === "invalid_argument");
  }
  const backup = await alice.exportWithPassphrase("a long passphrase of your own");
  step("passphrase backup", (await Member.importWithPassphrase(backup, "a long passphrase of your own")).fingerprint === alice.fingerprint);
  console.log(JSON.stringify({ ok: true, steps }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, steps, error: `${e?.name}: ${e?.code ?? ""} ${e?.message ?? e}` }));
}
