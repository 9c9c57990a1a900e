// A TypeScript --strict consumer: type-checked against the packed package's .d.ts with
// moduleResolution "bundler" and "node16" (tsconfig.*.json). Never run.
import { init, Member, Workspace, ConfideError, isConfideError, type ConfideErrorCode, type DecryptManyResult, type RecordContext } from "confide";
import { ConfideWorker, type WorkerStreamOptions } from "confide/worker";

export async function quickstart(file: Blob, url: string): Promise<string> {
  await init();
  await init({ wasm: new URL("/confide_wasm_bg.wasm", "https://example.invalid"), base: "/confide/" });
  using alice = Member.generate();
  const bob: Member = Member.generate();
  const fingerprint: string = alice.fingerprint;
  const ws = Workspace.create(alice);
  const ctx: RecordContext = { recordId: "n-42", field: "body" };
  const ct: Uint8Array = ws.encrypt("Client reported better sleep.", ctx);
  const text: string = ws.decryptText(ct, ctx);
  const wsBob = Workspace.openGrant(bob, ws.grant(bob.publicBundle), alice.publicBundle);
  const upload: ReadableStream<Uint8Array> = file.stream().pipeThrough(ws.encryptStream({ recordId: "rec-7", field: "audio" }));
  const plain = (await fetch(url)).body?.pipeThrough(ws.decryptStream(ctx, { signal: AbortSignal.timeout(1000) }));
  const worker = new ConfideWorker();
  const options: WorkerStreamOptions = { onProgress: (n: number) => void n };
  const viaWorker: ReadableStream<Uint8Array> = upload.pipeThrough(worker.encryptStream(ws, ctx, options));
  worker.terminate();
  const many: DecryptManyResult<string>[] = await wsBob.decryptTextMany([{ record: ct, context: ctx }]);
  const first = many[0];
  const opened: string = first === undefined ? "" : first.ok ? first.value : first.error.code;
  const backup: Uint8Array = await alice.exportWithPassphrase("a long passphrase of your own", { strength: "interactive" });
  try {
    ws.decrypt(ct, { recordId: "n-43", field: "body" });
  } catch (e) {
    const code: ConfideErrorCode | undefined = isConfideError(e) ? e.code : undefined;
    if (e instanceof ConfideError && code === "decryption_failed") return "moved or altered";
  }
  ws.free();
  return [fingerprint, text, opened, String(backup.length), String(plain !== undefined), String(viaWorker.locked)].join();
}
