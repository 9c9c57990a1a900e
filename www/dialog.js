// One modal question at a time, for steps that cannot be undone: deleting, removing a
// colleague, dropping unsaved typing. Cancel has the focus first; Escape cancels.
import { actingButton } from "./errors.js";
import { ui } from "./ui.js";

let open = null; // the pending question's resolve

/**
 * Asks `text` under `title`; resolves to true only if `ok` was pressed. Focus goes back to
 * what had it before, unless the caller moves it.
 */
export function confirmStep({ title, text, ok, danger = false }) {
  if (open) open(false);
  // The control that asked; a browser may have moved focus off it when it was disabled.
  const active = document.activeElement;
  const returnTo = active && active !== document.body ? active : actingButton();
  ui.confirmTitle.textContent = title;
  ui.confirmText.textContent = text;
  ui.confirmOk.textContent = ok;
  ui.confirmOk.classList.toggle("danger-solid", danger);
  return new Promise((resolve) => {
    const finish = (answer) => {
      open = null;
      ui.confirmOk.removeEventListener("click", onOk);
      ui.confirmCancel.removeEventListener("click", onCancel);
      ui.confirmDialog.removeEventListener("cancel", onCancel);
      if (ui.confirmDialog.open) ui.confirmDialog.close();
      resolve(answer);
      // Back to the opener once the step that asked has re-enabled it (a disabled button
      // cannot take the focus), unless the step has moved the focus on meanwhile.
      setTimeout(() => {
        const at = document.activeElement;
        const lost = at === null || at === document.body || ui.confirmDialog.contains(at);
        if (lost && returnTo instanceof HTMLElement && returnTo.isConnected && !ui.confirmDialog.open) returnTo.focus();
      });
    };
    const onOk = () => finish(true);
    const onCancel = (event) => {
      event?.preventDefault?.();
      finish(false);
    };
    open = finish;
    ui.confirmOk.addEventListener("click", onOk);
    ui.confirmCancel.addEventListener("click", onCancel);
    ui.confirmDialog.addEventListener("cancel", onCancel);
    ui.confirmDialog.showModal();
    ui.confirmCancel.focus();
  });
}
