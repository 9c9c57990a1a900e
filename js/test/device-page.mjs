// Loaded by device.html after the suite saved a member (browser.mjs opens it, then reloads
// it): a new page, a new wasm instance, the same IndexedDB. Leaves the outcome on window.
import { init, Member } from "confide-hazmat";

try {
  await init();
  const expected = localStorage.getItem("confide-reload-check");
  const member = await Member.loadFromDevice({ name: "reload-check" });
  window.__device = { ok: expected !== null && member.fingerprint === expected, message: "fingerprint after reload" };
} catch (e) {
  window.__device = { ok: false, message: `${e?.name}: ${e?.code ?? e?.message}` };
}
