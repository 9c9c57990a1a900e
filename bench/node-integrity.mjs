// Runs bench/integrity.mjs in this Node process and prints one JSON line on stdout.
// Usage: node bench/node-integrity.mjs '{"ms":800,"rounds":5,"warmupMs":300}'
import { runIntegrity } from "./integrity.mjs";

const opts = JSON.parse(process.argv[2] ?? "{}");
const result = await runIntegrity({ ...opts, log: (m) => process.stderr.write(`  [node] ${m}\n`) });
process.stdout.write(JSON.stringify({ ...result, node: process.version }) + "\n");
