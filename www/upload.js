// Uploading a recording, encrypted as it is read.
//
// Best case: the file's stream runs through ws.encryptStream straight into a streaming fetch
// PUT (`duplex: "half"`), so memory stays flat whatever the size. Browsers that do not stream
// request bodies (Firefox, Safari), and Chromium on an HTTP/1.1 connection (it streams only
// over HTTP/2 or HTTP/3, and the reference server speaks HTTP/1.1), get the other way: the
// same encrypted stream collected into a Blob, then sent with XMLHttpRequest, which reports
// upload progress. Either way nothing but ciphertext leaves the page.

import { ApiError } from "./api.js";

/** Does this browser send a ReadableStream as a request body? (The Request must ask for duplex.) */
function supportsRequestStreams() {
  try {
    let askedForDuplex = false;
    const hasContentType = new Request(location.href, {
      method: "POST",
      body: new ReadableStream(),
      get duplex() {
        askedForDuplex = true;
        return "half";
      },
    }).headers.has("Content-Type");
    // A browser that stringifies the stream sets text/plain: it does not stream.
    return askedForDuplex && !hasContentType;
  } catch {
    return false;
  }
}

/** The page's connection protocol, as the browser reports it ("http/1.1", "h2", "h3"). */
function pageProtocol() {
  const nav = performance.getEntriesByType?.("navigation")?.[0];
  return nav?.nextHopProtocol ?? "";
}

/** How this page will upload: "stream" or "blob", with the reason for the UI. */
export function uploadMode() {
  if (!supportsRequestStreams()) {
    return { mode: "blob", why: "this browser does not stream request bodies" };
  }
  const protocol = pageProtocol();
  if (protocol !== "h2" && protocol !== "h3") {
    return { mode: "blob", why: `the connection is ${protocol || "HTTP/1.x"}, and streamed uploads need HTTP/2 or later` };
  }
  return { mode: "stream", why: `streamed over ${protocol}` };
}

/**
 * Encrypts `file` under `ctx` and PUTs it to `path`. `progress(phase, fraction)` is called
 * with phase "encrypting" or "uploading" (one phase only when streaming).
 */
export async function uploadEncrypted({ session, ws, file, ctx, path, progress }) {
  const how = uploadMode();
  if (how.mode === "stream") {
    progress("uploading", 0);
    const body = file.stream().pipeThrough(
      ws.encryptStream(ctx, { onProgress: (n) => progress("uploading", n / Math.max(1, file.size)) }),
    );
    // Make sure the token is fresh: a streamed body cannot be sent twice.
    await session.login();
    try {
      await session.request("PUT", path, { body, duplex: "half" });
      progress("uploading", 1);
      return how;
    } catch (e) {
      // Refused before the body was read (e.g. a proxy without streaming): fall through.
      if (!(e instanceof ApiError) || e.code !== "network") throw e;
    }
  }
  progress("encrypting", 0);
  const parts = [];
  await file
    .stream()
    .pipeThrough(ws.encryptStream(ctx, { onProgress: (n) => progress("encrypting", n / Math.max(1, file.size)) }))
    .pipeTo(new WritableStream({ write: (chunk) => void parts.push(chunk) }));
  const blob = new Blob(parts, { type: "application/octet-stream" });
  parts.length = 0;
  progress("uploading", 0);
  await session.upload(path, blob, (sent, total) => progress("uploading", sent / Math.max(1, total)));
  progress("uploading", 1);
  return { mode: "blob", why: how.why };
}
