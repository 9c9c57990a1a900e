// What a chosen file is, checked before any work: a transcript must be plain text, a
// recording must be audio. Refusing up front beats a failure later that reads like damage.
import { PageError } from "./errors.js";

/** The largest transcript file, before encryption. */
export const MAX_TRANSCRIPT_BYTES = 3 * 1024 * 1024;

/**
 * The transcript's bytes if `file` is plain text (UTF-8, with or without a byte order mark,
 * and no control characters other than tab, line feed, form feed and carriage return);
 * otherwise a PageError. The caller zeroes the bytes when done.
 */
export async function readTranscript(file) {
  if (file.size > MAX_TRANSCRIPT_BYTES) throw new PageError("transcript_too_large");
  if (file.type && !file.type.startsWith("text/")) throw new PageError("transcript_not_text");
  const bytes = new Uint8Array(await file.arrayBuffer());
  const notText = () => {
    bytes.fill(0);
    return new PageError("transcript_not_text");
  };
  if (bytes.length === 0) throw notText();
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw notText();
  }
  // A PDF can begin in plain ASCII; its header gives it away.
  if (text.startsWith("%PDF-") || /[\u0000-\u0008\u000B\u000E-\u001F\u007F]/.test(text)) throw notText();
  return bytes;
}

function ascii(bytes, at, text) {
  return [...text].every((c, i) => bytes[at + i] === c.charCodeAt(0));
}

/** Recognizes the common audio containers by their first bytes. */
function looksLikeAudio(head) {
  return (
    (ascii(head, 0, "RIFF") && ascii(head, 8, "WAVE")) || // WAV
    (ascii(head, 0, "FORM") && (ascii(head, 8, "AIFF") || ascii(head, 8, "AIFC"))) || // AIFF
    ascii(head, 0, "ID3") || // MP3 with an ID3 tag
    (head[0] === 0xff && (head[1] & 0xe0) === 0xe0) || // MPEG audio or ADTS (AAC) frame
    ascii(head, 0, "OggS") || // Ogg (Vorbis, Opus)
    ascii(head, 0, "fLaC") || // FLAC
    ascii(head, 4, "ftyp") || // MP4 family (M4A)
    (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) // WebM, Matroska
  );
}

/** Refuses an empty file, or one that is not audio, with a PageError. */
export async function checkRecording(file) {
  if (!file) throw new PageError("no_recording");
  if (file.size === 0) throw new PageError("recording_empty");
  const type = file.type;
  if (type && !type.startsWith("audio/") && !["video/webm", "video/mp4", "video/ogg", "application/ogg"].includes(type)) {
    throw new PageError("not_audio");
  }
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  if (head.length < 4 || !looksLikeAudio(head)) throw new PageError("not_audio");
}
