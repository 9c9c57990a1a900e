// Loaded by browser.html: fetches the vectors, runs suite.mjs, leaves the result on window.
import * as confide from "confide-hazmat";
import * as hazmat from "confide-hazmat/hazmat";
import { parseVector } from "./vector-format.mjs";
import { runSuite } from "./suite.mjs";

try {
  const names = await (await fetch("./vectors/index.json")).json();
  const vectors = await Promise.all(names.map(async (n) => parseVector(n, await (await fetch(`./vectors/${n}`)).text())));
  window.__suite = await runSuite({ confide, hazmat, vectors });
} catch (e) {
  window.__suite = { passed: 0, total: 1, failed: [{ name: "harness", message: String(e?.stack ?? e) }] };
}
