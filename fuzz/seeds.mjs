// Writes the fuzz targets' seed corpora from tests/vectors (FORMAT.md#test-vectors): each
// target starts from the vectors of what it parses, so it reaches past the cheap checks.
// Usage: node fuzz/seeds.mjs OUT_DIR   (make fuzz writes build/fuzz/corpus/<target>/)
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const out = process.argv[2];
if (!out) throw new Error("usage: node fuzz/seeds.mjs OUT_DIR");
const root = new URL("../tests/vectors/", import.meta.url);
const hex = (s) => Buffer.from(s, "hex");
const list = (field) => (field ? field.split(" ").filter(Boolean).map(hex) : []);
/** `u16 length || bytes` per item: the framing of the list targets (fuzz/src/lib.rs). */
const framed = (items) => Buffer.concat(items.flatMap((b) => [Buffer.from([b.length >> 8, b.length & 0xff]), b]));

const seeds = {};
const add = (target, name, bytes) => ((seeds[target] ??= []).push([name, bytes]));
for (const dir of ["", "v1/"]) {
  for (const file of readdirSync(new URL(dir, root)).filter((f) => f.endsWith(".txt"))) {
    const name = (dir + file).replace(/[/.]/g, "_");
    const v = {};
    for (const line of readFileSync(new URL(dir + file, root), "utf8").split("\n")) {
      const i = line.indexOf(": ");
      if (i > 0) v[line.slice(0, i)] = line.slice(i + 2);
    }
    if (v.record) {
      const record = hex(v.record);
      add("record", name, record);
      for (const size of [1, 170]) add("record_stream", `${name}-${size}`, Buffer.concat([Buffer.from([size]), record]));
      add("record_range", name, Buffer.concat([Buffer.from([0]), record]));
    }
    if (v.grant) add("grant", name, hex(v.grant));
    if (v.bundle) add("bundle", name, hex(v.bundle));
    if (v.acceptance) add("acceptance", name, hex(v.acceptance));
    if (v.backup) add("backup", name, hex(v.backup));
    if (v.kit) add("recovery_kit", name, Buffer.from(v.kit));
    if (v["invite link"]) add("invite_link", name, Buffer.from(v["invite link"]));
    for (const head of [v.head, v["pinned head"]]) if (head) add("head", `${name}-${head.slice(0, 8)}`, Buffer.from(head));
    if (v.log) {
      const entries = list(v.log);
      add("log", name, framed(entries));
      entries.forEach((e, i) => add("log_entry", `${name}-${i}`, e));
    }
    if (v.history) add("history_link", name, framed(list(v.history)));
  }
}
// Every target gets a directory; those with no vector of their own (the structure-aware and
// differential ones) start empty.
for (const file of readdirSync(new URL("./fuzz_targets/", import.meta.url))) {
  mkdirSync(join(out, file.replace(/\.rs$/, "")), { recursive: true });
}
for (const [target, items] of Object.entries(seeds)) {
  const dir = join(out, target);
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of items) writeFileSync(join(dir, name), bytes);
}
console.log(Object.entries(seeds).map(([t, items]) => `${t}: ${items.length}`).join(", "));
