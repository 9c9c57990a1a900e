// Playback of an encrypted recording without downloading or decrypting all of it.
//
// The server answers HTTP Range requests on blobs; ws.decryptRange asks for the encrypted
// chunks that hold a plaintext range and authenticates each one. For a WAV (PCM) recording
// the byte offset of any moment is known from its header, so the player decrypts a window of
// audio starting at the moment you seek to, wraps it in a WAV header and plays that from a
// Blob URL; when the window ends, the next one follows. Other formats have no such offset
// map, so they are decrypted whole (still from ranges, still authenticated) and the browser
// seeks natively.

/** Seconds of audio decrypted per window. */
const WINDOW_SECONDS = 20;
/** One Range request fetches at least this much ciphertext, then serves reads from it. */
const FETCH_SPAN = 1 << 20;
/** How much plaintext is decrypted up front to find the WAV header. */
const HEAD_BYTES = 4096;
/** Seconds an arrow key moves the position, and Page Up or Page Down. */
const ARROW_SECONDS = 5;
const PAGE_SECONDS = 30;
/** A seek waits this long for the slider to come to rest, so a run of key presses costs one. */
const SEEK_SETTLE_MS = 300;

/**
 * A RangeSource for ws.decryptRange over `GET path` with `Range: bytes=A-B`. `size` is the
 * ciphertext size from the blob listing, so nothing past the end is ever asked for.
 */
export function rangeFetcher(session, path, size, onRequest) {
  let cached = null; // { start, bytes }
  return async (offset, length) => {
    if (offset >= size || length <= 0) return new Uint8Array(0);
    const end = Math.min(size, offset + length);
    if (cached && offset >= cached.start && end <= cached.start + cached.bytes.length) {
      return cached.bytes.subarray(offset - cached.start, end - cached.start);
    }
    const last = Math.min(size, Math.max(end, offset + FETCH_SPAN)) - 1;
    const res = await session.request("GET", path, { headers: { Range: `bytes=${offset}-${last}` } });
    let bytes = new Uint8Array(await res.arrayBuffer());
    // 200 means the server sent the whole blob (RFC 9110 allows it): take our part.
    if (res.status === 200) bytes = bytes.subarray(offset, last + 1);
    cached = { start: offset, bytes };
    onRequest?.(offset, last);
    return bytes.subarray(0, end - offset);
  };
}

function ascii(bytes, from, to) {
  return String.fromCharCode(...bytes.subarray(from, to));
}

/** The `fmt ` chunk and where the samples are, or null if this is not a PCM WAV header. */
export function parseWav(head) {
  if (head.length < 12 || ascii(head, 0, 4) !== "RIFF" || ascii(head, 8, 12) !== "WAVE") return null;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let fmt = null;
  for (let p = 12; p + 8 <= head.length; ) {
    const id = ascii(head, p, p + 4);
    const len = view.getUint32(p + 4, true);
    if (id === "fmt " && len >= 16 && p + 8 + len <= head.length) {
      fmt = head.slice(p, p + 8 + len);
    } else if (id === "data") {
      if (fmt === null) return null;
      const f = new DataView(fmt.buffer);
      const byteRate = f.getUint32(16, true);
      const blockAlign = f.getUint16(20, true);
      if (f.getUint16(8, true) !== 1 || byteRate === 0 || blockAlign === 0) return null;
      return { fmt, dataStart: p + 8, dataLength: len, byteRate, blockAlign };
    }
    p += 8 + len + (len & 1);
  }
  return null;
}

function wavHeader(fmt, dataBytes) {
  const out = new Uint8Array(12 + fmt.length + 8);
  const view = new DataView(out.buffer);
  out.set([0x52, 0x49, 0x46, 0x46], 0); // RIFF
  view.setUint32(4, 4 + fmt.length + 8 + dataBytes, true);
  out.set([0x57, 0x41, 0x56, 0x45], 8); // WAVE
  out.set(fmt, 12);
  out.set([0x64, 0x61, 0x74, 0x61], 12 + fmt.length); // data
  view.setUint32(12 + fmt.length + 4, dataBytes, true);
  return out;
}

export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * Drives the player's elements: an <audio> without native controls, a play button, a seek
 * slider, a time label and a status line.
 */
export class RecordingPlayer {
  #ui;
  #onError;
  #open = null; // { ws, source, ctx, plainSize, type, wav, requests }
  #url = null;
  #windowStart = 0; // seconds, where the current Blob starts in the recording
  #windowEnd = 0;
  #duration = 0;
  #seeking = false;
  #seekTimer = null;
  #generation = 0;

  constructor(ui, onError) {
    this.#ui = ui;
    this.#onError = onError;
    ui.audio.addEventListener("timeupdate", () => this.#showPosition());
    ui.audio.addEventListener("ended", () => this.#onEnded());
    ui.audio.addEventListener("play", () => this.#showPlaying(true));
    ui.audio.addEventListener("pause", () => this.#showPlaying(false));
    ui.play.addEventListener("click", () => this.#toggle());
    // The slider moves in whole seconds; the keys in steps worth hearing. While it moves,
    // only the time label follows; the seek (and its range requests) waits until it rests.
    ui.seek.addEventListener("keydown", (event) => {
      const by = { ArrowRight: ARROW_SECONDS, ArrowUp: ARROW_SECONDS, ArrowLeft: -ARROW_SECONDS, ArrowDown: -ARROW_SECONDS, PageUp: PAGE_SECONDS, PageDown: -PAGE_SECONDS }[event.key];
      if (by === undefined) return;
      event.preventDefault();
      ui.seek.value = String(Math.min(this.#duration, Math.max(0, Number(ui.seek.value) + by)));
      this.#sliderMoved();
    });
    ui.seek.addEventListener("input", () => this.#sliderMoved());
    ui.seek.addEventListener("change", () => this.#sliderMoved());
  }

  #sliderMoved() {
    this.#seeking = true;
    const t = Number(this.#ui.seek.value);
    this.#ui.time.textContent = `${clock(t)} / ${clock(this.#duration)}`;
    this.#ui.seek.setAttribute("aria-valuetext", `${clock(t)} of ${clock(this.#duration)}`);
    clearTimeout(this.#seekTimer);
    this.#seekTimer = setTimeout(() => {
      this.#seeking = false;
      this.seek(Number(this.#ui.seek.value));
    }, SEEK_SETTLE_MS);
  }

  /**
   * Opens a recording: `source` is a RangeSource over its ciphertext, `ctx` its record
   * context. Decrypts only the header for a WAV; anything else whole.
   */
  async open({ ws, source, ctx, plainSize, type, title, counter }) {
    this.close();
    const generation = ++this.#generation;
    const ui = this.#ui;
    ui.root.hidden = false;
    ui.title.textContent = title;
    ui.root.dataset.state = "loading";
    ui.root.setAttribute("aria-busy", "true");
    this.#status("Decrypting the start of the recording…");
    const head = await ws.decryptRange(source, ctx, 0, Math.min(HEAD_BYTES, plainSize));
    if (generation !== this.#generation) return;
    const wav = parseWav(head);
    head.fill(0);
    this.#open = { ws, source, ctx, plainSize, type, wav, counter };
    if (wav) {
      const dataLength = Math.min(wav.dataLength, plainSize - wav.dataStart);
      wav.dataLength = dataLength - (dataLength % wav.blockAlign);
      this.#duration = wav.dataLength / wav.byteRate;
      ui.root.dataset.mode = "ranges";
      await this.#loadWindow(0, false, generation);
    } else {
      ui.root.dataset.mode = "whole";
      this.#status("This format has no offset map: decrypting the whole recording…");
      const plain = await ws.decryptRange(source, ctx, 0);
      if (generation !== this.#generation) return;
      this.#setBlob(new Blob([plain], { type: type || "application/octet-stream" }));
      plain.fill(0);
      await this.#loaded();
      this.#duration = Number.isFinite(ui.audio.duration) ? ui.audio.duration : 0;
      this.#windowStart = 0;
      this.#windowEnd = this.#duration;
      this.#status(`Decrypted the whole recording (${counter.requests} range requests).`);
    }
    ui.seek.max = String(this.#duration);
    ui.seek.disabled = false;
    ui.play.disabled = false;
    ui.root.dataset.state = "ready";
    ui.root.removeAttribute("aria-busy");
    this.#showPosition();
  }

  /** Jumps to `seconds`; keeps playing if it was playing. */
  async seek(seconds) {
    if (!this.#open) return;
    const wasPlaying = !this.#ui.audio.paused;
    const t = Math.min(Math.max(0, seconds), this.#duration);
    if (!this.#open.wav) {
      this.#ui.audio.currentTime = t;
      return;
    }
    if (t >= this.#windowStart && t < this.#windowEnd - 0.5) {
      this.#ui.audio.currentTime = t - this.#windowStart;
      return;
    }
    await this.#run(() => this.#loadWindow(t, wasPlaying, this.#generation));
  }

  close() {
    clearTimeout(this.#seekTimer);
    this.#seeking = false;
    this.#generation++;
    this.#open = null;
    this.#ui.audio.pause();
    this.#ui.audio.removeAttribute("src");
    this.#ui.audio.load();
    if (this.#url) URL.revokeObjectURL(this.#url);
    this.#url = null;
    this.#ui.root.hidden = true;
    this.#ui.play.disabled = true;
    this.#ui.seek.disabled = true;
  }

  async #run(fn) {
    try {
      await fn();
    } catch (e) {
      this.#ui.root.dataset.state = "error";
      this.#ui.root.removeAttribute("aria-busy");
      this.#onError(e);
    }
  }

  /** Decrypts [t, t + WINDOW_SECONDS) of the samples and loads it into the audio element. */
  async #loadWindow(t, play, generation) {
    const { ws, source, ctx, wav, counter } = this.#open;
    const ui = this.#ui;
    const first = Math.floor((t * wav.byteRate) / wav.blockAlign) * wav.blockAlign;
    let bytes = Math.floor((WINDOW_SECONDS * wav.byteRate) / wav.blockAlign) * wav.blockAlign;
    bytes = Math.min(bytes, wav.dataLength - first);
    const start = wav.dataStart + first;
    ui.root.dataset.state = "loading";
    ui.root.setAttribute("aria-busy", "true");
    const before = counter.requests;
    this.#status(`Decrypting from ${clock(first / wav.byteRate)}…`);
    const samples = await ws.decryptRange(source, ctx, start, start + bytes);
    if (generation !== this.#generation) return;
    this.#windowStart = first / wav.byteRate;
    this.#windowEnd = (first + samples.length) / wav.byteRate;
    this.#setBlob(new Blob([wavHeader(wav.fmt, samples.length), samples], { type: "audio/wav" }));
    samples.fill(0);
    await this.#loaded();
    if (generation !== this.#generation) return;
    ui.root.dataset.windowStart = String(Math.round(this.#windowStart));
    this.#status(
      `Decrypted ${clock(this.#windowStart)}–${clock(this.#windowEnd)} ` +
        `(plaintext bytes ${start.toLocaleString("en")}–${(start + samples.length).toLocaleString("en")}) ` +
        `from ${counter.requests - before} range request${counter.requests - before === 1 ? "" : "s"}.`,
    );
    ui.root.dataset.state = "ready";
    ui.root.removeAttribute("aria-busy");
    this.#showPosition();
    if (play) await this.#play();
  }

  #setBlob(blob) {
    if (this.#url) URL.revokeObjectURL(this.#url);
    this.#url = URL.createObjectURL(blob);
    this.#ui.audio.src = this.#url;
  }

  #loaded() {
    const audio = this.#ui.audio;
    return new Promise((resolve, reject) => {
      const done = () => {
        audio.removeEventListener("loadedmetadata", done);
        audio.removeEventListener("error", fail);
        resolve();
      };
      const fail = () => {
        audio.removeEventListener("loadedmetadata", done);
        audio.removeEventListener("error", fail);
        reject(Object.assign(new Error("media"), { code: "unplayable" }));
      };
      audio.addEventListener("loadedmetadata", done);
      audio.addEventListener("error", fail);
    });
  }

  async #play() {
    try {
      await this.#ui.audio.play();
    } catch {
      // Autoplay refused (no recent click): the Play button still works.
      this.#showPlaying(false);
    }
  }

  async #toggle() {
    if (!this.#open) return;
    const audio = this.#ui.audio;
    if (!audio.paused) {
      audio.pause();
      return;
    }
    const position = this.#windowStart + audio.currentTime;
    if (this.#open.wav && (audio.ended || position >= this.#duration - 0.05)) {
      await this.#run(() => this.#loadWindow(0, true, this.#generation));
    } else {
      await this.#play();
    }
  }

  #onEnded() {
    if (!this.#open?.wav || this.#windowEnd >= this.#duration - 0.01) {
      this.#showPlaying(false);
      return;
    }
    this.#run(() => this.#loadWindow(this.#windowEnd, true, this.#generation));
  }

  #showPosition() {
    const position = this.#windowStart + (this.#ui.audio.currentTime || 0);
    this.#ui.root.dataset.position = position.toFixed(1);
    if (this.#seeking) return;
    this.#ui.seek.value = String(position);
    this.#ui.seek.setAttribute("aria-valuetext", `${clock(position)} of ${clock(this.#duration)}`);
    this.#ui.time.textContent = `${clock(position)} / ${clock(this.#duration)}`;
  }

  #showPlaying(playing) {
    this.#ui.play.textContent = playing ? "Pause" : "Play";
    this.#ui.root.dataset.playing = String(playing);
  }

  #status(text) {
    this.#ui.status.textContent = text;
  }
}
