// Confide demo server: a dependency-free static file server for the demo page.
//
//   node www/serve.mjs            -> http://127.0.0.1:8080
//   PORT=8090 node www/serve.mjs  -> http://127.0.0.1:8090
//
// Serves www/ at / and the built npm package at /confide/ (only its dist/ and wasm/
// folders). Every response carries a strict Content-Security-Policy; nothing outside
// those folders is reachable. This is a demo server: it binds to loopback only.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { dirname, extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const HOST = "127.0.0.1";
const PORT = parsePort(process.env.PORT ?? "8080");

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..");

/** URL prefix -> directory on disk. The first matching prefix wins. */
const MOUNTS = [
  ["/confide/dist/", resolve(repo, "js", "dist")],
  ["/confide/wasm/", resolve(repo, "js", "wasm")],
  ["/", resolve(here)],
];

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Under /confide/, only what the published package ships (its package.json "files"), so
 * test-only builds that may sit in js/dist (such as hazmat.js) are never served.
 */
const PACKAGE_FILES = new Set(
  JSON.parse(readFileSync(resolve(repo, "js", "package.json"), "utf8")).files.map((f) =>
    resolve(repo, "js", f),
  ),
);

/** Files under www/ that are not part of the page. */
const HIDDEN = new Set(["/serve.mjs"]);

/** A built-in icon, so the browser's favicon request does not log a 404. */
const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
  '<rect x="6" y="14" width="20" height="15" rx="3" fill="#2f5d50"/>' +
  '<path d="M11 14v-4a5 5 0 0 1 10 0v4" fill="none" stroke="#2f5d50" stroke-width="3"/>' +
  "</svg>";

const SECURITY_HEADERS = {
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cache-Control": "no-store",
};

function parsePort(text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    console.error(`invalid PORT: ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}

/** Maps a request path to a file under one of the mounts, or null. */
function locate(pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
  if (decoded === "/") decoded = "/index.html";
  for (const [prefix, root] of MOUNTS) {
    if (!decoded.startsWith(prefix)) continue;
    const rest = decoded.slice(prefix.length);
    if (prefix === "/" && HIDDEN.has(decoded)) return null;
    const file = resolve(root, "." + sep + rest);
    // The resolved path must stay strictly inside the mount's root.
    if (file !== root && !file.startsWith(root + sep)) return null;
    if (prefix !== "/" && !PACKAGE_FILES.has(file)) return null;
    return file;
  }
  return null;
}

function send(res, status, body, type) {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

async function handle(req, res) {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    return send(res, 405, "method not allowed\n", "text/plain; charset=utf-8");
  }
  let pathname;
  try {
    pathname = new URL(req.url ?? "/", "http://localhost").pathname;
  } catch {
    return send(res, 400, "bad request\n", "text/plain; charset=utf-8");
  }
  if (pathname === "/favicon.svg" || pathname === "/favicon.ico") {
    return send(res, 200, req.method === "HEAD" ? "" : FAVICON, "image/svg+xml");
  }
  const file = locate(pathname);
  const type = file && MIME[extname(file).toLowerCase()];
  if (!file || !type) return send(res, 404, "not found\n", "text/plain; charset=utf-8");
  try {
    const info = await stat(file);
    if (!info.isFile()) return send(res, 404, "not found\n", "text/plain; charset=utf-8");
    const body = await readFile(file);
    res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": type, "Content-Length": body.length });
    res.end(req.method === "HEAD" ? undefined : body);
  } catch {
    send(res, 404, "not found\n", "text/plain; charset=utf-8");
  }
}

const server = createServer((req, res) => {
  handle(req, res).catch(() => {
    if (!res.headersSent) send(res, 500, "internal error\n", "text/plain; charset=utf-8");
    else res.destroy();
  });
});

server.on("error", (e) => {
  console.error(`Confide demo: cannot listen on ${HOST}:${PORT}: ${e.message}`);
  process.exit(1);
});

server.listen(PORT, HOST, () => {
  console.log(`Confide demo: http://${HOST}:${PORT}`);
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  // Keep-alive sockets should be gone now; do not hang on a stuck one.
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
