// The demo's client for confide-server (server/README.md): challenge login, JSON and raw
// requests with the session token, uploads with progress, and base64url for the byte fields
// in JSON.
//
// Nothing here sees plaintext: callers hand it ciphertext, public bundles, log entries and
// grants. Errors carry the server's stable code, never a request or response body.

/** An answer from the server other than 2xx, or a network failure (`code: "network"`). */
export class ApiError extends Error {
  constructor(status, code) {
    super(`server answered ${status} ${code}`);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/**
 * Whether the server answers: "unreachable" after a request that got no answer at all,
 * "reachable" after any answer (an error status is an answer). The page shows and clears
 * its connection banner from these.
 */
export const reachability = new EventTarget();

function reached(ok) {
  reachability.dispatchEvent(new Event(ok ? "reachable" : "unreachable"));
}

/** Unpadded base64url (RFC 4648 §5), as the server writes binary fields. */
export function b64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function unb64(text) {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

async function errorOf(res) {
  let code = `http_${res.status}`;
  try {
    const body = await res.json();
    if (typeof body?.error?.code === "string") code = body.error.code;
  } catch {
    // Not JSON: keep the status-derived code.
  }
  return new ApiError(res.status, code);
}

/** PUT `body` with XMLHttpRequest, which reports upload progress (fetch does not). */
function xhrPut(path, token, body, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", path);
    xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    const total = body.size ?? body.byteLength;
    xhr.upload.addEventListener("progress", (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : total));
    xhr.addEventListener("load", () => {
      reached(true);
      if (xhr.status >= 200 && xhr.status < 300) return resolve(xhr.status);
      let code = `http_${xhr.status}`;
      try {
        code = JSON.parse(xhr.responseText).error.code ?? code;
      } catch {
        // keep the status code
      }
      reject(new ApiError(xhr.status, code));
    });
    xhr.addEventListener("error", () => {
      reached(false);
      reject(new ApiError(0, "network"));
    });
    xhr.send(body);
  });
}

/**
 * A logged-in session for one member. The token lives only in this object (memory); when it
 * expires, the next request signs a fresh challenge with the member's key.
 */
export class Session {
  #member;
  #token = null;

  constructor(member) {
    this.#member = member;
  }

  get memberId() {
    return this.#member.id;
  }

  /** POST /api/session/challenge, sign it, POST /api/session. */
  async login() {
    const ch = await this.#send("POST", "/api/session/challenge", {
      json: { bundle: b64(this.#member.publicBundle) },
      auth: false,
    });
    const { challenge, memberId } = await ch.json();
    const signature = this.#member.signServerChallenge(unb64(challenge));
    const res = await this.#send("POST", "/api/session", {
      json: { memberId, challenge, signature: b64(signature) },
      auth: false,
    });
    this.#token = (await res.json()).token;
  }

  /** Adds the bearer token; on 401 logs in again once and repeats the request. */
  async request(method, path, options = {}) {
    if (this.#token === null) await this.login();
    try {
      return await this.#send(method, path, options);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401 || options.body instanceof ReadableStream) throw e;
      await this.login();
      return this.#send(method, path, options);
    }
  }

  async json(method, path, json) {
    const res = await this.request(method, path, json === undefined ? {} : { json });
    return res.status === 204 ? null : res.json();
  }

  /** Raw bytes (a record's ciphertext). */
  async bytes(path, headers = {}) {
    const res = await this.request("GET", path, { headers });
    return new Uint8Array(await res.arrayBuffer());
  }

  /**
   * PUTs raw bytes (a `Blob` or `Uint8Array` of ciphertext), reporting `onProgress(sent,
   * total)` as they go out. Logs in again once on 401.
   */
  async upload(path, body, onProgress) {
    if (this.#token === null) await this.login();
    try {
      return await xhrPut(path, this.#token, body, onProgress);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
      await this.login();
      return xhrPut(path, this.#token, body, onProgress);
    }
  }

  /** DELETE that counts "already gone" (404) as done. */
  async remove(path) {
    try {
      await this.request("DELETE", path);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
    }
  }

  async #send(method, path, { json, body, headers = {}, auth = true, duplex, signal } = {}) {
    const init = { method, headers: { ...headers }, signal };
    if (json !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    } else if (body !== undefined) {
      init.headers["Content-Type"] ??= "application/octet-stream";
      init.body = body;
      if (duplex) init.duplex = duplex;
    }
    if (auth) init.headers.Authorization = `Bearer ${this.#token}`;
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      if (e?.name === "AbortError") throw e;
      reached(false);
      throw new ApiError(0, "network");
    }
    reached(true);
    if (!res.ok) throw await errorOf(res);
    return res;
  }
}

/** Path of a workspace route; ids are base64url or the page's random names, safe in paths. */
export function wsPath(workspaceId, rest = "") {
  return `/api/workspaces/${workspaceId}${rest}`;
}
