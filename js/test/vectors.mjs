// Reads tests/vectors/*.txt (docs/FORMAT.md#test-vectors): `name: value` lines.
import { readdirSync, readFileSync } from "node:fs";

export const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
export const toHex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, "0")).join("");

export function loadVectors(dir = new URL("./vectors/", import.meta.url)) {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".txt"))
    .sort()
    .map((name) => {
      const fields = {};
      for (const line of readFileSync(new URL(name, dir), "utf8").split("\n")) {
        if (!line) continue;
        const i = line.indexOf(": ");
        fields[i < 0 ? line.replace(/:$/, "") : line.slice(0, i)] = i < 0 ? "" : line.slice(i + 2);
      }
      return { name, ...fields };
    });
}
