// What a backup unlock leaves in the wasm instance (docs/SECURITY.md): linear memory before
// and after an unlock at each strength. Wasm memory never shrinks, so the growth stays for
// the page's life (zeroized). Prints one JSON line. Usage: node bench/argon2-memory.mjs
import { readFileSync } from "node:fs";
import { init, Member } from "../js/dist/index.js";
import { initSync } from "../js/wasm/confide_wasm.js";

await init();
// init() already instantiated the module; initSync returns those same exports (and memory).
const wasm = initSync({ module: new WebAssembly.Module(readFileSync(new URL("../js/wasm/confide_wasm_bg.wasm", import.meta.url))) });
const mib = () => wasm.memory.buffer.byteLength / (1 << 20);
const passphrase = "correct horse battery staple";
const member = Member.generate();
const before = mib();
const interactive = await member.exportWithPassphrase(passphrase);
const afterInteractiveExport = mib();
await Member.importWithPassphrase(interactive, passphrase);
const afterInteractive = mib();
const sensitive = await member.exportWithPassphrase(passphrase, { strength: "sensitive" });
await Member.importWithPassphrase(sensitive, passphrase);
const afterSensitive = mib();
console.log(JSON.stringify({ before, afterInteractiveExport, afterInteractive, afterSensitive }));
