// Searches raw bytes for plaintext: exact strings, and every 64-byte window of a file.
//
// The window search is Rabin-Karp: a rolling hash of every 64-byte window of the needle
// file goes into a sorted table (and a bitmap in front of it for speed); then every offset
// of every haystack is hashed the same way, and each hash found in the table is confirmed
// by comparing the 64 bytes. Every window of the needle and every offset of the haystack
// is covered; a hash collision costs a comparison, never a missed match.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export const WINDOW = 64;
const P = 1_000_000_007; // prime modulus; hash * 257 + byte stays below 2^53
const B = 257;
const POW = (() => {
  let p = 1;
  for (let i = 0; i < WINDOW - 1; i++) p = (p * B) % P;
  return p;
})();
const POS_BITS = 2 ** 23; // positions up to 8 MiB; hash * 2^23 + pos < 2^53
const BITMAP_BITS = 1 << 27;

/** Calls `fn(hash, offset)` for every 64-byte window of `bytes`. */
function eachWindowHash(bytes, fn) {
  if (bytes.length < WINDOW) return;
  let h = 0;
  for (let i = 0; i < WINDOW; i++) h = (h * B + bytes[i]) % P;
  fn(h, 0);
  for (let i = WINDOW; i < bytes.length; i++) {
    h = (h + P - ((bytes[i - WINDOW] * POW) % P)) % P;
    h = (h * B + bytes[i]) % P;
    fn(h, i - WINDOW + 1);
  }
}

/** An index of every 64-byte window of `needle` (at most 8 MiB). */
export function indexWindows(needle) {
  if (needle.length > POS_BITS) throw new RangeError("needle too large for the index");
  const keys = new Float64Array(Math.max(0, needle.length - WINDOW + 1));
  const bitmap = new Uint8Array(BITMAP_BITS / 8);
  eachWindowHash(needle, (h, pos) => {
    keys[pos] = h * POS_BITS + pos;
    const bit = h % BITMAP_BITS;
    bitmap[bit >> 3] |= 1 << (bit & 7);
  });
  keys.sort();
  return { needle, keys, bitmap };
}

function firstKeyAtLeast(keys, value) {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first offset in `hay` where some 64-byte window of the indexed needle occurs, or -1. */
export function findAnyWindow(index, hay) {
  const { needle, keys, bitmap } = index;
  let found = -1;
  eachWindowHash(hay, (h, offset) => {
    if (found >= 0) return;
    const bit = h % BITMAP_BITS;
    if ((bitmap[bit >> 3] & (1 << (bit & 7))) === 0) return;
    for (let k = firstKeyAtLeast(keys, h * POS_BITS); k < keys.length && Math.floor(keys[k] / POS_BITS) === h; k++) {
      const pos = keys[k] - h * POS_BITS;
      if (Buffer.compare(hay.subarray(offset, offset + WINDOW), needle.subarray(pos, pos + WINDOW)) === 0) {
        found = offset;
        return;
      }
    }
  });
  return found;
}

/** Every regular file under `dir`, recursively, with its bytes. */
export function readTree(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const info = statSync(path);
    if (info.isDirectory()) out.push(...readTree(path));
    else if (info.isFile()) out.push({ path, bytes: readFileSync(path) });
  }
  return out;
}
