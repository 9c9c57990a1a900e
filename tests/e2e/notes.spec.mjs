// Issue 11, "Never lose the way back" item 3 and "Say what is true": notes are never
// overwritten by accident, unsaved typing is guarded, deleting asks first and leaves nothing,
// and a wrong or too-large file is refused before any work, in plain words.
import { test, expect } from "@playwright/test";
import {
  AUDIO_NAME, CLIENT_1, CLIENT_3, NOTE_1, NOTE_3, NOTE_DRAFT, adminWithWorkspace, confirm, createIdentity, makeWav,
  openProfile, progressDisagreements, ready, writeNote,
} from "./fixtures.mjs";

/** What the server lists, through the page's own requests (records and blobs). */
function listings(page) {
  const seen = { records: null, blobs: null };
  page.on("response", async (res) => {
    const path = new URL(res.url()).pathname;
    if (res.request().method() !== "GET" || res.status() !== 200) return;
    try {
      if (/\/records$/.test(path)) seen.records = (await res.json()).records;
      if (/\/blobs$/.test(path)) seen.blobs = (await res.json()).blobs;
    } catch {
      // a body already gone (navigation): the next listing counts
    }
  });
  return seen;
}

async function refreshListings(page, seen) {
  seen.records = null;
  seen.blobs = null;
  await page.getByTestId("refresh").click();
  await expect.poll(() => seen.records !== null && seen.blobs !== null).toBe(true);
  return seen;
}

test("after a save the editor holds a new note, so a second note never overwrites the first", async ({ browser }) => {
  const { context, page } = await adminWithWorkspace(browser);
  await writeNote(page, CLIENT_1, NOTE_1);
  await expect(page.getByTestId("editor-title")).toHaveText("New note");
  await expect(page.getByTestId("client-input")).toHaveValue("");
  await expect(page.getByTestId("note-input")).toHaveValue("");
  await expect(page.getByTestId("client-input")).toBeFocused();

  // The next client's note is a new note: both are kept.
  await writeNote(page, CLIENT_3, NOTE_3);
  await expect(page.getByTestId("note")).toHaveCount(2);
  await expect(page.getByTestId("note-body")).toHaveText([NOTE_3, NOTE_1]);
  await expect(page.getByTestId("note-client")).toHaveText([CLIENT_3, CLIENT_1]);
  await context.close();
});

test("unsaved typing is guarded: Edit on another note and New note ask first", async ({ browser }) => {
  const { context, page } = await adminWithWorkspace(browser);
  await writeNote(page, CLIENT_1, NOTE_1);
  await writeNote(page, CLIENT_3, NOTE_3);
  const note1 = page.getByTestId("note").filter({ hasText: NOTE_1 });
  const note3 = page.getByTestId("note").filter({ hasText: NOTE_3 });

  // Editing note 1, then typing, then Edit on note 3: the page asks; Cancel keeps the typing.
  await note1.getByTestId("edit-note").click();
  await expect(page.getByTestId("editor-title")).toHaveText("Editing a saved note");
  await page.getByTestId("note-input").fill(NOTE_DRAFT);
  await note3.getByTestId("edit-note").click();
  await expect(page.getByTestId("confirm-title")).toHaveText("Discard your unsaved changes?");
  await confirm(page, false);
  await expect(page.getByTestId("note-input")).toHaveValue(NOTE_DRAFT);
  // New note asks too; Discard empties the editor, and note 1 is as it was saved.
  await page.getByTestId("new-note").click();
  await confirm(page, true);
  await expect(page.getByTestId("note-input")).toHaveValue("");
  await expect(page.getByTestId("editor-title")).toHaveText("New note");
  await expect(page.getByTestId("note-body")).toHaveText([NOTE_3, NOTE_1]);
  // A clean editor switches without a question.
  await note3.getByTestId("edit-note").click();
  await expect(page.getByTestId("confirm-dialog")).toBeHidden();
  await expect(page.getByTestId("note-input")).toHaveValue(NOTE_3);
  await expect(page.getByTestId("note-input")).toBeFocused();
  await context.close();
});

test("notes and recordings are deleted only after a confirmation, and leave nothing on the server", async ({ browser }) => {
  const { context, page } = await adminWithWorkspace(browser);
  const seen = listings(page);
  await writeNote(page, CLIENT_1, NOTE_1);
  await writeNote(page, CLIENT_3, NOTE_3);
  await page.getByTestId("audio-input").setInputFiles({ name: AUDIO_NAME, mimeType: "audio/wav", buffer: makeWav() });
  await page.getByTestId("upload-audio").click();
  await expect(page.getByTestId("recording")).toHaveCount(1, { timeout: 60_000 });

  // Cancel keeps it.
  const note1 = page.getByTestId("note").filter({ hasText: NOTE_1 });
  await note1.getByTestId("delete-note").click();
  await expect(page.getByTestId("confirm-title")).toHaveText("Delete this note?");
  await confirm(page, false);
  await expect(page.getByTestId("note")).toHaveCount(2);
  // OK deletes it, every field of it.
  const recordId = await note1.getAttribute("data-record-id");
  await note1.getByTestId("delete-note").click();
  await confirm(page, true);
  await expect(page.getByTestId("note-body")).toHaveText([NOTE_3]);
  await refreshListings(page, seen);
  expect(seen.records.filter((r) => r.recordId === recordId)).toEqual([]);

  await page.getByTestId("recording").getByTestId("delete-recording").click();
  await expect(page.getByTestId("confirm-title")).toHaveText("Delete this recording?");
  await confirm(page, true);
  await expect(page.getByTestId("recording")).toHaveCount(0);
  await expect(page.getByTestId("recordings-empty")).toBeVisible();
  await refreshListings(page, seen);
  expect(seen.blobs).toEqual([]);
  // Only note 3's fields are left: client and body.
  expect(new Set(seen.records.map((r) => r.field))).toEqual(new Set(["client", "body"]));
  await context.close();
});

test("a PDF transcript, a too-large note and an empty or non-audio recording are refused up front, leaving nothing behind", async ({ browser }) => {
  const { context, page } = await adminWithWorkspace(browser);
  const seen = listings(page);
  const puts = [];
  page.on("request", (req) => {
    if (req.method() === "PUT") puts.push(new URL(req.url()).pathname);
  });

  // A PDF as a transcript: refused as soon as it is chosen, in plain words.
  const pdf = Buffer.concat([Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1"), Buffer.from([0, 159, 146, 150, 255, 1, 2])]);
  await page.getByTestId("transcript-input").setInputFiles({ name: "transcript.pdf", mimeType: "application/pdf", buffer: pdf });
  await expect(page.getByTestId("note-error").getByTestId("error-code")).toHaveText("transcript_not_text");
  await expect(page.getByTestId("note-error")).toContainText("must be a plain text file");
  await expect(page.getByTestId("transcript-input")).toHaveValue("");
  // The same bytes named .txt are not text either.
  await page.getByTestId("transcript-input").setInputFiles({ name: "transcript.txt", mimeType: "text/plain", buffer: pdf });
  await expect(page.getByTestId("note-error").getByTestId("error-code")).toHaveText("transcript_not_text");

  // A note over the server's 4 MiB record limit: refused before anything is sent.
  await page.getByTestId("client-input").fill(CLIENT_1);
  await page.getByTestId("note-input").evaluate((el) => {
    el.value = "x".repeat(4_300_000);
    el.dispatchEvent(new Event("input"));
  });
  await page.getByTestId("save-note").click();
  await expect(page.getByTestId("note-error").getByTestId("error-code")).toHaveText("note_too_large");
  await expect(page.getByTestId("note-error")).toContainText("too long to save in one piece");
  // The typing is still there, to shorten or split.
  await expect(page.getByTestId("client-input")).toHaveValue(CLIENT_1);

  // An empty file and a text file named .wav are not recordings.
  await page.getByTestId("audio-input").setInputFiles({ name: "empty.wav", mimeType: "audio/wav", buffer: Buffer.alloc(0) });
  await expect(page.getByTestId("upload-error").getByTestId("error-code")).toHaveText("recording_empty");
  await page.getByTestId("audio-input").setInputFiles({ name: "notes.wav", mimeType: "audio/wav", buffer: Buffer.from("these are notes, not sound\n".repeat(50)) });
  await expect(page.getByTestId("upload-error").getByTestId("error-code")).toHaveText("not_audio");
  await expect(page.getByTestId("audio-input")).toHaveValue("");
  await page.getByTestId("upload-audio").click();
  await expect(page.getByTestId("upload-error").getByTestId("error-code")).toHaveText("no_recording");

  expect(puts, "nothing was sent").toEqual([]);
  await refreshListings(page, seen);
  expect(seen.records).toEqual([]);
  expect(seen.blobs).toEqual([]);
  await context.close();
});

test("a long note shows progress; recordings of the same name show their dates", async ({ browser }) => {
  const { context, page } = await adminWithWorkspace(browser);
  // A 3.5 MB note: the bar moves, and the words say the same percentage.
  const long = "Session summary. ".repeat(206_000);
  await page.getByTestId("client-input").fill(CLIENT_3);
  await page.getByTestId("note-input").evaluate((el, text) => {
    el.value = text;
  }, long);
  await page.getByTestId("save-note").click();
  await expect(page.getByTestId("note-saved")).toContainText("Saved", { timeout: 30_000 });
  const shown = (await page.evaluate(() => window.__progressShown)).filter((p) => p.bar === "note-progress");
  expect(shown.some((p) => p.value > 0 && p.value < 1 && /Saving… \d+%/.test(p.text)), JSON.stringify(shown)).toBe(true);
  expect(await progressDisagreements(page)).toEqual([]);
  await expect(page.getByTestId("note-progress")).toBeHidden();

  // Two recordings named alike: each shows when it was uploaded.
  const wav = makeWav().subarray(0, 200_044);
  for (let i = 0; i < 2; i++) {
    await page.getByTestId("audio-input").setInputFiles({ name: AUDIO_NAME, mimeType: "audio/wav", buffer: wav });
    await page.getByTestId("upload-audio").click();
    await expect(page.getByTestId("recording")).toHaveCount(i + 1, { timeout: 30_000 });
    if (i === 0) await page.waitForTimeout(1100); // a second apart, as dates show seconds
  }
  await expect(page.getByTestId("recording-name")).toHaveText([AUDIO_NAME, AUDIO_NAME]);
  const dates = await page.getByTestId("recording-date").allTextContents();
  expect(dates).toHaveLength(2);
  for (const d of dates) expect(d).toMatch(/\d\d\/\d\d\/\d{4}, \d\d:\d\d:\d\d/);
  expect(dates[0]).not.toBe(dates[1]);
  await context.close();
});

test("typing while a new workspace still loads: focus stays in the field, and so does the text", async ({ browser }) => {
  const { context, page, problems } = await openProfile(browser);
  try {
    await ready(page);
    await createIdentity(page);
    // The workspace opens, and its list of clients answers late.
    let release;
    const held = new Promise((resolve) => (release = resolve));
    await page.route(
      (url) => /^\/api\/workspaces\/[^/]+\/cases$/.test(url.pathname),
      async (route) => {
        await held;
        await route.continue();
      },
    );
    await page.getByTestId("create-workspace").click();
    await expect(page.locator("body")).toHaveAttribute("data-state", "open");
    await page.getByTestId("note-input").fill(NOTE_1);
    release();
    await expect(page.getByTestId("clients")).toHaveAttribute("data-refreshed", /^[1-9]/);
    // The page would move focus to the client field at the end of the step; the user is typing.
    await expect(page.getByTestId("note-input")).toBeFocused();
    await page.keyboard.type(" More.");
    await expect(page.getByTestId("note-input")).toHaveValue(`${NOTE_1} More.`);
    await expect(page.getByTestId("client-input")).toHaveValue("");
    expect(problems).toEqual([]);
  } finally {
    await context.close();
  }
});
