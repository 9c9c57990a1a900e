/** The workspace as one member sees it: records, the membership log, invites, rotation. */

import { memberIdOf, WasmChunkReader, WasmMessageKeys, WasmWorkspace, WasmWorkspaceLoader } from "../wasm/confide_wasm.js";
import { base64url, bytesList, fromBase64url, nowOption, optionalString, roleArg } from "./args.js";
import type { DecryptManyItem, DecryptManyOptions, DecryptManyResult } from "./batch.js";
import { ConfideError } from "./errors.js";
import type { KeySource } from "./key-source.js";
import { Member } from "./member.js";
import {
  decryptRecord, decryptRecordRange, decryptRecords, decryptRecordStream, decryptTextRecords, encryptRecord,
  encryptRecordStream, textOf,
} from "./records.js";
import type {
  Admission, CreatedInvite, EncryptOptions, LoadOptions, LogTimeOptions, RangeSource, RecordContext, Role, Rotation,
  StreamOptions, WorkspaceMember,
} from "./types.js";
import {
  aliasDispose, bytesArg, call, callSecret, describe, MAX_LOG_BYTES, MAX_LOG_ENTRIES, property, yieldToEventLoop,
} from "./util.js";

const workspaceToken = Symbol.for("confide.internal");
/**
 * A workspace as one member sees it: its id, the content key of each epoch it holds,
 * and the member acting in it. Call `free()` (or use `using`) when done.
 */
export class Workspace {
  #inner: WasmWorkspace | undefined;
  #id: string;

  /** @internal Use {@link Workspace.create} or {@link Workspace.openGrant}. */
  constructor(token: symbol, inner: WasmWorkspace) {
    if (token !== workspaceToken || !(inner instanceof WasmWorkspace)) {
      throw new ConfideError("invalid_argument", "use Workspace.create()");
    }
    this.#inner = inner;
    this.#id = base64url(inner.idBytes());
  }

  /**
   * A new workspace at epoch 0 with a fresh random id and content key, acting as `member`,
   * with a membership log whose genesis entry makes `member` its first admin. Publish
   * {@link log} and a {@link grant} to yourself, and remember {@link head}.
   * @throws {ConfideError} `invalid_argument`, `freed`, `random_unavailable`.
   */
  static create(member: Member, options: LogTimeOptions = {}): Workspace {
    const m = Member.inner(member);
    const now = nowOption(options);
    return new Workspace(workspaceToken, callSecret(() => WasmWorkspace.create(m, now)));
  }

  /**
   * Loads a workspace from what the server returned, and verifies all of it: the whole
   * membership log from its genesis entry, against `pinnedHead` (rollback and forks) or the
   * `invite` link (the inviter's fingerprint); that `member` is a current member; that each
   * grant was signed by an admin of its epoch and carries the key the log records; and each
   * history link. A first load needs `invite`, later loads `pinnedHead`; a member who signed
   * a log entry is anchored by its own signature. The log's limits (100,000 entries, 32 MiB)
   * and its anchor are checked before any signature. It runs in one go: for a long log, use
   * {@link Workspace.loadAsync}, which keeps the page responsive.
   * @throws {ConfideError} `no_trust_anchor`, `rollback_detected`, `fork_detected`,
   *   `broken_chain`, `bad_signature`, `unknown_signer`, `not_authorized`, `invite_unknown`,
   *   `inviter_mismatch`, `not_a_member`, `missing_grant`, `key_mismatch`, `unknown_epoch`,
   *   `not_for_this_member`, `wrong_workspace`, `decryption_failed`, `malformed`,
   *   `unsupported_version`, `log_too_large`, `invalid_argument`, `freed`.
   */
  static load(member: Member, options: LoadOptions): Workspace {
    const m = Member.inner(member);
    const { log, grants, history, pinnedHead, invite } = loadArgs(options);
    return new Workspace(workspaceToken, callSecret(() => WasmWorkspace.load(m, log, grants, history, pinnedHead, invite)));
  }

  /**
   * {@link Workspace.load} in steps that give the page back between them, for a long log: the
   * cheap checks (limits, and the pinned head or invite link) run first, then the log is
   * verified a slice at a time (about 8 ms each), then the grants. The result and the errors
   * are those of `load`.
   * @param options.signal Aborting stops the load with `aborted`.
   * @param options.onProgress Called with the entries verified so far and their total.
   * @throws {ConfideError} as {@link Workspace.load}, and `aborted`.
   */
  static async loadAsync(
    member: Member,
    options: LoadOptions & { signal?: AbortSignal; onProgress?: (verified: number, total: number) => void },
  ): Promise<Workspace> {
    Member.inner(member);
    const { log, grants, history, pinnedHead, invite } = loadArgs(options);
    const signal = property(options, "signal", "signal");
    const onProgress = property(options, "onProgress", "onProgress");
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new ConfideError("invalid_argument", `"signal" expected AbortSignal, got ${describe(signal)}`);
    }
    if (onProgress !== undefined && typeof onProgress !== "function") {
      throw new ConfideError("invalid_argument", `"onProgress" expected function, got ${describe(onProgress)}`);
    }
    const aborted = () => new ConfideError("aborted", "the load was aborted");
    if (signal?.aborted) throw aborted();
    const loader = callSecret(() => new WasmWorkspaceLoader(Member.inner(member), log, pinnedHead, invite));
    try {
      for (;;) {
        const sliceEnd = Date.now() + 8;
        let done = false;
        while (!done && Date.now() < sliceEnd) done = call(() => loader.verify(1));
        const [verified, total] = loader.progress();
        (onProgress as ((verified: number, total: number) => void) | undefined)?.(verified ?? 0, total ?? 0);
        if (done) break;
        await yieldToEventLoop();
        if ((signal as AbortSignal | undefined)?.aborted) throw aborted();
      }
      return new Workspace(workspaceToken, callSecret(() => loader.finish(grants, history)));
    } finally {
      loader.free();
    }
  }

  /**
   * Opens a grant addressed to `member`. The grant must be signed by the holder of
   * `granterBundle`: compare that bundle's fingerprint with the granter in person first.
   * @throws {ConfideError} `not_for_this_member`, `bad_signature`, `decryption_failed`,
   *   `malformed`, `unsupported_version`, `invalid_argument`.
   */
  static openGrant(member: Member, grant: Uint8Array, granterBundle: Uint8Array): Workspace {
    const m = Member.inner(member);
    const g = bytesArg("grant", grant, 4096);
    const b = bytesArg("granterBundle", granterBundle, 4096);
    return new Workspace(workspaceToken, callSecret(() => WasmWorkspace.openGrant(m, g, b)));
  }

  /** The workspace's epoch keys, for the record operations (./records.ts). */
  readonly #keys: KeySource = {
    assertLive: () => void this.#ws(),
    encrypt: (bytes, isText, recordId, field, pad) => this.#ws().encrypt(bytes, isText, recordId, field, pad),
    decrypt: (record, recordId, field) => this.#ws().decrypt(record, recordId, field),
    encryptor: (recordId, field, pad) => this.#ws().encryptStream(false, recordId, field, pad),
    decryptorPush: (decryptor, piece) => decryptor.push(this.#ws(), piece),
    messageKeysForEncryption: (recordId, field) => WasmMessageKeys.forEncryption(this.#ws(), false, recordId, field),
    messageKeysForDecryption: (start, recordId, field) => WasmMessageKeys.forDecryption(this.#ws(), start, recordId, field),
    chunkReader: (start, recordId, field) => new WasmChunkReader(this.#ws(), start, recordId, field),
  };

  #ws(): WasmWorkspace {
    if (this.#inner === undefined) throw new ConfideError("freed", "this Workspace has been freed");
    return this.#inner;
  }

  /** The workspace id, base64url without padding (22 characters). */
  get id(): string {
    return this.#id;
  }

  /** The epoch new records are written in. */
  get epoch(): number {
    return call(() => this.#ws().epoch());
  }

  /**
   * Encrypts a note, transcript or file into one record bound to `context`.
   * Strings are encoded as UTF-8 and decrypt with {@link decryptText}.
   * @throws {ConfideError} `invalid_argument`, `freed`, `random_unavailable`.
   */
  encrypt(plaintext: string | Uint8Array, context: RecordContext, options: EncryptOptions = {}): Uint8Array {
    return encryptRecord(this.#keys, plaintext, context, options);
  }

  /**
   * Decrypts a record to bytes.
   * @throws {ConfideError} `decryption_failed` (wrong context or altered bytes),
   *   `wrong_workspace`, `unknown_epoch`, `malformed`, `unsupported_version`, `invalid_argument`.
   */
  decrypt(record: Uint8Array, context: RecordContext): Uint8Array {
    return decryptRecord(this.#keys, record, context);
  }

  /**
   * Decrypts a record to a string (UTF-8).
   * @throws {ConfideError} as {@link decrypt}, and `malformed` if the plaintext is not UTF-8.
   */
  decryptText(record: Uint8Array, context: RecordContext): string {
    return textOf(this.decrypt(record, context));
  }

  /**
   * Decrypts many records, e.g. the notes of a list view, without freezing the page: the work
   * is cut into slices of a few milliseconds, with a yield to the event loop between them. Each
   * item gets the checks of {@link decrypt} and its own result, in order: `{ ok: true, value }`
   * or `{ ok: false, error }` with the `ConfideError` that `decrypt` would throw for it.
   * @throws {ConfideError} (the promise rejects) `invalid_argument` for `items` or `options`,
   *   `aborted` (what was opened is zeroed), `freed`, `not_initialized`.
   */
  decryptMany(items: readonly DecryptManyItem[], options: DecryptManyOptions = {}): Promise<DecryptManyResult<Uint8Array>[]> {
    return decryptRecords(this.#keys, items, options);
  }

  /**
   * {@link decryptMany} to strings (UTF-8, as {@link decryptText}); each plaintext's bytes are
   * zeroed once decoded. A record that is not UTF-8 text gets `malformed`.
   * @throws {ConfideError} as {@link decryptMany}.
   */
  decryptTextMany(items: readonly DecryptManyItem[], options: DecryptManyOptions = {}): Promise<DecryptManyResult<string>[]> {
    return decryptTextRecords(this.#keys, items, options);
  }

  /**
   * Encrypts a byte stream into one record (FORMAT.md#streaming): the same bytes `encrypt`
   * gives for the whole input. Accepts chunks of any size; memory stays bounded.
   * ```ts
   * const upload = file.stream().pipeThrough(ws.encryptStream({ recordId: "rec-7", field: "audio" }));
   * ```
   * @throws {ConfideError} `invalid_argument`, `freed`; the stream errors with `aborted`,
   *   `invalid_argument` (a chunk that is not a Uint8Array) or `freed`.
   */
  encryptStream(context: RecordContext, options: StreamOptions = {}): TransformStream<Uint8Array, Uint8Array> {
    return encryptRecordStream(this.#keys, context, options);
  }

  /**
   * Decrypts a record stream. Each 16 KiB chunk is released only after it authenticates; a
   * stream that is cut, extended, reordered or spliced errors with `decryption_failed` at
   * the point of detection, at the latest when it ends. Treat output as final only when
   * the stream closes without error.
   * @throws {ConfideError} `invalid_argument`, `freed`; the stream errors with
   *   `decryption_failed`, `wrong_workspace`, `unknown_epoch`, `malformed`,
   *   `unsupported_version` or `aborted`.
   */
  decryptStream(context: RecordContext, options: StreamOptions = {}): TransformStream<Uint8Array, Uint8Array> {
    return decryptRecordStream(this.#keys, context, options);
  }

  /**
   * Decrypts plaintext bytes `[start, end)` of a record, like `Blob.slice`, fetching and
   * authenticating only the chunks that hold them (FORMAT.md#range-reads). Whenever the range
   * reaches the end of the record, the final chunk is authenticated too, so a truncated record
   * cannot pass for a short one. `end` defaults to the end of the record and is clamped to it.
   * @throws {ConfideError} `decryption_failed`, `wrong_workspace`, `unknown_epoch`, `malformed`,
   *   `unsupported_version`, `invalid_argument`, `freed`.
   */
  decryptRange(source: RangeSource, context: RecordContext, start: number, end?: number): Promise<Uint8Array> {
    return decryptRecordRange(this.#keys, source, context, start, end);
  }

  /**
   * A blind index of `text` (a client's name, say), for finding records without the server
   * learning the name (FORMAT.md#blind-index): the same text gives the same index within an
   * epoch. Store it beside the record; search with {@link blindIndexes}. The server learns
   * which records share a name, and anyone holding the workspace key can test a guessed name.
   * @throws {ConfideError} `invalid_argument` for an empty text or one past 1024 bytes, `freed`.
   */
  blindIndex(text: string): string {
    const t = blindText(text);
    const epoch = this.epoch;
    return base64url(callSecret(() => this.#ws().blindIndex(t, epoch)));
  }

  /** The blind indexes of `text` under every epoch this member holds, to search older records. */
  blindIndexes(text: string): string[] {
    const t = blindText(text);
    const epochs = Array.from(call(() => this.#ws().heldEpochs()));
    return epochs.map((e) => base64url(callSecret(() => this.#ws().blindIndex(t, e))));
  }

  /**
   * Seals this epoch's content key to the member with `recipientBundle`, signed by the
   * acting member. Give the grant to the server; only that member can open it.
   * @throws {ConfideError} `malformed`, `unsupported_version`, `invalid_argument`, `freed`.
   */
  grant(recipientBundle: Uint8Array): Uint8Array {
    const b = bytesArg("recipientBundle", recipientBundle, 4096);
    return callSecret(() => this.#ws().grant(b));
  }

  /**
   * The membership log's head (base64url). Store it on the device after every load and
   * change, and pass it back as `pinnedHead`: that is how rollback and forks are detected.
   * @throws {ConfideError} `no_membership_log` for a workspace opened from a bare grant.
   */
  get head(): string {
    const head = call(() => this.#ws().head());
    if (head === undefined) throw new ConfideError("no_membership_log", "this workspace has no membership log");
    return head;
  }

  /** Every verified log entry, genesis first: what the server should hold. */
  get log(): Uint8Array[] {
    return call(() => this.#ws().logEntries()) as Uint8Array[];
  }

  /** The current members, in order of admission, from the verified log. */
  get members(): WorkspaceMember[] {
    const raw = call(() => this.#ws().members()) as { id: Uint8Array; fingerprint: string; role: Role; publicBundle: Uint8Array }[];
    return raw.map((m) => ({ id: base64url(m.id), fingerprint: m.fingerprint, role: m.role, publicBundle: m.publicBundle }));
  }

  /**
   * Creates a single-use invite (admins only), open for `expiresInSeconds` (default 7 days,
   * at most 90). Publish `invite`; hand `link` to the invitee out of band.
   * @throws {ConfideError} `not_authorized`, `invalid_argument`, `no_membership_log`, `freed`.
   */
  createInvite(options: { role?: Role; expiresInSeconds?: number } & LogTimeOptions = {}): CreatedInvite {
    if (typeof options !== "object" || options === null) {
      throw new ConfideError("invalid_argument", `"options" expected { role?, expiresInSeconds? }, got ${describe(options)}`);
    }
    const role = roleArg(property(options, "role", "role") ?? "member");
    const expires = property(options, "expiresInSeconds", "expiresInSeconds") ?? 7 * 86400;
    if (typeof expires !== "number" || !Number.isSafeInteger(expires)) {
      throw new ConfideError("invalid_argument", `"expiresInSeconds" expected an integer, got ${describe(expires)}`);
    }
    const now = nowOption(options);
    const r = callSecret(() => this.#ws().createInvite(role, now, expires)) as { link: string; logEntry: Uint8Array; inviteId: Uint8Array };
    return { link: r.link, invite: r.logEntry, inviteId: base64url(r.inviteId) };
  }

  /**
   * Admits the invitee behind `acceptance` (from {@link Invite.accept}, via the server):
   * verifies it is bound to an unused, unexpired invite this member made, appends the admit
   * entry and grants the current epoch key. Compare the new member's fingerprint with them.
   * @throws {ConfideError} `bad_acceptance`, `invite_unknown`, `invite_used`, `invite_expired`,
   *   `already_member`, `not_authorized`, `wrong_workspace`, `bad_signature`, `malformed`.
   */
  admit(acceptance: Uint8Array, options: LogTimeOptions = {}): Admission {
    const a = bytesArg("acceptance", acceptance, 4096);
    const now = nowOption(options);
    const r = callSecret(() => this.#ws().admit(a, now)) as { logEntry: Uint8Array; memberId: Uint8Array; grant: Uint8Array };
    return { logEntry: r.logEntry, memberId: base64url(r.memberId), grant: r.grant };
  }

  /**
   * Removes a member (by id, fingerprint or public bundle) and starts a new epoch: a fresh
   * key granted to the remaining members only, and a history link so they keep reading
   * earlier records. New records use the new key. An admin cannot remove itself: the
   * leaver would sign the grants of the epoch meant to shut it out. Leaving is a request that
   * another admin carries out.
   * @throws {ConfideError} `cannot_remove_self`, `not_a_member`, `last_admin`, `not_authorized`,
   *   `no_membership_log`.
   */
  remove(member: string | Uint8Array, options: LogTimeOptions = {}): Rotation {
    const id = this.#memberId(member);
    const now = nowOption(options);
    return rotation(callSecret(() => this.#ws().remove(id, now)));
  }

  /**
   * Starts a new epoch without removing anyone, e.g. after a member reports a lost device.
   * @throws {ConfideError} `not_authorized`, `no_membership_log`, `random_unavailable`.
   */
  rotate(options: LogTimeOptions = {}): Rotation {
    const now = nowOption(options);
    return rotation(callSecret(() => this.#ws().rotate(now)));
  }

  /**
   * Changes a member's role; returns the log entry to publish.
   * @throws {ConfideError} `not_a_member`, `last_admin`, `not_authorized`, `invalid_argument`.
   */
  setRole(member: string | Uint8Array, role: Role, options: LogTimeOptions = {}): Uint8Array {
    const id = this.#memberId(member);
    const r = roleArg(role);
    const now = nowOption(options);
    return callSecret(() => this.#ws().setRole(id, r, now));
  }

  /**
   * Applies log entries other admins appended since this workspace was loaded. Entries that
   * start a new epoch need {@link Workspace.load} instead (`missing_grant`).
   * @throws {ConfideError} as {@link Workspace.load} for the log.
   */
  extendLog(entries: Uint8Array[]): void {
    const list = bytesList("entries", entries, 4096);
    callSecret(() => this.#ws().extendLog(list));
  }

  /** A member id from an id, a fingerprint or a bundle, checked against the roster. */
  #memberId(member: unknown): Uint8Array {
    return Workspace.memberIdBytes(this, member);
  }

  /**
   * @internal The 32-byte id of a current member named by id, fingerprint or bundle; with
   * `former`, also any id given as such (a member who has left, for a case to remove).
   */
  static memberIdBytes(workspace: Workspace, member: unknown, former = false): Uint8Array {
    const ws = Workspace.inner(workspace);
    const wanted = member instanceof Uint8Array ? base64url(call(() => memberIdOf(bytesArg("member", member, 4096)))) : member;
    if (typeof wanted !== "string") {
      throw new ConfideError("invalid_argument", `"member" expected an id, a fingerprint or a bundle, got ${describe(member)}`);
    }
    const digits = wanted.replace(/\s+/g, " ").trim();
    const raw = call(() => ws.members()) as { id: Uint8Array; fingerprint: string }[];
    const found = raw.find((m) => base64url(m.id) === wanted || m.fingerprint === digits);
    if (found !== undefined) return found.id;
    const id = former ? fromBase64url(wanted) : undefined;
    if (id?.length === 32) return id;
    throw new ConfideError("not_a_member", "no current member has this id or fingerprint");
  }

  /** @internal */
  static inner(workspace: unknown): WasmWorkspace {
    if (!(workspace instanceof Workspace)) {
      throw new ConfideError("invalid_argument", `"workspace" expected Workspace, got ${describe(workspace)}`);
    }
    return workspace.#ws();
  }

  /** Zeroizes and releases every key this object holds. Idempotent. */
  free(): void {
    this.#inner?.free();
    this.#inner = undefined;
  }

  [Symbol.dispose](): void {
    this.free();
  }
}
aliasDispose(Workspace.prototype);

function rotation(raw: unknown): Rotation {
  const r = raw as { logEntry: Uint8Array; epoch: number; grants: { memberId: Uint8Array; grant: Uint8Array }[]; historyLink: Uint8Array };
  return {
    logEntry: r.logEntry,
    epoch: r.epoch,
    grants: r.grants.map((g) => ({ memberId: base64url(g.memberId), grant: g.grant })),
    historyLink: r.historyLink,
  };
}

/** Argument checks shared by `load` and `loadAsync`; the log's limits come first (FORMAT.md#limits). */
function loadArgs(options: unknown) {
  if (typeof options !== "object" || options === null) {
    throw new ConfideError("invalid_argument", `"options" expected { log, grants, history?, pinnedHead?, invite? }, got ${describe(options)}`);
  }
  const rawLog = property(options, "log", "log");
  if (Array.isArray(rawLog) && rawLog.length > MAX_LOG_ENTRIES) {
    throw new ConfideError("log_too_large", `the log is longer than ${MAX_LOG_ENTRIES} entries or ${MAX_LOG_BYTES} bytes`);
  }
  const log = bytesList("log", rawLog, 4096);
  if (log.reduce((n, e) => n + e.length, 0) > MAX_LOG_BYTES) {
    throw new ConfideError("log_too_large", `the log is longer than ${MAX_LOG_ENTRIES} entries or ${MAX_LOG_BYTES} bytes`);
  }
  return {
    log,
    grants: bytesList("grants", property(options, "grants", "grants"), 4096),
    history: bytesList("history", property(options, "history", "history") ?? [], 128),
    pinnedHead: optionalString("pinnedHead", property(options, "pinnedHead", "pinnedHead"), 128),
    invite: optionalString("invite", property(options, "invite", "invite"), 4096),
  };
}

const MAX_BLIND_TEXT_UNITS = 16 * 1024;

function blindText(text: unknown): string {
  // A bound on what is copied into wasm; the format's 1024-byte limit applies after white
  // space is collapsed, in the core (FORMAT.md#blind-index).
  if (typeof text !== "string" || text.length > MAX_BLIND_TEXT_UNITS) {
    throw new ConfideError("invalid_argument", `"text" expected a string of at most ${MAX_BLIND_TEXT_UNITS} UTF-16 units, got ${describe(text)}`);
  }
  // One name, one index, however it was typed (FORMAT.md#blind-index); the core lower-cases.
  return text.normalize("NFC");
}
