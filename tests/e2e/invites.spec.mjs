// Invite links, from both sides. Issue 10 item 2: the admin admits exactly the person whose
// fingerprint she compared, whatever the server swaps. Issue 11 item 4 and "Say what is
// true": a used link says so and stops the wait, the invitee compares the inviter's
// fingerprint, and an admin who opens her own link is not offered to admit herself.
import { test, expect } from "@playwright/test";
import {
  POLL_MS, adminWithWorkspace, admit, bundleOfAcceptance, colleagueWaiting, createIdentity, createInviteLink,
  fingerprintOf, openProfile, ready,
} from "./fixtures.mjs";

const unb64 = (s) => Buffer.from(s, "base64url");

test("a second person on a used invite link is told it was used and stops waiting; a used link says so at once", async ({ browser }) => {
  const alice = await adminWithWorkspace(browser);
  const link = await createInviteLink(alice.page);
  const bob = await colleagueWaiting(browser, link);
  const dana = await colleagueWaiting(browser, link);
  // Both replied: the admin sees both, and a warning that the link reached two people.
  await expect(alice.page.getByTestId("pending-fingerprint")).toHaveText([bob.fingerprint, dana.fingerprint], { timeout: 15_000 });
  await expect.soft(alice.page.getByTestId("pending-several").first()).toContainText("2 people replied to the same invite link");

  await admit(alice.page, bob.fingerprint);
  await expect(bob.page.locator("body")).toHaveAttribute("data-state", "open", { timeout: 20_000 });
  // Dana is told, in plain words, and stops waiting.
  await expect(dana.page.getByTestId("invitation-error").getByTestId("error-code")).toHaveText("invite_closed", { timeout: 20_000 });
  await expect(dana.page.getByTestId("invitation-error")).toContainText("has already been used, or it has expired");
  await expect(dana.page.getByTestId("waiting")).toBeHidden();
  await expect(dana.page.locator("body")).not.toHaveAttribute("data-state", "waiting");

  // Someone opening the used link later is told at once, not "the server has no such item".
  const erin = await openProfile(browser);
  await ready(erin.page, link);
  await createIdentity(erin.page);
  await expect(erin.page.getByTestId("invitation-error").getByTestId("error-code")).toHaveText("invite_closed");
  await expect(erin.page.getByTestId("waiting")).toBeHidden();
  await expect(erin.page.getByTestId("workspace")).toBeVisible(); // the way on: create or open
  for (const p of [alice, bob, dana, erin]) await p.context.close();
});

test("the admit binds the fingerprint on screen: a server swapping the reply between two polls gets nobody else admitted", async ({ browser }) => {
  const alice = await adminWithWorkspace(browser);
  const link = await createInviteLink(alice.page);
  const bob = await colleagueWaiting(browser, link);
  const mallory = await colleagueWaiting(browser, link); // someone else who got hold of the link
  await expect(alice.page.getByTestId("pending-item")).toHaveCount(2, { timeout: 15_000 });

  // The real replies, as the server holds them.
  let replies = null;
  await alice.page.route("**/api/workspaces/*/acceptances*", async (route) => {
    const response = await route.fetch();
    replies = (await response.json()).acceptances;
    await route.fulfill({ response });
  });
  await expect.poll(() => replies?.length ?? 0).toBe(2);
  await alice.page.unroute("**/api/workspaces/*/acceptances*");
  const byFp = new Map(replies.map((r) => [fingerprintOf(bundleOfAcceptance(unb64(r.acceptance))), r]));
  const bobReply = byFp.get(bob.fingerprint);
  const malloryReply = byFp.get(mallory.fingerprint);
  expect(bobReply && malloryReply).toBeTruthy();
  const bobBundle = Buffer.from(bundleOfAcceptance(unb64(bobReply.acceptance))).toString("base64url");
  const malloryBundle = Buffer.from(bundleOfAcceptance(unb64(malloryReply.acceptance))).toString("base64url");
  const json = (body) => ({ status: 200, contentType: "application/json", body: JSON.stringify(body) });

  // ---- 1. Mallory's reply filed under Bob's id; Bob's bundle on the first look, hers after.
  let polls = 0;
  let memberLookups = 0;
  await alice.page.route("**/api/workspaces/*/acceptances*", (route) => {
    polls++;
    return route.fulfill(json({ acceptances: [{ ...malloryReply, memberId: bobReply.memberId }] }));
  });
  await alice.page.route(`**/api/members/${bobReply.memberId}`, (route) => {
    memberLookups++;
    const bundle = memberLookups === 1 ? bobBundle : malloryBundle;
    return route.fulfill(json({ memberId: bobReply.memberId, bundle }));
  });
  await expect.poll(() => polls, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
  // Alice compares with Bob on the phone, and admits the item that shows his fingerprint.
  const bobItem = alice.page.getByTestId("pending-item").filter({ hasText: bob.fingerprint });
  if ((await bobItem.count()) > 0) {
    await bobItem.getByTestId("admit").click();
    await alice.page.waitForTimeout(POLL_MS);
  }
  // What is on screen is the reply's own fingerprint: Mallory's. Nobody got in.
  await expect(alice.page.getByTestId("pending-fingerprint")).toHaveText([mallory.fingerprint]);
  await expect(alice.page.getByTestId("member-fingerprint")).toHaveText([alice.fingerprint]);
  await alice.page.unroute("**/api/workspaces/*/acceptances*");
  await alice.page.unroute(`**/api/members/${bobReply.memberId}`);

  // ---- 2. Bob's real reply on screen; the server swaps it for Mallory's as Alice clicks.
  let swap = false;
  let releaseSwap;
  const swapped = new Promise((resolve) => (releaseSwap = resolve));
  await alice.page.route("**/api/workspaces/*/acceptances*", async (route) => {
    if (!swap) return route.fulfill(json({ acceptances: [bobReply] }));
    await swapped;
    return route.fulfill(json({ acceptances: [{ ...malloryReply, memberId: bobReply.memberId }] }));
  });
  await expect(alice.page.getByTestId("pending-fingerprint")).toHaveText([bob.fingerprint]);
  swap = true;
  await alice.page.getByTestId("pending-item").filter({ hasText: bob.fingerprint }).getByTestId("admit").click();
  releaseSwap();
  await expect(alice.page.getByTestId("team-error").getByTestId("error-code")).toHaveText("reply_changed");
  await expect(alice.page.getByTestId("team-error")).toContainText("nobody was admitted");
  await expect(alice.page.getByTestId("member-fingerprint")).toHaveText([alice.fingerprint]);
  await alice.page.unroute("**/api/workspaces/*/acceptances*");

  // ---- 3. The real server again: both replies, and admitting Bob admits Bob.
  await expect(alice.page.getByTestId("pending-item")).toHaveCount(2, { timeout: 15_000 });
  await admit(alice.page, bob.fingerprint);
  await expect(alice.page.getByTestId("member-fingerprint")).toHaveText([alice.fingerprint, bob.fingerprint]);
  await expect(bob.page.locator("body")).toHaveAttribute("data-state", "open", { timeout: 20_000 });
  for (const p of [alice, bob, mallory]) await p.context.close();
});

test("an admin who opens her own invite link is not offered to admit herself", async ({ browser }) => {
  const alice = await adminWithWorkspace(browser);
  const link = await createInviteLink(alice.page);
  const acceptances = [];
  alice.page.on("request", (req) => {
    if (req.method() === "POST" && /\/acceptances$/.test(new URL(req.url()).pathname)) acceptances.push(req.url());
  });
  await alice.page.goto(link);
  await expect(alice.page.getByTestId("invitation-error").getByTestId("error-code")).toHaveText("own_invite");
  await expect(alice.page.getByTestId("invitation-error")).toContainText("Send it to the colleague you are inviting");
  await expect(alice.page.locator("body")).toHaveAttribute("data-state", "open");
  await expect(alice.page.getByTestId("my-role")).toHaveText("admin");
  await alice.page.waitForTimeout(2 * POLL_MS);
  await expect(alice.page.getByTestId("pending-item")).toHaveCount(0);
  await expect(alice.page.getByTestId("pending-empty")).toBeVisible();
  expect(acceptances).toEqual([]);
  await alice.context.close();
});
