// Reads tests/vectors/*.txt from disk (Node). Browsers fetch them: see browser.html.
import { readdirSync, readFileSync } from "node:fs";
import { parseVector } from "./vector-format.mjs";

export { hex, toHex } from "./vector-format.mjs";

export function loadVectors(dir = new URL("./vectors/", import.meta.url)) {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".txt"))
    .sort()
    .map((name) => parseVector(name, readFileSync(new URL(name, dir), "utf8")));
}
