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

export { init } from "./init.js";
export { Invite, Member } from "./member.js";
export { Workspace } from "./workspace.js";
export { Case } from "./case.js";
export type {
  CaseChange, CaseCreateOptions, CaseEncryptOptions, CaseLevel, CaseLoadOptions, CaseMember, CaseStreamOptions,
  CaseWriteOptions, OpenRecordInput,
} from "./case.js";
export { AuditTrail, initials } from "./integrity.js";
export type {
  AuditActionName, AuditEntry, AuditEventInput, OpenedRecord, RevisionInfo, SignOffInfo, WrittenRevision,
} from "./integrity.js";
export { plaintextSize, recordSize } from "./sizes.js";
export { ConfideError, isConfideError } from "./errors.js";
export type { ConfideErrorCode } from "./errors.js";
export type { DecryptManyItem, DecryptManyOptions, DecryptManyResult } from "./batch.js";
/** Largest plaintext one `encrypt` call takes (256 MiB); stream anything larger. */
export { MAX_PLAINTEXT_BYTES } from "./util.js";
export type {
  Admission, CreatedInvite, EncryptOptions, InitOptions, InviteDescription, LoadOptions, LogTimeOptions, MemberGrant,
  RangeSource, RecordContext, Role, Rotation, StreamEngine, StreamOptions, WorkspaceMember,
} from "./types.js";
