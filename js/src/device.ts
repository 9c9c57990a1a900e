/**
 * Device storage of a member seed (docs/SECURITY.md#device-storage): IndexedDB holds the seed
 * sealed with AES-256-GCM under a non-extractable WebCrypto key, and that key itself (as a
 * structured-clone CryptoKey, whose bytes script can never read). Raw seed bytes are never
 * stored. Internal: `Member.saveToDevice` and `Member.loadFromDevice` are the API.
 */

import { ConfideError } from "./errors.js";

const DB_NAME = "confide";
const STORE = "members";
const RECORD_VERSION = 1;
/** AES-GCM AAD: a label, the record version and the member id, so records cannot be swapped. */
const AAD_LABEL = "confide/v1/device-seed\u0000";

/** What one stored member looks like in IndexedDB. */
interface StoredMember {
  version: number;
  memberId: string;
  key: CryptoKey;
  iv: Uint8Array;
  sealed: Uint8Array;
}

function unavailable(): ConfideError {
  return new ConfideError("device_storage_unavailable", "this environment has no IndexedDB and WebCrypto to keep a member on the device");
}

function aad(memberId: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${AAD_LABEL}${RECORD_VERSION}\u0000${memberId}`) as Uint8Array<ArrayBuffer>;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new ConfideError("device_storage_unavailable", "IndexedDB refused the request"));
  });
}

async function open(): Promise<IDBDatabase> {
  if (typeof indexedDB === "undefined" || typeof crypto?.subtle?.generateKey !== "function") throw unavailable();
  const req = indexedDB.open(DB_NAME, 1);
  req.onupgradeneeded = () => {
    if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
  };
  return request(req);
}

async function withStore<T>(mode: IDBTransactionMode, f: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await request(f(db.transaction(STORE, mode).objectStore(STORE)));
  } finally {
    db.close();
  }
}

/** Seals `seed` under a fresh non-extractable key and stores both under `name`. Zeroes `seed`. */
export async function saveSeed(name: string, memberId: string, seed: Uint8Array): Promise<void> {
  try {
    await open().then((db) => db.close());
    const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(memberId) }, key, seed as Uint8Array<ArrayBuffer>),
    );
    const record: StoredMember = { version: RECORD_VERSION, memberId, key, iv, sealed };
    await withStore("readwrite", (store) => store.put(record, name));
  } finally {
    seed.fill(0);
  }
}

/** The seed stored under `name`, unsealed; the caller zeroes it. */
export async function loadSeed(name: string): Promise<{ seed: Uint8Array; memberId: string }> {
  const record = (await withStore("readonly", (store) => store.get(name))) as StoredMember | undefined;
  if (record === undefined) {
    throw new ConfideError("no_saved_member", "no member is saved on this device under this name");
  }
  if (record.version !== RECORD_VERSION || !(record.key instanceof CryptoKey) || typeof record.memberId !== "string") {
    throw new ConfideError("malformed", "the member saved on this device is not in a format this version reads");
  }
  try {
    const seed = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: record.iv as Uint8Array<ArrayBuffer>, additionalData: aad(record.memberId) },
      record.key,
      record.sealed as Uint8Array<ArrayBuffer>,
    );
    return { seed: new Uint8Array(seed), memberId: record.memberId };
  } catch {
    throw new ConfideError("decryption_failed", "decryption failed");
  }
}

/** Removes the member stored under `name`, if any. */
export async function deleteSeed(name: string): Promise<void> {
  await withStore("readwrite", (store) => store.delete(name));
}
