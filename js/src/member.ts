/** The member: its seed, backups, recovery kits, the device store; invites from the invitee's side. */

import { acceptInvite, backupKdfInput, describeInvite, memberIdOf, prepareBackup, WasmMember } from "../wasm/confide_wasm.js";
import { assertReadyForDevice, base64url, passphraseArg, storageName, stringArg } from "./args.js";
import { deleteSeed, loadSeed, saveSeed } from "./device.js";
import { ConfideError } from "./errors.js";
import { stretch } from "./kdf.js";
import type { InviteDescription } from "./types.js";
import { aliasDispose, bytesArg, call, callSecret, describe, property } from "./util.js";

const memberToken = Symbol.for("confide.internal");
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
aliasDispose(Member.prototype);

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
