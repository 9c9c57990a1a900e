// Issue 11, "Never lose the way back", items 1 and 2: after a reload, after a kit restore in
// another browser, and while an invitee waits, the page finds its way back to the notes,
// still verified against what this browser saw before.
import { test, expect } from "@playwright/test";

const SHOTS = process.env.CONFIDE_SCREENSHOTS === "1";
import {
  CLIENT_1, CLIENT_3, NOTE_1, NOTE_3, adminWithWorkspace, admit, colleagueWaiting, createIdentity,
  createInviteLink, openProfile, ready, writeNote,
} from "./fixtures.mjs";

/** Restores an identity from its kit in a fresh profile. */
async function restoreElsewhere(browser, kit) {
  const profile = await openProfile(browser);
  await ready(profile.page);
  await profile.page.getByText("I have a recovery kit").click();
  await profile.page.getByTestId("restore-kit").fill(kit);
  await profile.page.getByTestId("restore-identity").click();
  await expect(profile.page.getByTestId("session-state")).toContainText("Restored");
  return profile;
}

test("a reload reopens the workspace, checked against the head this browser pinned", async ({ browser }) => {
  const alice = await adminWithWorkspace(browser);
  await writeNote(alice.page, CLIENT_1, NOTE_1);
  await alice.page.reload();
  await expect(alice.page.getByTestId("session-state")).toContainText("Welcome back");
  await expect(alice.page.locator("body")).toHaveAttribute("data-state", "open");
  await expect(alice.page.getByTestId("workspace-id")).toHaveText(alice.workspaceId);
  await expect(alice.page.getByTestId("note-body")).toHaveText([NOTE_1]);
  await expect(alice.page.getByTestId("create-workspace")).toBeHidden();

  // The log grows (an invite), the page pins the new head; a server then serving the old,
  // shorter log is caught, not believed.
  await createInviteLink(alice.page);
  await alice.page.route("**/api/workspaces/*/log", async (route) => {
    const response = await route.fetch();
    const log = await response.json();
    await route.fulfill({ response, json: { ...log, entries: log.entries.slice(0, 1), head: { ...log.head, seq: 0 } } });
  });
  await alice.page.reload();
  await expect(alice.page.getByTestId("workspace-error").getByTestId("error-code")).toHaveText("rollback_detected");
  await expect(alice.page.getByTestId("work-area")).toBeHidden();
  await alice.context.close();
});

test("with several workspaces, a reload offers the choice and opens the one chosen", async ({ browser }) => {
  const alice = await adminWithWorkspace(browser);
  const first = alice.workspaceId;
  await writeNote(alice.page, CLIENT_1, NOTE_1);
  await alice.page.getByTestId("switch-workspace").click();
  await expect(alice.page.getByTestId("workspace-choice")).toHaveCount(1);
  await alice.page.getByTestId("create-workspace").click();
  await expect(alice.page.locator("body")).toHaveAttribute("data-state", "open");
  const second = (await alice.page.getByTestId("workspace-id").textContent()).trim();
  expect(second).not.toBe(first);
  await expect(alice.page.getByTestId("notes-empty")).toBeVisible();
  await writeNote(alice.page, CLIENT_3, NOTE_3);

  await alice.page.reload();
  await expect(alice.page.locator("body")).toHaveAttribute("data-state", "choose");
  const choices = alice.page.getByTestId("workspace-choice");
  await expect(choices).toHaveCount(2);
  // The one opened last comes first, and says so.
  await expect(choices.first()).toHaveAttribute("data-workspace-id", second);
  await expect(choices.first()).toContainText("opened last in this browser");
  await expect(choices.first().getByTestId("open-workspace")).toBeFocused();
  await choices.filter({ hasText: first }).getByTestId("open-workspace").click();
  await expect(alice.page.locator("body")).toHaveAttribute("data-state", "open");
  await expect(alice.page.getByTestId("workspace-id")).toHaveText(first);
  await expect(alice.page.getByTestId("note-body")).toHaveText([NOTE_1]);
  await alice.context.close();
});

test("a kit restore in another browser reopens the workspace: the creator at once, a colleague once the check code matches", async ({ browser }) => {
  const alice = await adminWithWorkspace(browser);
  await writeNote(alice.page, CLIENT_1, NOTE_1);
  const bob = await colleagueWaiting(browser, await createInviteLink(alice.page));
  await admit(alice.page, bob.fingerprint);
  await expect(bob.page.getByTestId("note-body")).toHaveText([NOTE_1], { timeout: 20_000 });
  await bob.context.close();

  // Alice, in a new browser: her own signed entries vouch for the log.
  const alice2 = await restoreElsewhere(browser, alice.kit);
  await expect(alice2.page.locator("body")).toHaveAttribute("data-state", "open");
  await expect(alice2.page.getByTestId("workspace-id")).toHaveText(alice.workspaceId);
  await expect(alice2.page.getByTestId("note-body")).toHaveText([NOTE_1]);

  // Bob, in a new browser: nothing there vouches for the log until a colleague's screen does.
  const bob2 = await restoreElsewhere(browser, bob.kit);
  await expect(bob2.page.locator("body")).toHaveAttribute("data-state", "check");
  await expect(bob2.page.getByTestId("check-matches")).toBeFocused();
  const code = (await bob2.page.getByTestId("check-expected").textContent()).trim();
  expect(code).toMatch(/^Entry \d+ · (\d{5} ){5}\d{5}$/);
  await expect(alice.page.getByTestId("check-code")).toHaveText(code);
  if (SHOTS) await bob2.page.screenshot({ path: "docs/demo-check-code.png" });
  await bob2.page.getByTestId("check-matches").click();
  await expect(bob2.page.locator("body")).toHaveAttribute("data-state", "open");
  await expect(bob2.page.getByTestId("note-body")).toHaveText([NOTE_1]);
  await expect(bob2.page.getByTestId("my-role")).toHaveText("member");
  // From now on this browser has a pinned head: a reload opens straight away.
  await bob2.page.reload();
  await expect(bob2.page.locator("body")).toHaveAttribute("data-state", "open");
  await expect(bob2.page.getByTestId("note-body")).toHaveText([NOTE_1]);
  for (const p of [alice, alice2, bob2]) await p.context.close();
});

/** What the demo keeps of pending invites in IndexedDB, as seen by script in the page. */
function pendingInvites(page, secretText) {
  return page.evaluate(
    (secret) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("confide-demo");
        open.onerror = () => reject(new Error("no database"));
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains("pending-invites")) return resolve(null);
          const all = db.transaction("pending-invites").objectStore("pending-invites").getAll();
          all.onsuccess = () =>
            resolve(
              all.result.map((r) => ({
                memberId: r.memberId,
                extractable: r.key.extractable,
                algorithm: r.key.algorithm.name,
                sealedBytes: r.sealed.length,
                // The link's text appears nowhere in the record.
                plainLink: JSON.stringify(r).includes(secret) ||
                  new TextDecoder("latin1").decode(r.sealed).includes(secret),
              })),
            );
        };
      }),
    secretText,
  );
}

test("an invitee who reloads keeps the invite, sealed on this device, until it is used", async ({ browser }) => {
  const alice = await adminWithWorkspace(browser);
  await writeNote(alice.page, CLIENT_1, NOTE_1);
  const link = await createInviteLink(alice.page);
  const secret = link.split("#confide-invite=")[1];

  const bob = await openProfile(browser);
  await ready(bob.page, link);
  await expect(bob.page.getByTestId("invitation")).toBeVisible();
  expect(bob.page.url()).not.toContain("confide-invite");
  // A reload before creating an identity: the invitation is still there.
  await bob.page.reload();
  await expect(bob.page.getByTestId("invitation")).toBeVisible();
  const { fingerprint } = await createIdentity(bob.page);
  await expect(bob.page.getByTestId("waiting")).toBeVisible();
  const kept = await pendingInvites(bob.page, secret);
  expect(kept).toHaveLength(1);
  expect(kept[0]).toMatchObject({ extractable: false, algorithm: "AES-GCM", plainLink: false });
  expect(kept[0].memberId).toMatch(/^[A-Za-z0-9_-]{43}$/);

  // A reload while waiting: still waiting, with the same identity, for the same invite.
  await bob.page.reload();
  await expect(bob.page.getByTestId("waiting")).toBeVisible();
  await expect(bob.page.getByTestId("waiting-fingerprint")).toHaveText(fingerprint);
  await expect(bob.page.getByTestId("inviter-fingerprint")).toHaveText(alice.fingerprint);

  await admit(alice.page, fingerprint);
  await expect(bob.page.locator("body")).toHaveAttribute("data-state", "open", { timeout: 20_000 });
  await expect(bob.page.getByTestId("note-body")).toHaveText([NOTE_1]);
  // Used: gone from the device.
  expect(await pendingInvites(bob.page, secret)).toEqual([]);
  await bob.page.reload();
  await expect(bob.page.locator("body")).toHaveAttribute("data-state", "open");
  await expect(bob.page.getByTestId("invitation")).toBeHidden();
  for (const p of [alice, bob]) await p.context.close();
});
