// What a backup unlock leaves in the package's wasm instance (docs/SECURITY.md#memory): its
// linear memory before and after unlocks at each strength, which run Argon2id in a throwaway
// worker instance of the Argon2 module; then after one Argon2id on this thread, as the
// fallback without workers does, which grows the Argon2 module's instance, not the package's.
// Prints one JSON line.
// Usage: node bench/argon2-memory.mjs
import { readFileSync } from "node:fs";
import { init, Member } from "../js/dist/index.js";
import { initSync } from "../js/wasm/confide_wasm.js";
import { argon2Stretch, initSync as initKdf } from "../js/wasm/confide_kdf.js";

await init();
// init() already instantiated the module; initSync returns those same exports (and memory).
const wasm = initSync({ module: new WebAssembly.Module(readFileSync(new URL("../js/wasm/confide_wasm_bg.wasm", import.meta.url))) });
const mib = () => wasm.memory.buffer.byteLength / (1 << 20);
const passphrase = "correct horse battery staple";
const member = Member.generate();
const before = mib();
const interactive = await member.exportWithPassphrase(passphrase);
await Member.importWithPassphrase(interactive, passphrase);
const afterInteractive = mib();
const sensitive = await member.exportWithPassphrase(passphrase, { strength: "sensitive" });
await Member.importWithPassphrase(sensitive, passphrase);
const afterSensitive = mib();
const kdf = initKdf({ module: new WebAssembly.Module(readFileSync(new URL("../js/wasm/confide_kdf_bg.wasm", import.meta.url))) });
argon2Stretch(passphrase, new Uint8Array(32), 64 * 1024, 3, 1).fill(0);
const afterInProcess = mib();
const argonInstance = kdf.memory.buffer.byteLength / (1 << 20);
console.log(JSON.stringify({ before, afterInteractive, afterSensitive, afterInProcess, argonInstance }));
