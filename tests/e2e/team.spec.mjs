// Issue 11, items 5 and 6, and two admins at once: "Remove" asks first (it rotates the
// practice's key); a removed colleague who presses Save keeps the text and learns why; when
// two admins remove the same colleague together, the second is told what happened.
import { test, expect } from "@playwright/test";
import {
  NOTE_REMOVED, adminWithWorkspace, admit, colleagueWaiting, confirm, createInviteLink,
} from "./fixtures.mjs";

test("Remove asks first; a removed colleague who presses Save keeps the text and is told why", async ({ browser }) => {
  const alice = await adminWithWorkspace(browser);
  const bob = await colleagueWaiting(browser, await createInviteLink(alice.page));
  await admit(alice.page, bob.fingerprint);
  await expect(bob.page.locator("body")).toHaveAttribute("data-state", "open", { timeout: 20_000 });

  // Bob is typing a note when Alice removes him.
  await bob.page.getByTestId("note-input").fill(NOTE_REMOVED);

  // Back in Alice's window (focus belongs to one window at a time in Firefox).
  await alice.page.bringToFront();
  const bobRow = alice.page.getByTestId("member").filter({ hasText: bob.fingerprint });
  await bobRow.getByTestId("remove-member").click();
  await expect(alice.page.getByTestId("confirm-title")).toHaveText("Remove this colleague?");
  await expect(alice.page.getByTestId("confirm-text")).toContainText(bob.fingerprint);
  await expect(alice.page.getByTestId("confirm-text")).toContainText("new key");
  await confirm(alice.page, false);
  await expect(alice.page.getByTestId("workspace-epoch")).toHaveText("0");
  await expect(alice.page.getByTestId("member-fingerprint")).toHaveText([alice.fingerprint, bob.fingerprint]);
  await expect(bobRow.getByTestId("remove-member")).toBeFocused(); // back where she was
  await bobRow.getByTestId("remove-member").click();
  await confirm(alice.page, true);
  await expect(alice.page.getByTestId("workspace-epoch")).toHaveText("1");
  await expect(alice.page.getByTestId("member-fingerprint")).toHaveText([alice.fingerprint]);

  // Bob presses Save: his text stays on screen, and the page says why it cannot be saved.
  await bob.page.getByTestId("save-note").click();
  await expect(bob.page.getByTestId("note-error").getByTestId("error-code")).toHaveText("removed_cannot_save");
  await expect(bob.page.getByTestId("note-error")).toContainText("an admin has removed you from this workspace");
  await expect(bob.page.getByTestId("note-error")).toContainText("Your text is still in the editor");
  await expect(bob.page.getByTestId("note-input")).toBeVisible();
  await expect(bob.page.getByTestId("note-input")).toHaveValue(NOTE_REMOVED);
  await expect(bob.page.getByTestId("save-note")).toBeDisabled();
  await expect(bob.page.getByTestId("notes-list")).toBeHidden();
  await expect(bob.page.locator("body")).toHaveAttribute("data-state", "removed");
  await alice.context.close();
  await bob.context.close();
});

test("two admins remove the same colleague at once: the second is told what happened", async ({ browser }) => {
  const alice = await adminWithWorkspace(browser);
  const carol = await colleagueWaiting(browser, await createInviteLink(alice.page, "admin"));
  await admit(alice.page, carol.fingerprint);
  await expect(carol.page.getByTestId("my-role")).toHaveText("admin", { timeout: 20_000 });
  const bob = await colleagueWaiting(browser, await createInviteLink(alice.page));
  await admit(alice.page, bob.fingerprint);
  await carol.page.getByTestId("refresh").click();
  await expect(carol.page.getByTestId("member-fingerprint")).toHaveText([alice.fingerprint, carol.fingerprint, bob.fingerprint]);

  // Carol's removal reaches the server only after Alice's: hold it on the way.
  let release;
  const held = new Promise((resolve) => (release = resolve));
  let arrived;
  const carolSent = new Promise((resolve) => (arrived = resolve));
  await carol.page.route("**/api/workspaces/*/log", async (route) => {
    if (route.request().method() !== "POST") return route.fallback();
    arrived();
    await held;
    await route.continue();
  });
  await carol.page.getByTestId("member").filter({ hasText: bob.fingerprint }).getByTestId("remove-member").click();
  await confirm(carol.page, true);
  await carolSent;

  await alice.page.getByTestId("member").filter({ hasText: bob.fingerprint }).getByTestId("remove-member").click();
  await confirm(alice.page, true);
  await expect(alice.page.getByTestId("workspace-epoch")).toHaveText("1");

  release();
  await expect(carol.page.getByTestId("team-notice")).toHaveText(
    "Another admin removed this colleague a moment ago. Nothing more to do.",
  );
  await expect(carol.page.getByTestId("team-error")).toBeHidden();
  await expect(carol.page.getByTestId("workspace-epoch")).toHaveText("1");
  await expect(carol.page.getByTestId("member-fingerprint")).toHaveText([alice.fingerprint, carol.fingerprint]);
  await expect(carol.page.locator("body")).toHaveAttribute("data-state", "open");
  for (const p of [alice, carol, bob]) await p.context.close();
});
