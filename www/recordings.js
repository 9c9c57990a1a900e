// Recordings: encrypted upload with progress, the list, the player, deleting.
import { plaintextSize } from "/pkg/dist/index.js";
import { ApiError, wsPath } from "./api.js";
import { confirmStep } from "./dialog.js";
import { action, clearError, showError } from "./errors.js";
import { F } from "./fields.js";
import { checkRecording } from "./files.js";
import { ctx, getText, listRecords, putRecord } from "./notes.js";
import { RecordingPlayer, rangeFetcher } from "./player.js";
import { focusOn, state, ui } from "./ui.js";
import { unfinished } from "./unfinished.js";
import { uploadEncrypted, uploadMode } from "./upload.js";
import { sync } from "./workspace.js";

const blobPath = (blobId) => wsPath(state.wsId, `/blobs/${blobId}`);

/**
 * The bar and the words show the same share of the whole job. When the upload cannot
 * stream, encrypting is its first half and sending its second.
 */
function showProgress(phase, fraction) {
  ui.uploadProgress.hidden = false;
  const streamed = ui.uploadProgress.dataset.mode === "stream";
  const f = Math.min(1, Math.max(0, fraction));
  const value = streamed ? f : phase === "encrypting" ? f / 2 : 0.5 + f / 2;
  ui.uploadProgress.value = value;
  const doing = streamed ? "Encrypting and uploading" : phase === "encrypting" ? "Encrypting" : "Uploading";
  ui.uploadStatus.textContent = `${doing}… ${Math.floor(value * 100)}%`;
}

/** Checks the chosen file as soon as it is chosen: an empty or non-audio file is refused. */
export async function checkChosenRecording() {
  clearError(ui.uploadError);
  const file = ui.audioInput.files?.[0];
  if (!file) return;
  try {
    await checkRecording(file);
  } catch (e) {
    ui.audioInput.value = "";
    showError(ui.uploadError, e, "Not a recording");
  }
}

/**
 * Encrypts the chosen recording as it is read and uploads it under a random blob id, then
 * saves its name, type and size as an encrypted record of the same id. If either step fails,
 * both are removed (unfinished.js): no blob stays on the server without its record.
 */
export async function uploadRecording() {
  const file = ui.audioInput.files?.[0];
  await checkRecording(file);
  await sync();
  const blobId = crypto.randomUUID();
  const how = uploadMode();
  ui.uploadProgress.dataset.mode = how.mode;
  ui.uploadProgress.dataset.state = "running";
  ui.uploadProgress.value = 0;
  ui.uploadStatus.textContent = "";
  await unfinished(blobId, "new-recording", async () => {
    await uploadEncrypted({
      session: state.session,
      ws: state.ws,
      file,
      ctx: ctx(blobId, F.audio),
      path: blobPath(blobId),
      progress: showProgress,
    });
    const meta = JSON.stringify({ name: file.name, type: file.type, size: file.size });
    await putRecord(blobId, F.recordingMeta, state.ws.encrypt(meta, ctx(blobId, F.recordingMeta)));
  });
  ui.uploadProgress.value = 1;
  ui.uploadProgress.dataset.state = "done";
  ui.uploadStatus.textContent = `Uploaded ${(file.size / 1048576).toFixed(1)} MB, encrypted in this browser.`;
  ui.audioInput.value = "";
  await refreshRecordings();
  focusOn(ui.recordings.querySelector(`[data-blob-id="${blobId}"] [data-testid="open-recording"]`));
}

export async function refreshRecordings(records) {
  records ??= await listRecords();
  const { blobs } = await state.session.json("GET", wsPath(state.wsId, "/blobs"));
  const metaIds = new Set(records.filter((r) => r.fields.has(F.recordingMeta)).map((r) => r.recordId));
  const items = [];
  for (const blob of blobs.sort((a, b) => b.updatedAt - a.updatedAt)) {
    if (!metaIds.has(blob.blobId)) continue; // still uploading, or not the page's
    const li = document.createElement("li");
    li.dataset.testid = "recording";
    li.dataset.blobId = blob.blobId;
    items.push(li);
    let meta = null;
    try {
      meta = JSON.parse(await getText(blob.blobId, F.recordingMeta));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) throw e;
      const err = document.createElement("p");
      err.className = "error";
      showError(err, e, "This recording does not open");
      li.append(err);
    }
    if (meta) {
      const name = document.createElement("span");
      name.dataset.testid = "recording-name";
      name.textContent = meta.name;
      const about = document.createElement("span");
      about.className = "meta";
      about.dataset.testid = "recording-date";
      // The date tells apart recordings of the same name.
      about.textContent = ` · ${(meta.size / 1048576).toFixed(1)} MB · ${new Date(blob.updatedAt).toLocaleString("en-GB")} `;
      const play = document.createElement("button");
      play.type = "button";
      play.className = "secondary";
      play.dataset.testid = "open-recording";
      play.textContent = "Open player";
      play.addEventListener("click", () =>
        action(play, ui.playerError, "Cannot play", () => openRecording(blob, meta)),
      );
      li.append(name, about, play, " ");
    }
    const del = document.createElement("button");
    del.type = "button";
    del.className = "secondary danger";
    del.dataset.testid = "delete-recording";
    del.textContent = "Delete";
    const err = document.createElement("p");
    err.className = "error";
    err.setAttribute("role", "alert");
    err.hidden = true;
    del.addEventListener("click", () => action(del, err, "Not deleted", () => deleteRecording(blob)));
    li.append(del, err);
  }
  ui.recordings.replaceChildren(...items);
  ui.recordingsEmpty.hidden = items.length > 0;
}

/** Deletes a recording after a confirmation: its record first (it leaves the list), then the blob. */
async function deleteRecording(blob) {
  const sure = await confirmStep({
    title: "Delete this recording?",
    text: "The recording is deleted for everyone in the workspace. This cannot be undone.",
    ok: "Delete the recording",
    danger: true,
  });
  if (!sure) return;
  if (ui.player.dataset.blobId === blob.blobId) player.close();
  await unfinished(blob.blobId, "delete-recording", async () => {
    await state.session.remove(wsPath(state.wsId, `/records/${blob.blobId}/${F.recordingMeta}`));
    await state.session.remove(blobPath(blob.blobId));
  });
  ui.uploadStatus.textContent = "Recording deleted.";
  await refreshRecordings();
  focusOn(ui.recordings.querySelector('[data-testid="open-recording"]') ?? ui.audioInput);
}

export const player = new RecordingPlayer(
  {
    root: ui.player,
    title: ui.playerTitle,
    audio: ui.playerAudio,
    play: ui.playerPlay,
    seek: ui.playerSeek,
    time: ui.playerTime,
    status: ui.playerStatus,
  },
  (e) => showError(ui.playerError, e, "Cannot play"),
);

async function openRecording(blob, meta) {
  clearError(ui.playerError);
  const counter = { requests: 0 };
  ui.player.dataset.rangeRequests = "0";
  ui.player.dataset.blobId = blob.blobId;
  const source = rangeFetcher(state.session, blobPath(blob.blobId), blob.size, () => {
    counter.requests++;
    ui.player.dataset.rangeRequests = String(counter.requests);
  });
  await player.open({
    ws: state.ws,
    source,
    ctx: ctx(blob.blobId, F.audio),
    plainSize: plaintextSize(blob.size),
    type: meta.type,
    title: meta.name,
    counter,
  });
  focusOn(ui.playerPlay);
}
