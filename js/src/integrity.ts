/**
 * Record integrity (FORMAT.md#revisions): the types of signed revisions, sign-offs and a
 * case's audit trail, the audit report, and minimisation helpers.
 */

import { WasmAuditTrail } from "../wasm/confide_wasm.js";
import { base64url } from "./args.js";
import { ConfideError } from "./errors.js";
import { aliasDispose, call, describe } from "./util.js";

/** One verified revision of a record. */
export interface RevisionInfo {
  /** From 1. */
  number: number;
  /** The revision hash, base64url. */
  hash: string;
  /** `"write"`, or `"delete"` for a signed tombstone. */
  kind: "write" | "delete";
  /** The author's member id. */
  author: string;
  /** When the author says it was written, Unix seconds. */
  time: number;
  /** The workspace log seq and case epoch it was written under. */
  workspaceSeq: number;
  keyEpoch: number;
  /** The revision's bytes, to pass as `previous`, to `signOff`, or to store. */
  bytes: Uint8Array;
}

/** What `case.write` returns: publish both. */
export interface WrittenRevision {
  record: Uint8Array;
  revision: Uint8Array;
}

/** What `case.openRecord` verified and opened. */
export interface OpenedRecord<T> {
  /** The latest revision's plaintext; `undefined` when the record is deleted. */
  value: T | undefined;
  /** Whether the latest revision is a signed tombstone. */
  deleted: boolean;
  /** The latest revision. */
  revision: RevisionInfo;
  /** Every verified revision given, oldest first. */
  revisions: RevisionInfo[];
  /** Keep it and pass it as `pin` next time: an older or other history is then refused. */
  pin: string;
  /** With an audit trail: whether it records this revision. `undefined` without one. */
  audited: boolean | undefined;
}

/** A verified sign-off. */
export interface SignOffInfo {
  /** The signer's member id. */
  signer: string;
  /** When the signer says it signed, Unix seconds. */
  time: number;
  /** The revision signed off. */
  revisionNumber: number;
}

/** What an audit entry records. */
export type AuditActionName = "create" | "edit" | "delete" | "sign-off" | "share" | "export" | "membership";

/** An event to append to a case's audit trail. */
export interface AuditEventInput {
  action: AuditActionName;
  recordId?: string;
  field?: string;
  /** The revision concerned (its bytes): the trail keeps its number and hash. */
  revision?: Uint8Array;
  /** At most 1024 bytes of UTF-8. */
  note?: string;
}

/** One verified audit entry. */
export interface AuditEntry {
  seq: number;
  /** The author's member id. */
  author: string;
  /** When the author says it happened, Unix seconds. */
  time: number;
  /** The case epoch whose summary key sealed it. */
  keyEpoch: number;
  /** The author's level on the case in that epoch. */
  authorLevel: "full" | "summary";
  /** `undefined` for an entry sealed before this member joined the case, or unreadable. */
  event: { action: AuditActionName; recordId: string; field: string; revisionNumber: number; revisionHash: string; note: string } | undefined;
  /** Its signed author wrote a body that does not open: it counts in the chain, and says nothing. */
  unreadable: boolean;
}

const auditToken = Symbol.for("confide.internal");

/**
 * A case's verified audit trail: read it, export it, and append to it with
 * `case.appendAudit`. Call `free()` when done.
 */
export class AuditTrail {
  #inner: WasmAuditTrail | undefined;

  /** @internal Use `case.verifyAudit`. */
  constructor(token: symbol, inner: WasmAuditTrail) {
    if (token !== auditToken || !(inner instanceof WasmAuditTrail)) {
      throw new ConfideError("invalid_argument", "use case.verifyAudit()");
    }
    this.#inner = inner;
  }

  /** @internal */
  static wrap(inner: WasmAuditTrail): AuditTrail {
    return new AuditTrail(auditToken, inner);
  }

  /** @internal The wasm trail. */
  static inner(trail: unknown): WasmAuditTrail {
    if (!(trail instanceof AuditTrail)) {
      throw new ConfideError("invalid_argument", `"trail" expected AuditTrail, got ${describe(trail)}`);
    }
    if (trail.#inner === undefined) throw new ConfideError("freed", "this AuditTrail has been freed");
    return trail.#inner;
  }

  /** The verified entries, oldest first. */
  get entries(): AuditEntry[] {
    const raw = call(() => AuditTrail.inner(this).records()) as {
      seq: number; authorId: Uint8Array; time: number; keyEpoch: number; authorLevel: "full" | "summary"; unreadable: boolean;
      event?: { action: AuditActionName; recordId: string; field: string; revisionNumber: number; revisionHash: Uint8Array; note: string };
    }[];
    return raw.map((r) => ({
      seq: r.seq,
      author: base64url(r.authorId),
      time: r.time,
      keyEpoch: r.keyEpoch,
      authorLevel: r.authorLevel,
      event: r.event && { ...r.event, revisionHash: base64url(r.event.revisionHash) },
      unreadable: r.unreadable,
    }));
  }

  /** How many entries the trail holds; the last one's seq is `length - 1`. */
  get length(): number {
    return call(() => AuditTrail.inner(this).length());
  }

  /** The head to keep and pass as `pin` next time; `undefined` while empty. */
  get head(): string | undefined {
    return call(() => AuditTrail.inner(this).head());
  }

  /**
   * The report a practice hands to a regulator, as CSV (RFC 4180, CRLF line ends): one row
   * per entry with its time (UTC), author, action, record, field, revision and note.
   * `names` maps member ids to display names. Cells that a spreadsheet would run as a
   * formula are prefixed with `'`.
   */
  toCsv(names: Readonly<Record<string, string>> = {}): string {
    const rows = [["seq", "time (UTC)", "author", "action", "record", "field", "revision", "revision hash", "note"]];
    for (const e of this.entries) {
      const ev = e.event;
      rows.push([
        String(e.seq), isoTime(e.time), names[e.author] ?? e.author,
        ev?.action ?? (e.unreadable ? "(unreadable entry)" : "(sealed before you joined)"), ev?.recordId ?? "", ev?.field ?? "",
        ev && ev.revisionNumber > 0 ? String(ev.revisionNumber) : "", ev && ev.revisionNumber > 0 ? ev.revisionHash : "", ev?.note ?? "",
      ]);
    }
    return rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
  }

  /**
   * The same report as a printable, self-contained HTML page (no scripts; every value
   * escaped). `title` heads it, e.g. the client's initials and the date range.
   */
  toHtml(title: string, names: Readonly<Record<string, string>> = {}): string {
    const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const body = this.entries.map((e) => {
      const ev = e.event;
      const cells = [
        String(e.seq), isoTime(e.time).replace("T", " ").replace(/\.\d+Z$/, " UTC"), names[e.author] ?? e.author,
        ev?.action ?? (e.unreadable ? "(unreadable)" : "(sealed)"), ev ? `${ev.recordId}${ev.field ? ` / ${ev.field}` : ""}` : "",
        ev && ev.revisionNumber > 0 ? String(ev.revisionNumber) : "", ev?.note ?? "",
      ];
      return `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`;
    }).join("\n");
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>` +
      `<style>body{font:12px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;width:100%}` +
      `td,th{border:1px solid #999;padding:.3em .5em;text-align:left;vertical-align:top}</style></head><body>` +
      `<h1>${esc(title)}</h1><p>Audit trail verified by Confide: every entry signed by its author and hash-chained; ` +
      `head ${esc(this.head ?? "(empty)")}.</p><table><thead><tr><th>#</th><th>Time</th><th>Author</th><th>Action</th>` +
      `<th>Record</th><th>Revision</th><th>Note</th></tr></thead><tbody>\n${body}\n</tbody></table></body></html>`;
  }

  /** The latest revision number of a record the trail records, or `undefined`. */
  latestRevision(recordId: string, field: string): number | undefined {
    let latest: number | undefined;
    for (const e of this.entries) {
      const ev = e.event;
      if (ev && e.authorLevel === "full" && ev.recordId === recordId && ev.field === field && ["create", "edit", "delete"].includes(ev.action)) {
        latest = Math.max(latest ?? 0, ev.revisionNumber);
      }
    }
    return latest;
  }

  /** Releases the trail. Idempotent. */
  free(): void {
    this.#inner?.free();
    this.#inner = undefined;
  }

  [Symbol.dispose](): void {
    this.free();
  }
}
aliasDispose(AuditTrail.prototype);

function csvCell(value: string): string {
  // A leading =, +, -, @, tab or CR makes spreadsheets evaluate the cell (OWASP: CSV injection).
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** `{ ..., authorId: Uint8Array }` from wasm to a {@link RevisionInfo}. */
/** A claimed time as ISO 8601, or the raw seconds when no date can hold it (an author may claim any). */
function isoTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isFinite(d.getTime()) ? d.toISOString() : `${seconds} s`;
}

export function revisionInfo(raw: unknown): RevisionInfo {
  const r = raw as { number: number; hash: Uint8Array; kind: "write" | "delete"; authorId: Uint8Array; time: number; workspaceSeq: number; keyEpoch: number; bytes: Uint8Array };
  return {
    number: r.number, hash: base64url(r.hash), kind: r.kind, author: base64url(r.authorId), time: r.time,
    workspaceSeq: r.workspaceSeq, keyEpoch: r.keyEpoch, bytes: r.bytes,
  };
}

/**
 * A name's initials, for records that should not carry the name ("John Doe" → "J.D.",
 * "anne-marie o'neil" → "A.O."): the first letter of each word, upper-cased, each followed
 * by a full stop. Pure and local: the name goes nowhere.
 * @throws {ConfideError} `invalid_argument` for a non-string or more than 1024 characters.
 */
export function initials(name: string): string {
  if (typeof name !== "string" || name.length > 1024) {
    throw new ConfideError("invalid_argument", `"name" expected a string of at most 1024 characters, got ${describe(name)}`);
  }
  return name
    .normalize("NFC")
    .split(/[\s\p{Z}]+/u)
    .map((word) => word.match(/\p{L}/u)?.[0])
    .filter((letter): letter is string => letter !== undefined)
    .map((letter) => `${letter.toLocaleUpperCase()}.`)
    .join("");
}
