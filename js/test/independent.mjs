// An independent decryptor for Confide records, written from docs/FORMAT.md alone.
// It uses nothing but WebCrypto (crypto.subtle): HMAC-SHA512 (version 2, Cobblestone-256)
// or HMAC-SHA256 (version 1) for HKDF-Expand (WebCrypto's HKDF always runs Extract first,
// and C2SP specifies Expand only) and AES-256-GCM.
// It imports no Confide code. It runs unchanged in Node and in browsers.

const subtle = globalThis.crypto.subtle;
export const utf8 = (s) => new TextEncoder().encode(s);
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
const u16 = (n) => Uint8Array.of(n >> 8, n & 0xff);

// RFC 5869 §2.3 HKDF-Expand with HMAC over `hash` ("SHA-256" or "SHA-512", of `hashLen` bytes).
async function hkdfExpand(hash, hashLen, prk, info, length) {
  const key = await subtle.importKey("raw", prk, { name: "HMAC", hash }, false, ["sign"]);
  let t = new Uint8Array(0);
  const out = [];
  for (let i = 1; out.length * hashLen < length; i++) {
    t = new Uint8Array(await subtle.sign("HMAC", key, concat(t, info, Uint8Array.of(i))));
    out.push(t);
  }
  return concat(...out).subarray(0, length);
}

export class Rejected extends Error {}

// FORMAT.md#padding: max(256, PADMÉ(len + 1)).
function paddedLength(payloadLength) {
  const l = payloadLength + 1;
  let padme = l;
  if (l >= 2) {
    const e = Math.floor(Math.log2(l));
    const s = Math.floor(Math.log2(e)) + 1;
    const mask = 2 ** (e - s) - 1;
    padme = Math.ceil(l / (mask + 1)) * (mask + 1);
  }
  return Math.max(256, padme);
}

// FORMAT.md#record: header(26) || salt(24) || commitment(32) || chunks.
// A case record (version 3, FORMAT.md#case-records) is read the same way with the case key of
// its epoch and level; flags bit 1 marks the summary level.
export async function independentDecrypt(contentKey, record, recordId, field) {
  if (record.length < 26 + 56 + 16) throw new Rejected("short");
  const header = record.subarray(0, 26);
  if (header[0] !== 0x43 || header[1] !== 0x46 || header[2] !== 0x52) throw new Rejected("tag");
  // FORMAT.md#record-header: version 1 derives with SHA-256, versions 2 and 3 (Cobblestone-256) with SHA-512.
  const [hash, hashLen] = { 1: ["SHA-256", 32], 2: ["SHA-512", 64], 3: ["SHA-512", 64] }[header[3]] ?? [];
  if (hash === undefined) throw new Rejected("version");
  const contentType = header[4];
  const flags = header[5];
  if (contentType > 1 || (flags & ~(header[3] === 3 ? 3 : 1)) !== 0) throw new Rejected("header");
  const rid = utf8(recordId);
  const fld = utf8(field);
  // FORMAT.md#record-context
  const context = concat(utf8("confide/v1/record\0"), header, u16(rid.length), rid, u16(fld.length), fld);
  const message = record.subarray(26);
  const salt = message.subarray(0, 24);
  const commitment = message.subarray(24, 56);
  // FORMAT.md#chunked-encryption: HKDF-Expand(content key, label || 0x00 || salt || context, 76)
  const okm = await hkdfExpand(hash, hashLen, contentKey, concat(utf8("c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM\0"), salt, context), 76);
  const [key, baseNonce, expected] = [okm.subarray(0, 32), okm.subarray(32, 44), okm.subarray(44, 76)];
  if (expected.some((b, i) => b !== commitment[i])) throw new Rejected("commitment");
  const body = message.subarray(56);
  const finalLen = body.length % 16400;
  if (finalLen < 16) throw new Rejected("length");
  const aes = await subtle.importKey("raw", key, "AES-GCM", false, ["decrypt"]);
  const chunks = [];
  for (let index = 0, off = 0; off < body.length; index++, off += 16400) {
    const nonce = baseNonce.slice();
    for (let j = 0; j < 8; j++) nonce[11 - j] ^= Number((BigInt(index) >> BigInt(8 * j)) & 0xffn);
    try {
      chunks.push(new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: nonce, tagLength: 128 }, aes, body.subarray(off, off + 16400))));
    } catch {
      throw new Rejected("tag");
    }
  }
  let plaintext = concat(...chunks);
  if (flags & 1) {
    // FORMAT.md#padding: payload || 0x80 || 0x00*, canonical PADMÉ length.
    let end = plaintext.length - 1;
    while (end >= 0 && plaintext[end] === 0) end--;
    if (end < 0 || plaintext[end] !== 0x80 || paddedLength(end) !== plaintext.length) throw new Rejected("padding");
    plaintext = plaintext.subarray(0, end);
  }
  if (contentType === 1) {
    try { new TextDecoder("utf-8", { fatal: true }).decode(plaintext); } catch { throw new Rejected("utf-8"); }
  }
  return { contentType, plaintext };
}

