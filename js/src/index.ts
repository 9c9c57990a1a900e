/**
 * Confide: end-to-end encryption for therapy-practice software.
 *
 * ```ts
 * import { init, Member, Workspace } from "confide";
 * await init();
 * const alice = Member.generate();
 * const ws = Workspace.create(alice);
 * const { link, invite } = ws.createInvite({ role: "member" });   // sharing: README "Sharing a workspace"
 * const ct = ws.encrypt("Client reported better sleep.", { recordId: "n-42", field: "body" });
 * ws.decryptText(ct, { recordId: "n-42", field: "body" });
 * ```
 *
 * Byte formats: docs/FORMAT.md. Threat model: docs/SECURITY.md.
 * @module
 */

import {
  acceptInvite, backupKdfInput, describeInvite, initSync, memberIdOf, prepareBackup, WasmChunkReader, WasmDecryptor,
  WasmMember, WasmMessageKeys, WasmWorkspace, WasmWorkspaceLoader, recordLength,
} from "../wasm/confide_wasm.js";
import { decryptMany, type DecryptManyItem, type DecryptManyOptions, type DecryptManyResult } from "./batch.js";
import { webCryptoDecryptor } from "./decrypt-engine.js";
import { ConfideError } from "./errors.js";
import { setKdfSource, stretch } from "./kdf.js";
import { deleteSeed, loadSeed, saveSeed } from "./device.js";
import { engineStream, hasWebCrypto, streamOptions, wasmEngine, webCryptoEncryptor } from "./engines.js";
import { compileWasm, type WasmSource } from "./load.js";
import {
  bytesArg, call, callSecret, CHUNK_BYTES, contextArg, describe, property, ENCRYPTED_CHUNK_BYTES, markInitialized, MAX_PLAINTEXT_BYTES,
  MAX_LOG_BYTES, MAX_LOG_ENTRIES, MAX_RECORD_BYTES, MIN_RECORD_BYTES, packageFile, padOption, PREFIX_BYTES, setPackageBase,
  yieldToEventLoop,
} from "./util.js";

export { ConfideError, isConfideError } from "./errors.js";
export type { ConfideErrorCode } from "./errors.js";
export type { DecryptManyItem, DecryptManyOptions, DecryptManyResult } from "./batch.js";

/** Where a record lives in the application; bound into its encryption. */
export interface RecordContext {
  /** The application's id for the record, e.g. `"n-42"`. 1 to 1024 UTF-8 bytes. */
  recordId: string;
  /** The field within the record, e.g. `"body"`. 1 to 1024 UTF-8 bytes. */
  field: string;
}

/** Options for {@link Workspace.encrypt}. */
export interface EncryptOptions {
  /** Pad the plaintext to a PADMÉ bucket (at least 256 bytes) to hide its length. Default `true`. */
  pad?: boolean;
}

/** Options for {@link Workspace.encryptStream} and {@link Workspace.decryptStream}. */
export interface StreamOptions {
  /** Encrypt only: pad the payload to a PADMÉ bucket. Default `false` for streams. */
  pad?: boolean;
  /** Aborting errors the stream with a `ConfideError` of code `aborted`. */
  signal?: AbortSignal;
  /** Called after each input chunk with the total input bytes processed so far. */
  onProgress?: (bytes: number) => void;
  /**
   * Which AES-GCM runs the chunks. `"auto"` (default): the platform's where `crypto.subtle`
   * exists and the record is unpadded, else wasm. The platform's is WebCrypto in browsers and,
   * in Node, `node:crypto` (the OpenSSL behind Node's WebCrypto, called synchronously).
   * Both write the same bytes (FORMAT.md#streaming).
   */
  engine?: StreamEngine;
}

/** The AES-GCM implementation behind a stream. */
export type StreamEngine = "auto" | "webcrypto" | "wasm";

/**
 * Where {@link Workspace.decryptRange} reads a record from: the whole record in memory or as a
 * `Blob`, or a function returning `length` bytes at `offset` (fewer at the end of the record,
 * none past it), e.g. an HTTP Range request.
 */
export type RangeSource = Blob | Uint8Array | ((offset: number, length: number) => Promise<Uint8Array>);

/** Options for {@link init}. */
export interface InitOptions {
  /** The wasm module, its bytes, or where to fetch it. Default: the package's `wasm/confide_wasm_bg.wasm`. */
  wasm?: WasmSource;
  /**
   * The Argon2 module (for passphrase backups), its bytes, or where to fetch it; fetched on the
   * first backup made or opened, not by `init()`. Default: the package's `wasm/confide_kdf_bg.wasm`.
   */
  kdfWasm?: WasmSource;
  /**
   * Where the package's folder (the one holding `dist/` and `wasm/`) is served, e.g.
   * `"/confide/"`: for tools that do not follow `new URL("…", import.meta.url)`, such as
   * esbuild (README "Install"). The wasm files and the worker scripts are then loaded from
   * there. Default: next to the package's own modules.
   */
  base?: URL | string;
}

/** Largest plaintext one `encrypt` call takes (256 MiB); stream anything larger. */
export { MAX_PLAINTEXT_BYTES } from "./util.js";

/** A member's role in a workspace. Admins invite, admit, remove, change roles and rotate. */
export type Role = "admin" | "member";

/** A current member, as the verified membership log describes it. */
export interface WorkspaceMember {
  /** The member id: the first 32 bytes of the fingerprint hash, base64url (43 characters). */
  id: string;
  /** The fingerprint people compare: 12 groups of 5 digits. */
  fingerprint: string;
  role: Role;
  publicBundle: Uint8Array;
}

/** Options shared by the calls that append to the membership log. */
export interface LogTimeOptions {
  /** Unix time in seconds to record in the entry; defaults to the current time. */
  now?: number;
}

/** What {@link Workspace.createInvite} returns. */
export interface CreatedInvite {
  /**
   * `"#confide-invite=..."`: append it to your join URL and hand it to the invitee out of
   * band. It holds the invite secret; it must never reach the server.
   */
  link: string;
  /** The invite's log entry, for the server to append to the log. */
  invite: Uint8Array;
  /** The invite id (base64url), which the server files the invitee's acceptance under. */
  inviteId: string;
}

/** What {@link Workspace.admit} returns: publish both. */
export interface Admission {
  logEntry: Uint8Array;
  /** The new member's id (base64url). */
  memberId: string;
  /** The current epoch key, sealed to the new member. */
  grant: Uint8Array;
}

/** A grant and the member it is for. */
export interface MemberGrant {
  memberId: string;
  grant: Uint8Array;
}

/** What {@link Workspace.remove} and {@link Workspace.rotate} return: publish all of it. */
export interface Rotation {
  logEntry: Uint8Array;
  /** The new epoch. */
  epoch: number;
  /** The new epoch key sealed to each current member, the caller included. */
  grants: MemberGrant[];
  /** The previous epoch key sealed under the new one, so members keep reading history. */
  historyLink: Uint8Array;
}

/** What {@link Workspace.load} verifies. */
export interface LoadOptions {
  /** Every log entry the server holds, genesis first. */
  log: Uint8Array[];
  /** The grants addressed to this member (any epochs; the current one is required). */
  grants: Uint8Array[];
  /** The workspace's history links (any epochs). */
  history?: Uint8Array[];
  /** The head this client remembered from its last load ({@link Workspace.head}). */
  pinnedHead?: string;
  /** On a member's first load: the invite link it joined through. */
  invite?: string;
}

/** What an invite link names, without its secret. */
export interface InviteDescription {
  workspaceId: string;
  /** The inviter's member id (base64url). Compare with the log, not with the server's word. */
  inviterId: string;
  inviteId: string;
}

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for("Symbol.dispose");
let ready: Promise<void> | undefined;

/**
 * Loads the wasm module. Memoized: call it as often as you like; every call returns the
 * same promise. Works in Node >= 20 and in browsers.
 * @throws {ConfideError} `internal` if the module cannot be loaded.
 */
export function init(options: InitOptions = {}): Promise<void> {
  ready ??= (async () => {
    const { wasm, kdfWasm, base } = initOptions(options);
    setPackageBase(base);
    setKdfSource(kdfWasm);
    const file = packageFile("wasm/confide_wasm_bg.wasm") ?? new URL("../wasm/confide_wasm_bg.wasm", import.meta.url);
    initSync({ module: await compileWasm(wasm, file, "wasm module") });
    markInitialized();
  })().catch((e: unknown) => {
    ready = undefined;
    throw e instanceof ConfideError ? e : new ConfideError("internal", "the Confide wasm module failed to load");
  });
  return ready;
}

function initOptions(options: unknown): { wasm: WasmSource | undefined; kdfWasm: WasmSource | undefined; base: URL | undefined } {
  if (typeof options !== "object" || options === null) {
    throw new ConfideError("invalid_argument", `"options" expected { wasm?, kdfWasm?, base? }, got ${describe(options)}`);
  }
  const base = property(options, "base", "base");
  if (base !== undefined && typeof base !== "string" && !(base instanceof URL)) {
    throw new ConfideError("invalid_argument", `"base" expected a URL or a string, got ${describe(base)}`);
  }
  let baseUrl: URL | undefined;
  try {
    // A path such as "/confide/" is taken relative to the page.
    const page = (globalThis as { location?: { href?: string } }).location?.href;
    baseUrl = base === undefined ? undefined : new URL(base, page);
  } catch {
    throw new ConfideError("invalid_argument", `"base" expected a URL, got a string that is not one`);
  }
  return {
    wasm: property(options, "wasm", "wasm") as WasmSource | undefined,
    kdfWasm: property(options, "kdfWasm", "kdfWasm") as WasmSource | undefined,
    base: baseUrl,
  };
}

/** Invites, from the invitee's side. */
export const Invite = {
  /**
   * Accepts an invite link as `member`: returns the acceptance to send to the server, bound
   * to the link's secret (which it does not contain) and signed by the member.
   * @throws {ConfideError} `malformed`, `unsupported_version`, `invalid_argument`, `freed`.
   */
  accept(member: Member, link: string): Uint8Array {
    const m = Member.inner(member);
    const l = stringArg("link", link, 4096);
    return callSecret(() => acceptInvite(m, l));
  },

  /**
   * What a link names, without its secret: which workspace to fetch, which invite, and who
   * invited. {@link Workspace.load} checks the inviter against the log.
   * @throws {ConfideError} `malformed`, `unsupported_version`, `invalid_argument`.
   */
  describe(link: string): InviteDescription {
    const l = stringArg("link", link, 4096);
    const r = callSecret(() => describeInvite(l)) as { workspaceId: Uint8Array; inviterId: Uint8Array; inviteId: Uint8Array };
    return { workspaceId: base64url(r.workspaceId), inviterId: base64url(r.inviterId), inviteId: base64url(r.inviteId) };
  },
} as const;

function rotation(raw: unknown): Rotation {
  const r = raw as { logEntry: Uint8Array; epoch: number; grants: { memberId: Uint8Array; grant: Uint8Array }[]; historyLink: Uint8Array };
  return {
    logEntry: r.logEntry,
    epoch: r.epoch,
    grants: r.grants.map((g) => ({ memberId: base64url(g.memberId), grant: g.grant })),
    historyLink: r.historyLink,
  };
}

function passphraseArg(passphrase: unknown): string {
  if (typeof passphrase !== "string") {
    throw new ConfideError("invalid_argument", `"passphrase" expected a string, got ${describe(passphrase)}`);
  }
  if (passphrase.length > 4096) {
    throw new ConfideError("invalid_argument", `"passphrase" expected at most 4096 characters, got ${passphrase.length}`);
  }
  // A lone surrogate would reach wasm as U+FFFD, merging passphrases (FORMAT.md#passphrase-backup).
  if (/\p{Surrogate}/u.test(passphrase)) {
    throw new ConfideError("invalid_argument", `"passphrase" expected well-formed Unicode, got a lone surrogate`);
  }
  // One passphrase, one byte string, however the keyboard composed it (FORMAT.md#passphrase-backup).
  return passphrase.normalize("NFC");
}

function storageName(options: unknown): string {
  if (typeof options !== "object" || options === null) {
    throw new ConfideError("invalid_argument", `"options" expected { name? }, got ${describe(options)}`);
  }
  const name = property(options, "name", "name") ?? "default";
  if (typeof name !== "string" || name.length === 0 || name.length > 256) {
    throw new ConfideError("invalid_argument", `"name" expected a non-empty string of at most 256 characters, got ${describe(name)}`);
  }
  return name;
}

function assertReadyForDevice(): void {
  call(() => undefined); // not_initialized before init()
}

function nowOption(options: unknown): number {
  if (typeof options !== "object" || options === null) {
    throw new ConfideError("invalid_argument", `"options" expected an object, got ${describe(options)}`);
  }
  const now = property(options, "now", "now") ?? Math.floor(Date.now() / 1000);
  if (typeof now !== "number" || !Number.isSafeInteger(now) || now < 0) {
    throw new ConfideError("invalid_argument", `"now" expected Unix time in whole seconds, got ${describe(now)}`);
  }
  return now;
}

function roleArg(role: unknown): Role {
  if (role !== "admin" && role !== "member") {
    throw new ConfideError("invalid_argument", `"role" expected "admin" or "member", got ${describe(role)}`);
  }
  return role;
}

function stringArg(name: string, value: unknown, max: number): string {
  if (typeof value !== "string") {
    throw new ConfideError("invalid_argument", `"${name}" expected a string, got ${describe(value)}`);
  }
  if (value.length > max) {
    throw new ConfideError("invalid_argument", `"${name}" expected at most ${max} characters, got ${value.length}`);
  }
  return value;
}

function optionalString(name: string, value: unknown, max: number): string | undefined {
  return value === undefined ? undefined : stringArg(name, value, max);
}

/** An array of byte strings, each at most `max` bytes; at most 1,000,000 of them. */
function bytesList(name: string, value: unknown, max: number): Uint8Array[] {
  if (!Array.isArray(value)) {
    throw new ConfideError("invalid_argument", `"${name}" expected an array of Uint8Array, got ${describe(value)}`);
  }
  if (value.length > 1_000_000) {
    throw new ConfideError("invalid_argument", `"${name}" expected at most 1000000 items, got ${value.length}`);
  }
  return value.map((item, i) => bytesArg(`${name}[${i}]`, item, max));
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

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const memberToken = Symbol.for("confide.internal");
const workspaceToken = Symbol.for("confide.internal");

/**
 * A workspace member: one 32-byte seed held inside wasm memory, from which its Ed25519
 * signing key and X-Wing decryption key are derived. Call `free()` (or use `using`) when done.
 */
export class Member {
  #inner: WasmMember | undefined;
  #bundle: Uint8Array;
  #fingerprint: string;

  /** @internal Use {@link Member.generate}. */
  constructor(token: symbol, inner: WasmMember) {
    if (token !== memberToken || !(inner instanceof WasmMember)) {
      throw new ConfideError("invalid_argument", "use Member.generate()");
    }
    this.#inner = inner;
    this.#bundle = inner.publicBundle();
    this.#fingerprint = inner.fingerprint();
  }

  /**
   * A new member with a fresh random seed.
   * @throws {ConfideError} `not_initialized`, `random_unavailable`.
   */
  static generate(): Member {
    return new Member(memberToken, callSecret(() => WasmMember.generate()));
  }

  /**
   * The fingerprint of a public bundle, after verifying the bundle's self-signature.
   * @throws {ConfideError} `invalid_argument`, `malformed`, `unsupported_version`.
   */
  static fingerprintOf(bundle: Uint8Array): string {
    const b = bytesArg("bundle", bundle, 4096);
    return call(() => WasmMember.fingerprintOf(b));
  }

  /** The versioned public bundle (1316 bytes) the server stores. A fresh copy each time. */
  get publicBundle(): Uint8Array {
    return this.#bundle.slice();
  }

  /** The fingerprint people compare: 12 groups of 5 digits. */
  get fingerprint(): string {
    return this.#fingerprint;
  }

  /** The member id (base64url, 43 characters): how grants and the log name this member. */
  get id(): string {
    return base64url(call(() => memberIdOf(this.#bundle)));
  }

  /**
   * Signs a storage server's login challenge, proving to the server that this device holds
   * the member's key (no password). The 64-byte Ed25519 signature covers
   * `"confide/v1/server-challenge" || 0x00 || challenge`, so it can never pass as a log
   * entry, grant or acceptance signature, whatever the server sends.
   * @param challenge The server's challenge bytes (at most 1024).
   * @throws {ConfideError} `invalid_argument` if `challenge` is not a Uint8Array or too long;
   *   `freed`; `not_initialized`.
   */
  signServerChallenge(challenge: Uint8Array): Uint8Array {
    const c = bytesArg("challenge", challenge, 1024);
    const inner = Member.inner(this);
    return callSecret(() => inner.signServerChallenge(c));
  }

  /**
   * The member seed sealed under `passphrase` (at least 12 characters, not a common or
   * repetitive one), for the server to keep. Argon2id, 64 MiB and 9 passes by default
   * (`"interactive"`, about half a second in a browser), or 256 MiB and 4 passes
   * (`"sensitive"`). The passphrase is NFC-normalized first. Argon2id runs in a worker that is
   * discarded afterwards, so the page stays responsive and keeps none of its memory.
   * @throws {ConfideError} `weak_passphrase`, `invalid_argument`, `freed`, `random_unavailable`.
   */
  async exportWithPassphrase(passphrase: string, options: { strength?: "interactive" | "sensitive" } = {}): Promise<Uint8Array> {
    const p = passphraseArg(passphrase);
    const strength = typeof options === "object" && options !== null ? property(options, "strength", "strength") ?? "interactive" : undefined;
    if (strength !== "interactive" && strength !== "sensitive") {
      throw new ConfideError("invalid_argument", `"strength" expected "interactive" or "sensitive", got ${describe(strength)}`);
    }
    Member.inner(this); // `freed` before any work
    const plan = callSecret(() => prepareBackup(p, strength === "sensitive"));
    try {
      const input = plan.kdfInput();
      const key = await stretch(p, input).finally(() => input.free());
      try {
        const inner = Member.inner(this); // again: the member may have been freed meanwhile
        return callSecret(() => inner.finishBackup(plan, key));
      } finally {
        key.fill(0);
      }
    } finally {
      plan.free();
    }
  }

  /**
   * Opens a passphrase backup. Its Argon2id parameters are checked before any work, so a
   * hostile backup cannot freeze the page.
   * @throws {ConfideError} `wrong_passphrase`, `malformed`, `unsupported_version`,
   *   `decryption_failed`, `invalid_argument`.
   */
  static async importWithPassphrase(backup: Uint8Array, passphrase: string): Promise<Member> {
    const b = bytesArg("backup", backup, 4096);
    const p = passphraseArg(passphrase);
    // Steps 1 to 4 of FORMAT.md#passphrase-backup: a hostile backup is refused before any work.
    const input = call(() => backupKdfInput(b));
    const key = await stretch(p, input).finally(() => input.free());
    try {
      return new Member(memberToken, callSecret(() => WasmMember.openBackup(b, key)));
    } finally {
      key.fill(0);
    }
  }

  /**
   * The recovery kit: the seed as 11 groups of 5 characters with a checksum, to print or
   * write down and keep offline. Anyone holding it is this member.
   * @throws {ConfideError} `freed`.
   */
  recoveryKit(): string {
    const inner = Member.inner(this);
    return callSecret(() => inner.recoveryKit()) as string;
  }

  /**
   * The member behind a recovery kit. Case, spaces and hyphens are forgiven, and O, I, L
   * read as 0, 1, 1; any other typo, and any swap of two neighbours, is `bad_recovery_kit`.
   * @throws {ConfideError} `bad_recovery_kit`, `invalid_argument`.
   */
  static fromRecoveryKit(kit: string): Member {
    if (typeof kit !== "string" || kit.length > 1024) {
      throw new ConfideError("invalid_argument", `"kit" expected a string of at most 1024 characters, got ${describe(kit)}`);
    }
    return new Member(memberToken, callSecret(() => WasmMember.fromRecoveryKit(kit)));
  }

  /**
   * Keeps this member on this device (IndexedDB, under `name`), sealed by a non-extractable
   * WebCrypto key that is stored beside it. Raw seed bytes are never stored. Replaces any
   * member saved under the same name.
   * @throws {ConfideError} `device_storage_unavailable` (no IndexedDB, e.g. Node), `freed`.
   */
  async saveToDevice(options: { name?: string } = {}): Promise<void> {
    const name = storageName(options);
    const inner = Member.inner(this);
    await saveSeed(name, this.id, callSecret(() => inner.seedForDeviceStorage()));
  }

  /**
   * The member saved on this device under `name`.
   * @throws {ConfideError} `no_saved_member`, `device_storage_unavailable`, `decryption_failed`.
   */
  static async loadFromDevice(options: { name?: string } = {}): Promise<Member> {
    const name = storageName(options);
    assertReadyForDevice();
    const { seed, memberId } = await loadSeed(name);
    const member = new Member(memberToken, callSecret(() => WasmMember.fromDeviceSeed(seed)));
    seed.fill(0);
    if (member.id !== memberId) {
      member.free();
      throw new ConfideError("malformed", "the member saved on this device does not match its record");
    }
    return member;
  }

  /**
   * Forgets the member saved on this device under `name` (nothing happens if there is none).
   * @throws {ConfideError} `device_storage_unavailable`.
   */
  static async deleteFromDevice(options: { name?: string } = {}): Promise<void> {
    await deleteSeed(storageName(options));
  }

  /** @internal */
  static inner(member: unknown): WasmMember {
    if (!(member instanceof Member)) {
      throw new ConfideError("invalid_argument", `"member" expected Member, got ${describe(member)}`);
    }
    if (member.#inner === undefined) throw new ConfideError("freed", "this Member has been freed");
    return member.#inner;
  }

  /** Zeroizes and releases the seed. The object is unusable afterwards. Idempotent. */
  free(): void {
    this.#inner?.free();
    this.#inner = undefined;
  }

  [Symbol.dispose](): void {
    this.free();
  }
}
if (disposeSymbol !== Symbol.dispose) {
  Object.defineProperty(Member.prototype, disposeSymbol, { value: Member.prototype.free });
}

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
    const ctx = contextArg(context);
    const pad = padOption(options);
    const isText = typeof plaintext === "string";
    const bytes = isText ? new TextEncoder().encode(plaintext) : bytesArg("plaintext", plaintext, MAX_PLAINTEXT_BYTES);
    if (bytes.length > MAX_PLAINTEXT_BYTES) {
      throw new ConfideError("invalid_argument", `"plaintext" expected at most ${MAX_PLAINTEXT_BYTES} bytes, got ${bytes.length}`);
    }
    try {
      return call(() => this.#ws().encrypt(bytes, isText, ctx.recordId, ctx.field, pad));
    } finally {
      if (isText) bytes.fill(0);
    }
  }

  /**
   * Decrypts a record to bytes.
   * @throws {ConfideError} `decryption_failed` (wrong context or altered bytes),
   *   `wrong_workspace`, `unknown_epoch`, `malformed`, `unsupported_version`, `invalid_argument`.
   */
  decrypt(record: Uint8Array, context: RecordContext): Uint8Array {
    const r = bytesArg("record", record);
    const ctx = contextArg(context);
    return call(() => this.#ws().decrypt(r, ctx.recordId, ctx.field));
  }

  /**
   * Decrypts a record to a string (UTF-8).
   * @throws {ConfideError} as {@link decrypt}, and `malformed` if the plaintext is not UTF-8.
   */
  decryptText(record: Uint8Array, context: RecordContext): string {
    const bytes = this.decrypt(record, context);
    try {
      // ignoreBOM: a note that starts with U+FEFF keeps it (the default decoder drops it).
      return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      throw new ConfideError("malformed", "record plaintext is not UTF-8 text");
    } finally {
      bytes.fill(0);
    }
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
    return decryptMany(() => this.#ws(), items, options, (bytes) => bytes);
  }

  /**
   * {@link decryptMany} to strings (UTF-8, as {@link decryptText}); each plaintext's bytes are
   * zeroed once decoded. A record that is not UTF-8 text gets `malformed`.
   * @throws {ConfideError} as {@link decryptMany}.
   */
  decryptTextMany(items: readonly DecryptManyItem[], options: DecryptManyOptions = {}): Promise<DecryptManyResult<string>[]> {
    return decryptMany(() => this.#ws(), items, options, (bytes) => {
      try {
        return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
      } catch {
        throw new ConfideError("malformed", "record plaintext is not UTF-8 text");
      } finally {
        bytes.fill(0);
      }
    });
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
    const ctx = contextArg(context);
    const { pad, signal, onProgress, engine } = streamOptions(options);
    if (engine === "webcrypto" && pad) {
      throw new ConfideError("invalid_argument", `"engine": padded streams run on the wasm engine`);
    }
    if (!pad && engine !== "wasm" && hasWebCrypto()) {
      const keys = call(() => WasmMessageKeys.forEncryption(this.#ws(), false, ctx.recordId, ctx.field));
      return engineStream(webCryptoEncryptor(keys), signal, onProgress);
    }
    const encryptor = call(() => this.#ws().encryptStream(false, ctx.recordId, ctx.field, pad));
    return engineStream(
      wasmEngine((piece) => encryptor.push(piece), () => encryptor.finish(), () => encryptor.free(), false),
      signal,
      onProgress,
    );
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
    const ctx = contextArg(context);
    const { signal, onProgress, engine } = streamOptions(options);
    if (engine !== "wasm" && hasWebCrypto()) {
      return engineStream(webCryptoDecryptor(() => this.#ws(), ctx.recordId, ctx.field), signal, onProgress);
    }
    const decryptor = call(() => new WasmDecryptor(ctx.recordId, ctx.field));
    return engineStream(
      wasmEngine((piece) => decryptor.push(this.#ws(), piece), () => decryptor.finish(), () => decryptor.free(), true),
      signal,
      onProgress,
    );
  }

  /**
   * Decrypts plaintext bytes `[start, end)` of a record, like `Blob.slice`, fetching and
   * authenticating only the chunks that hold them (FORMAT.md#range-reads). Whenever the range
   * reaches the end of the record, the final chunk is authenticated too, so a truncated record
   * cannot pass for a short one. `end` defaults to the end of the record and is clamped to it.
   * @throws {ConfideError} `decryption_failed`, `wrong_workspace`, `unknown_epoch`, `malformed`,
   *   `unsupported_version`, `invalid_argument`, `freed`.
   */
  async decryptRange(source: RangeSource, context: RecordContext, start: number, end?: number): Promise<Uint8Array> {
    const ctx = contextArg(context);
    const src = rangeSource(source);
    // c2sp.org/chunked-encryption: fewer than 2^38 chunks, so offsets stay below 2^52.
    const maxOffset = 2 ** 38 * CHUNK_BYTES;
    for (const [name, value] of [["start", start], ["end", end ?? 0]] as const) {
      if (!Number.isSafeInteger(value) || value < 0 || value > maxOffset) {
        throw new ConfideError("invalid_argument", `"${name}" expected an integer in [0, 2^52], got ${describe(value)}`);
      }
    }
    const head = await src.read(0, MIN_RECORD_BYTES);
    const reader = call(() => new WasmChunkReader(this.#ws(), head, ctx.recordId, ctx.field));
    try {
      if (reader.padded) {
        // Padded records are notes: their payload length is known only after unpadding.
        const whole = src.size !== undefined ? await src.read(0, src.size) : await readToEnd(src);
        const plaintext = this.decrypt(whole, ctx);
        const out = plaintext.slice(start, end);
        plaintext.fill(0);
        return out;
      }
      return await readRange(src, reader, start, end);
    } finally {
      reader.free();
    }
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
    const wanted = member instanceof Uint8Array ? base64url(call(() => memberIdOf(bytesArg("member", member, 4096)))) : member;
    if (typeof wanted !== "string") {
      throw new ConfideError("invalid_argument", `"member" expected an id, a fingerprint or a bundle, got ${describe(member)}`);
    }
    const digits = wanted.replace(/\s+/g, " ").trim();
    const raw = call(() => this.#ws().members()) as { id: Uint8Array; fingerprint: string }[];
    const found = raw.find((m) => base64url(m.id) === wanted || m.fingerprint === digits);
    if (found === undefined) throw new ConfideError("not_a_member", "no current member has this id or fingerprint");
    return found.id;
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
if (disposeSymbol !== Symbol.dispose) {
  Object.defineProperty(Workspace.prototype, disposeSymbol, { value: Workspace.prototype.free });
}


interface Source {
  size: number | undefined;
  read(offset: number, length: number): Promise<Uint8Array>;
}

function rangeSource(source: unknown): Source {
  if (source instanceof Uint8Array) {
    return { size: source.length, read: async (o, l) => source.subarray(o, o + l) };
  }
  if (typeof Blob !== "undefined" && source instanceof Blob) {
    return { size: source.size, read: async (o, l) => new Uint8Array(await source.slice(o, o + l).arrayBuffer()) };
  }
  if (typeof source === "function") {
    return {
      size: undefined,
      async read(o, l) {
        let bytes: unknown;
        try {
          bytes = await (source as (o: number, l: number) => Promise<unknown>)(o, l);
        } catch {
          throw new ConfideError("invalid_argument", "the range source failed to read");
        }
        if (!(bytes instanceof Uint8Array)) {
          throw new ConfideError("invalid_argument", `the range source returned ${describe(bytes)}, expected Uint8Array`);
        }
        return bytes.subarray(0, l);
      },
    };
  }
  throw new ConfideError("invalid_argument", `"source" expected Blob, Uint8Array or (offset, length) => Promise<Uint8Array>, got ${describe(source)}`);
}

async function readToEnd(src: Source): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let offset = 0; ; ) {
    const part = await src.read(offset, 1 << 20);
    if (part.length === 0) break;
    parts.push(part.slice());
    offset += part.length;
    if (offset > MAX_RECORD_BYTES) throw new ConfideError("invalid_argument", "record too large to read whole");
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return out;
}

/** FORMAT.md#range-reads for an unpadded record. */
async function readRange(src: Source, reader: WasmChunkReader, start: number, end: number | undefined): Promise<Uint8Array> {
  const readChunk = (k: number) => src.read(PREFIX_BYTES + k * ENCRYPTED_CHUNK_BYTES, ENCRYPTED_CHUNK_BYTES);
  let plainSize: number | undefined;
  let k = Math.floor(start / CHUNK_BYTES);
  if (src.size !== undefined) {
    plainSize = plaintextSizeOrNaN(src.size);
    if (Number.isNaN(plainSize)) throw new ConfideError("decryption_failed", "decryption failed");
    const finalIndex = Math.floor((src.size - PREFIX_BYTES) / ENCRYPTED_CHUNK_BYTES);
    k = Math.min(k, finalIndex); // a range past the end still authenticates the final chunk
  }
  const parts: Uint8Array[] = [];
  for (;;) {
    let bytes = await readChunk(k);
    if (bytes.length === 0 && k > 0) {
      // Past the end of a source of unknown size: find the last chunk that has bytes.
      let lo = 0;
      let hi = k;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if ((await src.read(PREFIX_BYTES + mid * ENCRYPTED_CHUNK_BYTES, 1)).length > 0) lo = mid;
        else hi = mid;
      }
      k = lo;
      bytes = await readChunk(k);
      if (bytes.length === ENCRYPTED_CHUNK_BYTES) throw new ConfideError("decryption_failed", "decryption failed");
    }
    const isFinal = bytes.length < ENCRYPTED_CHUNK_BYTES;
    const plain = call(() => reader.openChunk(k, bytes, isFinal));
    const chunkStart = k * CHUNK_BYTES;
    const from = Math.max(start, chunkStart) - chunkStart;
    const to = Math.min(end ?? Infinity, chunkStart + plain.length) - chunkStart;
    if (to > from) parts.push(plain.slice(from, to));
    plain.fill(0);
    const chunkEnd = chunkStart + CHUNK_BYTES;
    const touchesEnd = end === undefined || plainSize === undefined ? true : end >= plainSize;
    if (isFinal || (end !== undefined && (chunkEnd > end || (chunkEnd === end && !touchesEnd)))) break;
    k++;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  for (const p of parts) p.fill(0);
  return out;
}

/**
 * Exact plaintext size of an unpadded record of `recordBytes` bytes (for a padded record, the
 * padded size, an upper bound). The inverse of {@link recordSize} with `pad: false`.
 * @throws {ConfideError} `invalid_argument` if no record has that length.
 */
export function plaintextSize(recordBytes: number): number {
  const n = plaintextSizeOrNaN(recordBytes);
  if (Number.isNaN(n)) {
    const got = typeof recordBytes === "number" ? String(recordBytes) : describe(recordBytes);
    throw new ConfideError("invalid_argument", `"recordBytes": no record has length ${got}`);
  }
  return n;
}

/** FORMAT.md#record-size inverted; NaN for a length no record has. */
function plaintextSizeOrNaN(recordBytes: number): number {
  if (!Number.isSafeInteger(recordBytes) || recordBytes < MIN_RECORD_BYTES) return NaN;
  const body = recordBytes - PREFIX_BYTES;
  const last = (body % ENCRYPTED_CHUNK_BYTES) - 16;
  return last < 0 ? NaN : Math.floor(body / ENCRYPTED_CHUNK_BYTES) * CHUNK_BYTES + last;
}

/**
 * Exact size in bytes of the record `encrypt` produces for a plaintext of `plaintextBytes`
 * bytes (UTF-8 bytes for strings), with or without padding.
 * @throws {ConfideError} `invalid_argument` for a negative, fractional or oversized length.
 */
export function recordSize(plaintextBytes: number, options: EncryptOptions = {}): number {
  const pad = padOption(options);
  const n = typeof plaintextBytes === "number" ? call(() => recordLength(plaintextBytes, pad)) : -1;
  if (n < 0) {
    throw new ConfideError("invalid_argument", `"plaintextBytes" expected an integer in [0, ${MAX_PLAINTEXT_BYTES}], got ${describe(plaintextBytes)}`);
  }
  return n;
}
