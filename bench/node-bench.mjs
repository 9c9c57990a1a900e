// Runs bench/cases.mjs in this Node process and prints one JSON line on stdout.
// Usage: node bench/node-bench.mjs '{"ms":1000,"rounds":3,"warmupMs":300}'
import { runCases } from "./cases.mjs";

const opts = JSON.parse(process.argv[2] ?? "{}");
const result = await runCases({ ...opts, log: (m) => process.stderr.write(`  [node] ${m}\n`) });
process.stdout.write(JSON.stringify({ ...result, node: process.version }) + "\n");
