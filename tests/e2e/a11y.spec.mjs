// Issue 11, "Accessibility": a keyboard user never finds the focus dropped on the page's
// body, reaches the scrolling transcript, and seeks in sensible steps at the cost of one
// range request per rest; axe-core finds nothing serious in the states met on the way.
import { test, expect } from "@playwright/test";
import {
  AUDIO_NAME, CLIENT_1, NOTE_1, TRANSCRIPT, TRANSCRIPT_NAME, adminWithWorkspace, axeViolations, makeWav,
  openProfile, ready,
} from "./fixtures.mjs";

test("keyboard: each step leaves focus on the next sensible control, and the transcript is reachable", async ({ browser }) => {
  const { context, page } = await openProfile(browser);
  await ready(page);
  await page.getByTestId("create-identity").focus();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("print-kit")).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(page.getByTestId("kit-saved")).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("create-workspace")).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("client-input")).toBeFocused();

  await page.keyboard.type(CLIENT_1);
  await page.keyboard.press("Tab");
  await expect(page.getByTestId("note-input")).toBeFocused();
  await page.keyboard.type(NOTE_1);
  await page.getByTestId("transcript-input").setInputFiles({ name: TRANSCRIPT_NAME, mimeType: "text/plain", buffer: Buffer.from(TRANSCRIPT) });
  await page.getByTestId("save-note").focus();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("note-body")).toHaveText([NOTE_1]);
  await expect(page.getByTestId("client-input")).toBeFocused();

  // The transcript box scrolls, so it takes focus: Tab reaches it, arrows scroll it.
  await page.getByTestId("show-transcript").focus();
  await page.keyboard.press("Enter");
  const transcript = page.getByTestId("transcript");
  await expect(transcript).toBeFocused();
  await expect(transcript).toHaveAttribute("tabindex", "0");
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Tab");
  await expect(transcript).toBeFocused();

  // The delete confirmation: focus on Cancel, nothing serious for axe, Escape returns to Delete.
  await page.getByTestId("delete-note").focus();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("confirm-cancel")).toBeFocused();
  expect(await axeViolations(page), "axe with the dialog open").toEqual([]);
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("confirm-dialog")).toBeHidden();
  await expect(page.getByTestId("delete-note")).toBeFocused();
  await expect(page.getByTestId("note")).toHaveCount(1);

  // At a phone's width nothing needs sideways scrolling.
  await page.setViewportSize({ width: 360, height: 740 });
  await expect
    .poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth))
    .toBeLessThanOrEqual(0);
  await context.close();
});

test("the seek slider moves in steps worth hearing, and a run of key presses costs one range request", async ({ browser }) => {
  const { context, page } = await adminWithWorkspace(browser);
  await page.getByTestId("audio-input").setInputFiles({ name: AUDIO_NAME, mimeType: "audio/wav", buffer: makeWav() });
  await page.getByTestId("upload-audio").click();
  await expect(page.getByTestId("open-recording")).toBeFocused({ timeout: 60_000 });
  await page.keyboard.press("Enter");
  const player = page.getByTestId("player");
  await expect(player).toHaveAttribute("data-state", "ready");
  await expect(page.getByTestId("player-play")).toBeFocused();
  const requests = async () => Number(await player.getAttribute("data-range-requests"));

  const seek = page.getByTestId("player-seek");
  await seek.focus();
  let before = await requests();
  for (let i = 0; i < 10; i++) await page.keyboard.press("ArrowRight");
  await expect(page.getByTestId("player-time")).toHaveText("0:50 / 1:15");
  await expect(seek).toHaveAttribute("aria-valuetext", "0:50 of 1:15");
  await expect(player).toHaveAttribute("data-window-start", "50");
  await expect(player).toHaveAttribute("data-state", "ready");
  expect(await requests() - before).toBeLessThanOrEqual(2);

  before = await requests();
  for (let i = 0; i < 20; i++) await page.keyboard.press("ArrowLeft");
  await expect(page.getByTestId("player-time")).toHaveText("0:00 / 1:15");
  await expect(player).toHaveAttribute("data-window-start", "0");
  await expect(player).toHaveAttribute("data-state", "ready");
  await page.waitForTimeout(500);
  expect(await requests() - before).toBeLessThanOrEqual(2);

  await page.keyboard.press("PageUp");
  await expect(page.getByTestId("player-time")).toHaveText("0:30 / 1:15");
  // At rest, and (no longer dimmed) at any moment a window loads.
  await expect(player).toHaveAttribute("data-state", "ready");
  expect(await axeViolations(page), "axe with the player open").toEqual([]);
  await context.close();
});
