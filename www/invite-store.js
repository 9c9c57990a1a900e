// A pending invite, kept on this device until it is used or expires, never on the server.
//
// The link holds the invite secret, so it is stored the way the package stores a member
// (FORMAT.md#device-storage): sealed with AES-256-GCM under a non-extractable WebCrypto key
// generated on this device and stored beside it as a structured clone, so the IndexedDB files
// alone (a copied profile, a disk backup) do not open it. The AAD binds the record's own
// fields, so a sealed link moved to another record, or a record rewritten to name another
// identity or workspace, does not open:
//
//   AAD = "confide-demo/v1/pending-invite" || 0x00 || "1" || 0x00 || workspaceId || 0x00 ||
//         inviteId || 0x00 || memberId (empty until an identity has accepted it)
//
// Database "confide-demo", store "pending-invites", keyed by invite id:
//   { version: 1, workspaceId, inviteId, memberId, savedAt, key, iv, sealed }
// Like the package's device storage, it protects against reading the files, not against
// script running in the page.

const DB_NAME = "confide-demo";
const STORE = "pending-invites";
const RECORD_VERSION = 1;
const AAD_LABEL = "confide-demo/v1/pending-invite\u0000";
/** The longest an invite can stay open (FORMAT.md#invite-entry: 90 days). */
const MAX_AGE_MS = 90 * 86_400_000;

function aad({ workspaceId, inviteId, memberId }) {
  return new TextEncoder().encode(
    `${AAD_LABEL}${RECORD_VERSION}\u0000${workspaceId}\u0000${inviteId}\u0000${memberId ?? ""}`,
  );
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new Error("IndexedDB refused the request"));
  });
}

async function withStore(mode, fn) {
  if (typeof indexedDB === "undefined") throw new Error("no IndexedDB");
  const open = indexedDB.open(DB_NAME, 1);
  open.onupgradeneeded = () => {
    if (!open.result.objectStoreNames.contains(STORE)) open.result.createObjectStore(STORE);
  };
  const db = await request(open);
  try {
    return await request(fn(db.transaction(STORE, mode).objectStore(STORE)));
  } finally {
    db.close();
  }
}

async function seal(key, fields, link) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(fields) }, key, new TextEncoder().encode(link)),
  );
  return { iv, sealed };
}

/**
 * Keeps `link` (for `workspaceId`/`inviteId`) on this device, bound to `memberId` once an
 * identity has accepted it. Replaces an earlier record of the same invite.
 */
export async function keepInvite(link, { workspaceId, inviteId }, memberId = null) {
  const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  const fields = { workspaceId, inviteId, memberId };
  const { iv, sealed } = await seal(key, fields, link);
  const record = { version: RECORD_VERSION, ...fields, savedAt: Date.now(), key, iv, sealed };
  await withStore("readwrite", (store) => store.put(record, inviteId));
}

/**
 * The pending invites this identity may use, newest first: those it accepted, and those no
 * identity has accepted yet. Records past the longest invite lifetime are dropped.
 */
export async function pendingInvites(memberId) {
  const records = (await withStore("readonly", (store) => store.getAll())) ?? [];
  const out = [];
  for (const r of records) {
    if (r?.version !== RECORD_VERSION || !(r.key instanceof CryptoKey)) continue;
    if (Date.now() - r.savedAt > MAX_AGE_MS) {
      await forgetInvite(r.inviteId);
      continue;
    }
    if (r.memberId === null || (memberId !== null && r.memberId === memberId)) out.push(r);
  }
  return out.sort((a, b) => b.savedAt - a.savedAt);
}

/** The link of a record from pendingInvites; throws if it does not open (moved or altered). */
export async function openInvite(record) {
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: record.iv, additionalData: aad(record) },
    record.key,
    record.sealed,
  );
  return new TextDecoder().decode(plain);
}

export async function forgetInvite(inviteId) {
  await withStore("readwrite", (store) => store.delete(inviteId));
}
