/** The public types of the package's API. */

import type { WasmSource } from "./load.js";

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
