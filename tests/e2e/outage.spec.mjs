// A server that goes away: "Say what is true" (banners clear once the problem is gone) and
// "Tidy server state" (an upload cut off by a server crash leaves no orphaned blob). Each
// test runs a confide-server of its own (tests/e2e/server.mjs) and kills it with SIGKILL.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { test, expect } from "@playwright/test";
import { AUDIO_NAME, CLIENT_4, NOTE_OUTAGE, adminWithWorkspace, makeWav, visibleAlerts } from "./fixtures.mjs";
import { OwnServer } from "./server.mjs";

/** Files in the server's blob folder (its tmp/ folder counted separately). */
function blobFiles(dataDir) {
  const dir = join(dataDir, "blobs");
  const files = readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile());
  const partial = readdirSync(join(dir, "tmp"));
  return { files, partial };
}

test("after an outage, the error banners clear once the server answers again", async ({ browser }) => {
  const server = new OwnServer("outage");
  await server.start({ fresh: true });
  try {
    const alice = await adminWithWorkspace(browser, { baseURL: server.url });
    await server.kill();
    // The admin's page looks for people waiting every 1.5 s: it notices.
    await expect(alice.page.getByTestId("connection")).toContainText("the server cannot be reached", { timeout: 10_000 });
    await alice.page.getByTestId("client-input").fill(CLIENT_4);
    await alice.page.getByTestId("note-input").fill(NOTE_OUTAGE);
    await alice.page.getByTestId("save-note").click();
    await expect(alice.page.getByTestId("note-error").getByTestId("error-code")).toHaveText("network");
    await expect(alice.page.getByTestId("note-input")).toHaveValue(NOTE_OUTAGE);
    await expect(alice.page.getByTestId("note-saved")).toHaveText(/^Not saved yet/);

    await server.start();
    // Back: the next look succeeds and every "cannot be reached" goes, before any save.
    await expect(alice.page.getByTestId("connection")).toBeHidden({ timeout: 10_000 });
    await expect(alice.page.getByTestId("note-error")).toBeHidden();
    await expect(alice.page.getByTestId("team-error")).toBeHidden();
    await expect(alice.page.getByTestId("note-saved")).toHaveText(/^Not saved yet/); // still true
    await alice.page.getByTestId("save-note").click();
    await expect(alice.page.getByTestId("note-saved")).toContainText("Saved");
    await expect(alice.page.getByTestId("note-body")).toHaveText([NOTE_OUTAGE]);
    await alice.page.waitForTimeout(2000); // a poll or two more
    expect(await visibleAlerts(alice.page)).toEqual([]);
    await alice.context.close();
  } finally {
    await server.kill();
  }
});

test("a server killed during an upload leaves no orphaned blob once the page is back", async ({ browser }) => {
  const server = new OwnServer("killed");
  await server.start({ fresh: true });
  try {
    const alice = await adminWithWorkspace(browser, { baseURL: server.url });
    const seen = { blobs: null, records: null };
    alice.page.on("response", async (res) => {
      const path = new URL(res.url()).pathname;
      if (res.request().method() !== "GET" || res.status() !== 200) return;
      if (/\/blobs$/.test(path)) seen.blobs = (await res.json()).blobs;
      if (/\/records$/.test(path)) seen.records = (await res.json()).records;
    });
    // The recording's blob is stored; the server dies before its name and type are saved.
    await alice.page.route("**/records/*/recording-meta", async (route) => {
      await server.kill();
      await route.abort("connectionrefused");
    });
    await alice.page.getByTestId("audio-input").setInputFiles({ name: AUDIO_NAME, mimeType: "audio/wav", buffer: makeWav() });
    await alice.page.getByTestId("upload-audio").click();
    await expect(alice.page.getByTestId("upload-error").getByTestId("error-code")).toHaveText("network", { timeout: 60_000 });
    await alice.page.unroute("**/records/*/recording-meta");
    // On disk now: one finished blob that no recording refers to.
    expect(blobFiles(server.dataDir).files).toHaveLength(1);

    await server.start();
    seen.blobs = null;
    await alice.page.getByTestId("refresh").click();
    await expect.poll(() => seen.blobs, { timeout: 15_000 }).toEqual([]);
    expect(seen.records).toEqual([]);
    await expect(alice.page.getByTestId("recording")).toHaveCount(0);
    expect(blobFiles(server.dataDir)).toEqual({ files: [], partial: [] });
    await alice.context.close();
  } finally {
    await server.kill();
  }
});
