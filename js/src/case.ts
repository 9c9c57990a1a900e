/** Cases: least privilege inside a workspace, by keys (FORMAT.md#cases). */

import { WasmCase, WasmChunkReader } from "../wasm/confide_wasm.js";
import { base64url, bytesList, nowOption, optionalString } from "./args.js";
import type { DecryptManyItem, DecryptManyOptions, DecryptManyResult } from "./batch.js";
import { ConfideError } from "./errors.js";
import {
  AuditTrail, revisionInfo, type AuditEventInput, type OpenedRecord, type SignOffInfo,
  type WrittenRevision,
} from "./integrity.js";
import type { KeySource } from "./key-source.js";
import {
  decryptRecord, decryptRecordRange, decryptRecords, decryptRecordStream, decryptTextRecords, encryptRecord,
  encryptRecordStream, textOf,
} from "./records.js";
import type { EncryptOptions, LogTimeOptions, MemberGrant, RangeSource, RecordContext, StreamOptions } from "./types.js";
import {
  aliasDispose, bytesArg, call, callSecret, contextArg, describe, MAX_PLAINTEXT_BYTES, padOption, property,
} from "./util.js";
import { Workspace } from "./workspace.js";

/**
 * A member's access to a case. `"full"` reads and writes every field; `"summary"` reads only
 * the records written at the summary level (hours, initials, status) and holds no key that
 * opens the others.
 */
export type CaseLevel = "full" | "summary";

/** A change to a case: publish the log entry and hand each grant to its member. */
export interface CaseChange {
  logEntry: Uint8Array;
  /** The case keys of a new epoch (or of earlier epochs shared) sealed to each member. */
  grants: MemberGrant[];
}

/** A current member of a case. */
export interface CaseMember {
  id: string;
  level: CaseLevel;
  /** The member has left the workspace: {@link Case.removeDeparted} before the next write. */
  departed: boolean;
}

/** What {@link Case.load} verifies. */
export interface CaseLoadOptions {
  /** Every case log entry the server holds, the create entry first. */
  log: Uint8Array[];
  /** The case grants addressed to this member, any epochs. */
  grants: Uint8Array[];
  /** The head this client saw last ({@link Case.head}): a server that rolls back or forks fails. */
  pinnedHead?: string;
}

/** Options for {@link Case.encrypt}: the level the record is written at. */
export interface CaseEncryptOptions extends EncryptOptions {
  /** Default `"full"`. A `"summary"` record opens for summary members too. */
  level?: CaseLevel;
}

/** Options for {@link Case.encryptStream}. */
export interface CaseStreamOptions extends StreamOptions {
  /** Default `"full"`. */
  level?: CaseLevel;
}

/** Options for {@link Case.write}. */
export interface CaseWriteOptions extends CaseEncryptOptions {
  /** The record's latest revision (its bytes); omit for a new record. */
  previous?: Uint8Array;
  /** Unix seconds the revision claims; defaults to the clock. */
  now?: number;
}

/** What {@link Case.openRecord} verifies. */
export interface OpenRecordInput {
  /** The record's revisions, oldest first: from revision 1, or from the pinned revision (its number in `pin`) on. */
  revisions: Uint8Array[];
  /** The latest revision's record; omit when it is a deletion. */
  record?: Uint8Array;
  /** The pin this client kept from the last open: an older or other history is refused. */
  pin?: string;
  /** The case's verified audit trail: a revision older than the one it records is refused. */
  audit?: AuditTrail;
}

/** Options for {@link Case.create}. */
export interface CaseCreateOptions extends LogTimeOptions {
  /** Unix seconds before which the case cannot be deleted; default none. */
  retentionUntil?: number;
}

const caseToken = Symbol.for("confide.internal");

/**
 * A case as one member sees it: its verified log, this member's level, and the keys of the
 * epochs this member holds. Records written in a case are bound to it: they do not open in
 * another case or in the workspace. Every change returns a {@link CaseChange} to publish.
 *
 * A case checks itself against its workspace's membership log, so keep that workspace
 * current ({@link Workspace.extendLog}) and do not free it while the case is in use.
 * Call `free()` (or use `using`) when done.
 */
export class Case {
  #inner: WasmCase | undefined;
  readonly #workspace: Workspace;
  readonly #id: string;

  /** @internal Use {@link Case.create} or {@link Case.load}. */
  constructor(token: symbol, inner: WasmCase, workspace: Workspace) {
    if (token !== caseToken || !(inner instanceof WasmCase)) {
      throw new ConfideError("invalid_argument", "use Case.create() or Case.load()");
    }
    this.#inner = inner;
    this.#workspace = workspace;
    this.#id = base64url(inner.idBytes());
  }

  /**
   * Creates a case in `workspace` with its acting member as the first full member.
   * @throws {ConfideError} `no_membership_log`, `not_a_member`, `invalid_argument`, `freed`.
   */
  static create(workspace: Workspace, options: CaseCreateOptions = {}): { case: Case; change: CaseChange } {
    const ws = Workspace.inner(workspace);
    const now = nowOption(options);
    const until = property(options, "retentionUntil", "retentionUntil") ?? 0;
    if (typeof until !== "number" || !Number.isSafeInteger(until) || until < 0) {
      throw new ConfideError("invalid_argument", `"retentionUntil" expected Unix time in whole seconds, got ${describe(until)}`);
    }
    const r = callSecret(() => WasmCase.create(ws, now, until)) as { case: WasmCase; change: RawChange };
    return { case: new Case(caseToken, r.case, workspace), change: change(r.change) };
  }

  /**
   * Loads a case (FORMAT.md#loading-a-case): the log's limits and the pinned head first, then
   * every entry against the workspace's membership log, then each grant against the log.
   * @throws {ConfideError} `log_too_large`, `rollback_detected`, `fork_detected`, `broken_chain`,
   *   `bad_signature`, `not_authorized`, `wrong_case`, `key_mismatch`, `not_a_member`,
   *   `missing_grant`, `case_deleted`, `workspace_out_of_date`, `malformed`, `invalid_argument`.
   */
  static load(workspace: Workspace, options: CaseLoadOptions): Case {
    const ws = Workspace.inner(workspace);
    if (typeof options !== "object" || options === null) {
      throw new ConfideError("invalid_argument", `"options" expected { log, grants, pinnedHead? }, got ${describe(options)}`);
    }
    const log = bytesList("log", property(options, "log", "log"), 4096);
    const grants = bytesList("grants", property(options, "grants", "grants"), 4096);
    const pinnedHead = optionalString("pinnedHead", property(options, "pinnedHead", "pinnedHead"), 128);
    return new Case(caseToken, callSecret(() => WasmCase.load(ws, log, grants, pinnedHead)), workspace);
  }

  #case(): WasmCase {
    if (this.#inner === undefined) throw new ConfideError("freed", "this Case has been freed");
    return this.#inner;
  }

  #ws() {
    return Workspace.inner(this.#workspace);
  }

  /** The case's keys at `level`, for the record operations (./records.ts). */
  #keys(level: CaseLevel = "full"): KeySource {
    return {
      assertLive: () => void this.#case(),
      encrypt: (bytes, isText, recordId, field, pad) => this.#case().encrypt(this.#ws(), bytes, isText, recordId, field, pad, level),
      decrypt: (record, recordId, field) => this.#case().decrypt(record, recordId, field),
      encryptor: (recordId, field, pad) => this.#case().encryptStream(this.#ws(), recordId, field, pad, level),
      decryptorPush: (decryptor, piece) => this.#case().decryptorPush(decryptor, piece),
      messageKeysForEncryption: (recordId, field) => this.#case().messageKeysForEncryption(this.#ws(), level, recordId, field),
      messageKeysForDecryption: (start, recordId, field) => this.#case().messageKeysForDecryption(start, recordId, field),
      chunkReader: (start, recordId, field): WasmChunkReader => this.#case().chunkReader(start, recordId, field),
    };
  }

  /** The case id, base64url without padding (22 characters). */
  get id(): string {
    return this.#id;
  }

  /** The current epoch: every change of who is on the case starts a new one. */
  get epoch(): number {
    return call(() => this.#case().epoch());
  }

  /** This member's level on the case. */
  get level(): CaseLevel {
    return call(() => this.#case().level()) as CaseLevel;
  }

  /** The head to store and pass as `pinnedHead` on the next load. */
  get head(): string {
    return call(() => this.#case().head());
  }

  /** Every case log entry, the create entry first. */
  get log(): Uint8Array[] {
    return call(() => this.#case().logEntries()) as Uint8Array[];
  }

  /** Unix seconds before which the case cannot be deleted, 0 for none. */
  get retentionUntil(): number {
    return call(() => this.#case().retentionUntil());
  }

  /** The epochs whose keys this member holds, oldest first. */
  get heldEpochs(): number[] {
    return Array.from(call(() => this.#case().heldEpochs()));
  }

  /** The current members of the case, in order of first admission. */
  get members(): CaseMember[] {
    const raw = call(() => this.#case().members(this.#ws())) as { id: Uint8Array; level: CaseLevel; departed: boolean }[];
    return raw.map((m) => ({ id: base64url(m.id), level: m.level, departed: m.departed }));
  }

  /**
   * Whether a member who left the workspace still holds the case's key. While it does, the
   * case writes nothing: {@link removeDeparted} moves it to a new key first.
   */
  get needsRotation(): boolean {
    return call(() => this.#case().needsRotation(this.#ws()));
  }

  /**
   * Adds a current member of the workspace at `level`. The case moves to a new epoch: the new
   * member reads from now on; {@link shareHistory} gives earlier records explicitly.
   * @throws {ConfideError} `level_too_low` (only full members change a case), `not_a_member`,
   *   `already_member`, `case_needs_rotation`, `case_deleted`, `invalid_argument`, `freed`.
   */
  add(member: string | Uint8Array, level: CaseLevel, options: LogTimeOptions = {}): CaseChange {
    const id = Workspace.memberIdBytes(this.#workspace, member);
    const l = levelArg(level);
    const now = nowOption(options);
    return change(callSecret(() => this.#case().add(this.#ws(), id, l, now)));
  }

  /**
   * Removes a member from the case; the case moves to a new epoch that member never receives.
   * @throws {ConfideError} `level_too_low`, `not_a_member`, `cannot_remove_self`, `last_holder`,
   *   `invalid_argument`, `freed`.
   */
  remove(member: string | Uint8Array, options: LogTimeOptions = {}): CaseChange {
    const id = this.#caseMemberId(member);
    const now = nowOption(options);
    return change(callSecret(() => this.#case().remove(this.#ws(), id, now)));
  }

  /**
   * After a removal from the workspace: removes every member of the case who has left it, each
   * in its own change, so the case moves to keys they never had. Publish the changes in order.
   * @throws {ConfideError} `level_too_low`, `last_holder`, `freed`.
   */
  removeDeparted(options: LogTimeOptions = {}): CaseChange[] {
    const now = nowOption(options);
    const raw = callSecret(() => this.#case().removeDeparted(this.#ws(), now)) as RawChange[];
    return raw.map(change);
  }

  /**
   * Changes a member's level (a handover: raise the new clinician to full, then remove or lower
   * the one leaving). The case moves to a new epoch.
   * @throws {ConfideError} `level_too_low`, `not_a_member`, `last_holder`, `case_needs_rotation`.
   */
  setLevel(member: string | Uint8Array, level: CaseLevel, options: LogTimeOptions = {}): CaseChange {
    const id = this.#caseMemberId(member);
    const l = levelArg(level);
    const now = nowOption(options);
    return change(callSecret(() => this.#case().setLevel(this.#ws(), id, l, now)));
  }

  /**
   * Moves the case to a new epoch without a change of members.
   * @throws {ConfideError} `level_too_low`, `case_needs_rotation`, `case_deleted`.
   */
  rotate(options: LogTimeOptions = {}): CaseChange {
    const now = nowOption(options);
    return change(callSecret(() => this.#case().rotate(this.#ws(), now)));
  }

  /**
   * Gives a member of the case the keys of epochs `fromEpoch` (default 0) up to the one it
   * joined in, at its level: history as an explicit, logged grant. Only keys this member holds
   * are shared.
   * @throws {ConfideError} `level_too_low`, `not_a_member`, `unknown_epoch`.
   */
  shareHistory(member: string | Uint8Array, options: { fromEpoch?: number } & LogTimeOptions = {}): CaseChange {
    const id = this.#caseMemberId(member);
    const from = property(options, "fromEpoch", "fromEpoch") ?? 0;
    if (typeof from !== "number" || !Number.isInteger(from) || from < 0 || from > 0xffff_ffff) {
      throw new ConfideError("invalid_argument", `"fromEpoch" expected an epoch number, got ${describe(from)}`);
    }
    const now = nowOption(options);
    return change(callSecret(() => this.#case().shareHistory(this.#ws(), id, from, now)));
  }

  /**
   * Sets the signed date before which the case cannot be deleted (0: none). Returns the log
   * entry to publish.
   * @throws {ConfideError} `level_too_low`, `invalid_argument`.
   */
  setRetention(retentionUntil: number, options: LogTimeOptions = {}): Uint8Array {
    if (!Number.isSafeInteger(retentionUntil) || retentionUntil < 0) {
      throw new ConfideError("invalid_argument", `"retentionUntil" expected Unix time in whole seconds, got ${describe(retentionUntil)}`);
    }
    const now = nowOption(options);
    return call(() => this.#case().setRetention(this.#ws(), retentionUntil, now));
  }

  /**
   * Deletes the case: returns the signed tombstone to publish, and drops every key this object
   * holds. Once the server drops the case's grants, its records open for no one who did not
   * keep a key (SECURITY.md#cases).
   * @throws {ConfideError} `level_too_low`, `under_retention`.
   */
  delete(options: LogTimeOptions = {}): Uint8Array {
    const now = nowOption(options);
    return callSecret(() => this.#case().delete(this.#ws(), now));
  }

  /**
   * Encrypts a record of this case at `options.level` (default `"full"`), bound to the case,
   * the level and `context`.
   * @throws {ConfideError} `level_too_low` (a summary member writes nothing),
   *   `case_needs_rotation`, `case_deleted`, `invalid_argument`, `freed`.
   */
  encrypt(plaintext: string | Uint8Array, context: RecordContext, options: CaseEncryptOptions = {}): Uint8Array {
    return encryptRecord(this.#keys(levelOption(options)), plaintext, context, options);
  }

  /**
   * Decrypts a record of this case, of any epoch and level whose key this member holds.
   * @throws {ConfideError} `wrong_case`, `level_too_low`, `unknown_epoch`, and as
   *   {@link Workspace.decrypt}.
   */
  decrypt(record: Uint8Array, context: RecordContext): Uint8Array {
    return decryptRecord(this.#keys(), record, context);
  }

  /** {@link decrypt} to a string (UTF-8). */
  decryptText(record: Uint8Array, context: RecordContext): string {
    return textOf(this.decrypt(record, context));
  }

  /** As {@link Workspace.decryptMany}, with this case's keys. */
  decryptMany(items: readonly DecryptManyItem[], options: DecryptManyOptions = {}): Promise<DecryptManyResult<Uint8Array>[]> {
    return decryptRecords(this.#keys(), items, options);
  }

  /** As {@link Workspace.decryptTextMany}, with this case's keys. */
  decryptTextMany(items: readonly DecryptManyItem[], options: DecryptManyOptions = {}): Promise<DecryptManyResult<string>[]> {
    return decryptTextRecords(this.#keys(), items, options);
  }

  /** As {@link Workspace.encryptStream}, into a record of this case at `options.level`. */
  encryptStream(context: RecordContext, options: CaseStreamOptions = {}): TransformStream<Uint8Array, Uint8Array> {
    return encryptRecordStream(this.#keys(levelOption(options)), context, options);
  }

  /** As {@link Workspace.decryptStream}, with this case's keys. */
  decryptStream(context: RecordContext, options: StreamOptions = {}): TransformStream<Uint8Array, Uint8Array> {
    return decryptRecordStream(this.#keys(), context, options);
  }

  /** As {@link Workspace.decryptRange}, with this case's keys. */
  decryptRange(source: RangeSource, context: RecordContext, start: number, end?: number): Promise<Uint8Array> {
    return decryptRecordRange(this.#keys(), source, context, start, end);
  }

  /**
   * Writes the next revision of the record at `context` (FORMAT.md#revisions): the record,
   * at `options.level`, and a revision signed by this member that chains to
   * `options.previous` (omit it for a new record) and names the state it is written under.
   * Publish both; the revision is what readers verify, and the next `previous`.
   * @throws {ConfideError} as {@link encrypt}; `record_mismatch` if `previous` is another
   *   record's; `malformed` if it is not a revision.
   */
  write(plaintext: string | Uint8Array, context: RecordContext, options: CaseWriteOptions = {}): WrittenRevision {
    const ctx = contextArg(context);
    const pad = padOption(options);
    const level = levelOption(options);
    const previous = optionalBytes("previous", options);
    const now = nowOption(options);
    const isText = typeof plaintext === "string";
    const bytes = isText ? new TextEncoder().encode(plaintext) : bytesArg("plaintext", plaintext, MAX_PLAINTEXT_BYTES);
    if (bytes.length > MAX_PLAINTEXT_BYTES) {
      throw new ConfideError("invalid_argument", `"plaintext" expected at most ${MAX_PLAINTEXT_BYTES} bytes, got ${bytes.length}`);
    }
    try {
      return callSecret(() =>
        this.#case().write(this.#ws(), bytes, isText, ctx.recordId, ctx.field, pad, level, previous, now),
      ) as WrittenRevision;
    } finally {
      if (isText) bytes.fill(0);
    }
  }

  /**
   * Deletes the record at `context`: a signed tombstone after its latest revision. Readers
   * then see who deleted it and when, and a server that keeps showing the record is caught.
   * @throws {ConfideError} `level_too_low`, `case_needs_rotation`, `record_mismatch`, `malformed`.
   */
  deleteRecord(context: RecordContext, options: { previous: Uint8Array; now?: number }): Uint8Array {
    const ctx = contextArg(context);
    const previous = optionalBytes("previous", options);
    if (previous === undefined) throw new ConfideError("invalid_argument", `"previous" expected the record's latest revision`);
    const now = nowOption(options);
    return call(() => this.#case().deleteRecord(this.#ws(), ctx.recordId, ctx.field, previous, now));
  }

  /**
   * Verifies a record's history and opens its latest revision (FORMAT.md#opening-a-revised-record):
   * each revision's signature, its author's right to write in the state it names, the chain,
   * the pin and the audit trail; then the record.
   * @throws {ConfideError} `rollback_detected`, `fork_detected`, `broken_chain`, `bad_signature`,
   *   `not_authorized`, `unknown_signer`, `record_mismatch`, `workspace_out_of_date`, `wrong_case`,
   *   `log_too_large`, `malformed`, and as {@link decrypt}.
   */
  openRecord(input: OpenRecordInput, context: RecordContext): OpenedRecord<Uint8Array> {
    return this.#open(input, context, (bytes) => bytes);
  }

  /** {@link openRecord} to a string (UTF-8). */
  openRecordText(input: OpenRecordInput, context: RecordContext): OpenedRecord<string> {
    return this.#open(input, context, textOf);
  }

  #open<T>(input: unknown, context: unknown, convert: (bytes: Uint8Array) => T): OpenedRecord<T> {
    const ctx = contextArg(context);
    const { revisions, record, pin, audit } = openInput(input);
    const ws = this.#ws();
    const raw = (audit === undefined
      ? callSecret(() => this.#case().openHistory(ws, ctx.recordId, ctx.field, revisions, record, pin))
      : callSecret(() => this.#case().openHistoryAudited(ws, ctx.recordId, ctx.field, revisions, record, pin, AuditTrail.inner(audit)))) as {
      plaintext?: Uint8Array; revisions: unknown[]; pin: string; audited?: boolean;
    };
    const all = raw.revisions.map(revisionInfo);
    return {
      value: raw.plaintext === undefined ? undefined : convert(raw.plaintext),
      deleted: raw.plaintext === undefined,
      revision: all[all.length - 1]!,
      revisions: all,
      pin: raw.pin,
      audited: raw.audited,
    };
  }

  /**
   * An earlier value: the record of revision `index` (0 for the first given) of a history,
   * verified again as {@link openRecord} verifies it.
   * @throws {ConfideError} as {@link openRecord}; `invalid_argument` for an index out of range.
   */
  openRevision(input: { revisions: Uint8Array[]; pin?: string }, index: number, record: Uint8Array, context: RecordContext): Uint8Array {
    const ctx = contextArg(context);
    const { revisions, pin } = openInput(input);
    if (!Number.isInteger(index) || index < 0 || index >= revisions.length) {
      throw new ConfideError("invalid_argument", `"index" expected an index into "revisions", got ${describe(index)}`);
    }
    const r = bytesArg("record", record);
    return callSecret(() => this.#case().openRevision(this.#ws(), revisions, index, r, ctx.recordId, ctx.field, pin));
  }

  /**
   * Signs off one exact revision ("reviewed"), as any member of the case. Publish it beside
   * the revision; an edit after it is, visibly, not signed off.
   * @throws {ConfideError} `not_a_member`, `wrong_case`, `malformed`.
   */
  signOff(revision: Uint8Array, options: LogTimeOptions = {}): Uint8Array {
    const r = bytesArg("revision", revision, 1024);
    const now = nowOption(options);
    return call(() => this.#case().signOff(this.#ws(), r, now));
  }

  /**
   * Verifies a sign-off of `revision`.
   * @throws {ConfideError} `signoff_mismatch` (a sign-off of another revision), `bad_signature`,
   *   `not_authorized`, `unknown_signer`, `workspace_out_of_date`, `wrong_case`, `malformed`.
   */
  verifySignOff(signOff: Uint8Array, revision: Uint8Array): SignOffInfo {
    const s = bytesArg("signOff", signOff, 1024);
    const r = bytesArg("revision", revision, 1024);
    const raw = call(() => this.#case().verifySignOff(this.#ws(), s, r)) as { signerId: Uint8Array; time: number; revisionNumber: number };
    return { signer: base64url(raw.signerId), time: raw.time, revisionNumber: raw.revisionNumber };
  }

  /**
   * Verifies the case's audit trail (FORMAT.md#audit-trail): every entry signed by a member
   * of the case in the state it names, chained to the one before; the bodies of epochs this
   * member holds are opened. With `pin`, a shorter or other trail is refused.
   * @throws {ConfideError} `broken_chain`, `bad_signature`, `not_authorized`, `unknown_signer`,
   *   `rollback_detected`, `fork_detected`, `log_too_large`, `malformed`. An entry whose body
   *   does not open is kept, `unreadable`.
   */
  verifyAudit(entries: Uint8Array[], options: { pin?: string } = {}): AuditTrail {
    // The cap first, before anything is copied into wasm memory (FORMAT.md#verifying-an-audit-trail, 1).
    if (Array.isArray(entries) && entries.length > MAX_AUDIT_ENTRIES) {
      throw new ConfideError("log_too_large", `an audit trail holds at most ${MAX_AUDIT_ENTRIES} entries, got ${entries.length}`);
    }
    const list = bytesList("entries", entries, 4096);
    const pin = optionalString("pin", property(options, "pin", "pin"), 128);
    return AuditTrail.wrap(call(() => this.#case().verifyAudit(this.#ws(), list, pin)));
  }

  /**
   * Verifies `entries` as the ones that follow `trail`, a trail verified before (fetch them
   * with the server's `?after=<trail.length - 1>`), and adds them to it: keeping a trail
   * costs only its new entries, where `verifyAudit` costs every entry each time. The same
   * checks as `verifyAudit`, from the trail's state; entries already kept are not opened
   * again (one kept sealed opens by verifying the whole trail once this member holds its
   * key). All or nothing: on an error, `trail` is as it was.
   * @throws {ConfideError} as `verifyAudit`, but for the pin.
   */
  extendAudit(trail: AuditTrail, entries: Uint8Array[]): void {
    const t = AuditTrail.inner(trail);
    // The cap first, before anything is copied into wasm memory (FORMAT.md#verifying-an-audit-trail, 1).
    if (Array.isArray(entries) && t.length() + entries.length > MAX_AUDIT_ENTRIES) {
      throw new ConfideError("log_too_large", `an audit trail holds at most ${MAX_AUDIT_ENTRIES} entries, got ${t.length() + entries.length}`);
    }
    const list = bytesList("entries", entries, 4096);
    call(() => this.#case().extendAudit(this.#ws(), t, list));
  }

  /**
   * Appends an event to a verified trail, signed by this member and sealed under the case's
   * summary key. Returns the entry to publish; `trail` now includes it.
   * @throws {ConfideError} `not_a_member`, `invalid_argument`, `malformed`.
   */
  appendAudit(trail: AuditTrail, event: AuditEventInput, options: LogTimeOptions = {}): Uint8Array {
    const t = AuditTrail.inner(trail);
    if (typeof event !== "object" || event === null) {
      throw new ConfideError("invalid_argument", `"event" expected { action, recordId?, field?, revision?, note? }, got ${describe(event)}`);
    }
    const action = property(event, "action", "action");
    if (typeof action !== "string") throw new ConfideError("invalid_argument", `"action" expected a string, got ${describe(action)}`);
    const recordId = optionalString("recordId", property(event, "recordId", "recordId"), 255) ?? "";
    const field = optionalString("field", property(event, "field", "field"), 255) ?? "";
    const revision = optionalBytes("revision", event);
    const note = optionalString("note", property(event, "note", "note"), 1024) ?? "";
    const now = nowOption(options);
    return call(() => this.#case().appendAudit(this.#ws(), t, action, recordId, field, revision, note, now));
  }

  /** The id of a member of this case, named by id, fingerprint or bundle. */
  #caseMemberId(member: unknown): Uint8Array {
    return Workspace.memberIdBytes(this.#workspace, member, true);
  }

  /** @internal The wasm case, for tests of independent implementations. */
  static inner(c: unknown): WasmCase {
    if (!(c instanceof Case)) {
      throw new ConfideError("invalid_argument", `"case" expected Case, got ${describe(c)}`);
    }
    return c.#case();
  }

  /** Zeroizes the case keys this object holds. Idempotent. */
  free(): void {
    this.#inner?.free();
    this.#inner = undefined;
  }

  [Symbol.dispose](): void {
    this.free();
  }
}
aliasDispose(Case.prototype);

type RawChange = { logEntry: Uint8Array; grants: { memberId: Uint8Array; grant: Uint8Array }[] };

function change(raw: unknown): CaseChange {
  const r = raw as RawChange;
  return { logEntry: r.logEntry, grants: r.grants.map((g) => ({ memberId: base64url(g.memberId), grant: g.grant })) };
}

function optionalBytes(name: string, options: unknown): Uint8Array | undefined {
  if (typeof options !== "object" || options === null) {
    throw new ConfideError("invalid_argument", `"options" expected an object, got ${describe(options)}`);
  }
  const value = property(options, name, name);
  return value === undefined ? undefined : bytesArg(name, value, 1024);
}

/** FORMAT.md#limits: revisions in one history, entries in one audit trail. */
const MAX_HISTORY_REVISIONS = 100_000;
const MAX_AUDIT_ENTRIES = 100_000;

function openInput(input: unknown): { revisions: Uint8Array[]; record: Uint8Array | undefined; pin: string | undefined; audit: unknown } {
  if (typeof input !== "object" || input === null) {
    throw new ConfideError("invalid_argument", `"input" expected { revisions, record?, pin?, audit? }, got ${describe(input)}`);
  }
  const record = property(input, "record", "record");
  const revisions = property(input, "revisions", "revisions");
  // The cap first, before anything is copied into wasm memory (FORMAT.md#verifying-a-history, 1).
  if (Array.isArray(revisions) && revisions.length > MAX_HISTORY_REVISIONS) {
    throw new ConfideError("log_too_large", `a history holds at most ${MAX_HISTORY_REVISIONS} revisions, got ${revisions.length}`);
  }
  return {
    revisions: bytesList("revisions", revisions, 1024),
    record: record === undefined ? undefined : bytesArg("record", record),
    pin: optionalString("pin", property(input, "pin", "pin"), 128),
    audit: property(input, "audit", "audit"),
  };
}

function levelArg(level: unknown): CaseLevel {
  if (level !== "full" && level !== "summary") {
    throw new ConfideError("invalid_argument", `"level" expected "full" or "summary", got ${describe(level)}`);
  }
  return level;
}

function levelOption(options: unknown): CaseLevel {
  if (typeof options !== "object" || options === null) {
    throw new ConfideError("invalid_argument", `"options" expected an object, got ${describe(options)}`);
  }
  const level = property(options, "level", "level");
  return level === undefined ? "full" : levelArg(level);
}
