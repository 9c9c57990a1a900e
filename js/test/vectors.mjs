// Reads tests/vectors/*.txt from disk (Node). Browsers fetch them: see browser.html.
import { readdirSync, readFileSync } from "node:fs";
import { parseVector } from "./vector-format.mjs";

export { hex, toHex } from "./vector-format.mjs";

/** The generated vectors and the frozen version-1 records in vectors/v1/ (FORMAT.md#test-vectors). */
export function vectorNames(dir = new URL("./vectors/", import.meta.url)) {
  const list = (sub) => readdirSync(new URL(sub, dir)).filter((f) => f.endsWith(".txt")).map((f) => sub + f);
  return [...list(""), ...list("v1/")].sort();
}

export function loadVectors(dir = new URL("./vectors/", import.meta.url)) {
  return vectorNames(dir).map((name) => parseVector(name, readFileSync(new URL(name, dir), "utf8")));
}
