// Your identity: creating it (and saving the recovery kit), keeping it in this browser,
// restoring it from a kit.
import { Member } from "/pkg/dist/index.js";
import { Session } from "./api.js";
import { PageError } from "./errors.js";
import { focusOn, state, ui } from "./ui.js";

/** What happens once an identity is logged in (set by app.js). */
export const hooks = { ready: async () => {} };

/** Logs `member` in and moves on: the kit step for a new identity, then the workspace. */
async function useIdentity(member, { isNew, how }) {
  state.member = member;
  state.session = new Session(state.member);
  await state.session.login();
  ui.myFingerprint.textContent = state.member.fingerprint;
  ui.sessionState.textContent = `${how} Logged in by signing the server's challenge (no password).`;
  ui.identityNew.hidden = true;
  ui.identityFacts.hidden = false;
  if (isNew) await saveRecoveryKit();
  await hooks.ready();
}

export async function createIdentity() {
  const member = Member.generate();
  await keepOnDevice(member);
  await useIdentity(member, { isNew: true, how: "New identity, kept in this browser." });
}

export async function restoreIdentity() {
  if (ui.restoreKit.value.trim() === "") throw new PageError("kit_empty");
  const member = Member.fromRecoveryKit(ui.restoreKit.value);
  ui.restoreKit.value = "";
  await keepOnDevice(member);
  await useIdentity(member, { isNew: false, how: "Restored from your recovery kit." });
}

/** Keeps the member in IndexedDB, sealed by a non-extractable key; memory only if refused. */
async function keepOnDevice(member) {
  try {
    await member.saveToDevice({ name: "confide-demo" });
  } catch {
    // Private mode or storage disabled: the identity lives as long as the page.
  }
}

/** The identity this browser kept, if any: no kit step, straight to work. */
export async function resumeIdentity() {
  let member;
  try {
    member = await Member.loadFromDevice({ name: "confide-demo" });
  } catch {
    return false; // nothing kept (no_saved_member), or no storage here
  }
  await useIdentity(member, { isNew: false, how: "Welcome back: your identity was kept in this browser." });
  return true;
}

/**
 * "Save your recovery kit" (FORMAT.md#recovery-kit): shown once, after creating an identity.
 * Nothing goes on until the therapist says the kit is saved.
 */
async function saveRecoveryKit() {
  ui.recoveryKit.textContent = state.member.recoveryKit();
  ui.kitFingerprint.textContent = state.member.fingerprint;
  ui.kitStep.hidden = false;
  focusOn(ui.printKit);
  await new Promise((resolve) => ui.kitSaved.addEventListener("click", resolve, { once: true }));
  ui.kitStep.hidden = true;
  ui.recoveryKit.textContent = "—"; // off the screen once saved
}
