/** Checks of the arguments a caller passes (a ConfideError names the argument, never its value). */

import { ConfideError } from "./errors.js";
import type { Role } from "./types.js";
import { bytesArg, call, describe, property } from "./util.js";

export function passphraseArg(passphrase: unknown): string {
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

export function storageName(options: unknown): string {
  if (typeof options !== "object" || options === null) {
    throw new ConfideError("invalid_argument", `"options" expected { name? }, got ${describe(options)}`);
  }
  const name = property(options, "name", "name") ?? "default";
  if (typeof name !== "string" || name.length === 0 || name.length > 256) {
    throw new ConfideError("invalid_argument", `"name" expected a non-empty string of at most 256 characters, got ${describe(name)}`);
  }
  return name;
}

export function assertReadyForDevice(): void {
  call(() => undefined); // not_initialized before init()
}

export function nowOption(options: unknown): number {
  if (typeof options !== "object" || options === null) {
    throw new ConfideError("invalid_argument", `"options" expected an object, got ${describe(options)}`);
  }
  const now = property(options, "now", "now") ?? Math.floor(Date.now() / 1000);
  if (typeof now !== "number" || !Number.isSafeInteger(now) || now < 0) {
    throw new ConfideError("invalid_argument", `"now" expected Unix time in whole seconds, got ${describe(now)}`);
  }
  return now;
}

export function roleArg(role: unknown): Role {
  if (role !== "admin" && role !== "member") {
    throw new ConfideError("invalid_argument", `"role" expected "admin" or "member", got ${describe(role)}`);
  }
  return role;
}

export function stringArg(name: string, value: unknown, max: number): string {
  if (typeof value !== "string") {
    throw new ConfideError("invalid_argument", `"${name}" expected a string, got ${describe(value)}`);
  }
  if (value.length > max) {
    throw new ConfideError("invalid_argument", `"${name}" expected at most ${max} characters, got ${value.length}`);
  }
  return value;
}

export function optionalString(name: string, value: unknown, max: number): string | undefined {
  return value === undefined ? undefined : stringArg(name, value, max);
}

/** An array of byte strings, each at most `max` bytes; at most 1,000,000 of them. */
export function bytesList(name: string, value: unknown, max: number): Uint8Array[] {
  if (!Array.isArray(value)) {
    throw new ConfideError("invalid_argument", `"${name}" expected an array of Uint8Array, got ${describe(value)}`);
  }
  if (value.length > 1_000_000) {
    throw new ConfideError("invalid_argument", `"${name}" expected at most 1000000 items, got ${value.length}`);
  }
  return value.map((item, i) => bytesArg(`${name}[${i}]`, item, max));
}

export function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Bytes of unpadded base64url text, or undefined if it is not that. */
export function fromBase64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
