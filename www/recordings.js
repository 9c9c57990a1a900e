// Recordings: encrypted upload with progress, the list, and the player.
import { plaintextSize } from "/pkg/dist/index.js";
import { ApiError, wsPath } from "./api.js";
import { PageError, action, clearError, showError } from "./errors.js";
import { F } from "./fields.js";
import { ctx, getText, listRecords, putRecord } from "./notes.js";
import { RecordingPlayer, rangeFetcher } from "./player.js";
import { state, ui } from "./ui.js";
import { uploadEncrypted, uploadMode } from "./upload.js";
import { sync } from "./workspace.js";

const blobPath = (blobId) => wsPath(state.wsId, `/blobs/${blobId}`);

function showProgress(phase, fraction) {
  ui.uploadProgress.hidden = false;
  // Two phases share the bar when the upload cannot stream: encrypt, then send.
  const streamed = ui.uploadProgress.dataset.mode === "stream";
  const value = streamed ? fraction : phase === "encrypting" ? fraction / 2 : 0.5 + fraction / 2;
  ui.uploadProgress.value = Math.min(1, value);
  ui.uploadStatus.textContent = `${phase === "encrypting" ? "Encrypting" : "Uploading"}… ${Math.floor(fraction * 100)}%`;
}

export async function uploadRecording() {
  const file = ui.audioInput.files?.[0];
  if (!file) throw new PageError("invalid_argument");
  await sync();
  const blobId = crypto.randomUUID();
  const how = uploadMode();
  ui.uploadProgress.dataset.mode = how.mode;
  ui.uploadProgress.dataset.state = "running";
  ui.uploadProgress.value = 0;
  const result = await uploadEncrypted({
    session: state.session,
    ws: state.ws,
    file,
    ctx: ctx(blobId, F.audio),
    path: blobPath(blobId),
    progress: showProgress,
  });
  const meta = JSON.stringify({ name: file.name, type: file.type, size: file.size });
  await putRecord(blobId, F.recordingMeta, state.ws.encrypt(meta, ctx(blobId, F.recordingMeta)));
  ui.uploadProgress.value = 1;
  ui.uploadProgress.dataset.state = "done";
  ui.uploadStatus.textContent =
    `Uploaded ${(file.size / 1048576).toFixed(1)} MB, encrypted in this browser ` +
    `(${result.mode === "stream" ? "streamed" : `sent as one encrypted file: ${result.why}`}).`;
  ui.audioInput.value = "";
  await refreshRecordings();
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
    items.push(li);
    let meta;
    try {
      meta = JSON.parse(await getText(blob.blobId, F.recordingMeta));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) throw e;
      const err = document.createElement("p");
      err.className = "error";
      showError(err, e, "This recording does not open");
      li.append(err);
      continue;
    }
    const name = document.createElement("span");
    name.dataset.testid = "recording-name";
    name.textContent = meta.name;
    const size = document.createElement("span");
    size.className = "meta";
    size.textContent = ` · ${(meta.size / 1048576).toFixed(1)} MB `;
    const play = document.createElement("button");
    play.type = "button";
    play.className = "secondary";
    play.dataset.testid = "open-recording";
    play.textContent = "Open player";
    play.addEventListener("click", () =>
      action(play, ui.playerError, "Cannot play", () => openRecording(blob, meta)),
    );
    li.append(name, size, play);
  }
  ui.recordings.replaceChildren(...items);
  ui.recordingsEmpty.hidden = items.length > 0;
}

const player = new RecordingPlayer(
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
}
