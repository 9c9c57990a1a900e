// A tiny static server for the browser benchmark: serves the bench pages, the built package
// (js/dist, js/wasm), node_modules and the practice examples/bench-practice.rs wrote
// (build/bench-practice) from the repository root, on 127.0.0.1, random port.
// bench/page.html gets an import map, generated here from the peers' package.json files,
// in place of its <!-- IMPORTMAP --> marker.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ALLOWED = ["/bench/", "/js/dist/", "/js/wasm/", "/node_modules/", "/build/bench-practice/"];
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".map": "application/json",
};

/** The ESM entry a package exports for `subpathTarget` (string or conditions object). */
function pickTarget(target) {
  if (typeof target === "string") return target;
  if (target && typeof target === "object") {
    for (const cond of ["browser", "import", "module", "default"]) {
      if (cond in target) {
        const t = pickTarget(target[cond]);
        if (t) return t;
      }
    }
  }
  return null;
}

/**
 * An import map covering `roots` and their transitive dependencies, all resolved from the
 * top-level node_modules (throws if a package is missing there, e.g. only nested).
 */
export function buildImportMap(roots) {
  const imports = {};
  const queue = [...roots];
  const seen = new Set();
  while (queue.length) {
    const name = queue.shift();
    if (seen.has(name)) continue;
    seen.add(name);
    const dir = join(ROOT, "node_modules", name);
    const pjPath = join(dir, "package.json");
    if (!existsSync(pjPath)) throw new Error(`bench: ${name} is not in node_modules/ (run npm ci)`);
    const pj = JSON.parse(readFileSync(pjPath, "utf8"));
    const base = `/node_modules/${name}/`;
    const exp = pj.exports;
    if (exp && typeof exp === "object" && Object.keys(exp).some((k) => k.startsWith("."))) {
      for (const [key, target] of Object.entries(exp)) {
        if (key === "./package.json") continue;
        if (key.includes("*")) {
          imports[`${name}/`] = base; // pattern exports: fall back to the package directory
          continue;
        }
        const t = pickTarget(target);
        if (!t) continue;
        const spec = key === "." ? name : `${name}/${key.slice(2)}`;
        imports[spec] = base + t.replace(/^\.\//, "");
      }
    } else {
      const entry = pickTarget(exp) ?? pj.module ?? pj.main ?? "index.js";
      imports[name] = base + entry.replace(/^\.\//, "");
      imports[`${name}/`] = base;
    }
    for (const dep of Object.keys(pj.dependencies ?? {})) queue.push(dep);
  }
  return { imports };
}

/** Starts the server; resolves to `{ origin, close }`. */
export async function startServer({ importMapRoots }) {
  const importMap = JSON.stringify(buildImportMap(importMapRoots), null, 2);
  const server = createServer(async (req, res) => {
    const headers = {
      "Cache-Control": "no-store",
      // Cross-origin isolation: finer performance.now() resolution in the page.
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cross-Origin-Resource-Policy": "same-origin",
    };
    try {
      const url = new URL(req.url, "http://127.0.0.1");
      let path = decodeURIComponent(url.pathname);
      if (path === "/") {
        res.writeHead(302, { ...headers, Location: "/bench/page.html" });
        return res.end();
      }
      if (path === "/favicon.ico") {
        res.writeHead(204, headers);
        return res.end();
      }
      const rel = normalize(path).replace(/\\/g, "/");
      if (rel.includes("..") || !ALLOWED.some((p) => rel.startsWith(p))) {
        res.writeHead(403, headers);
        return res.end("forbidden");
      }
      const file = join(ROOT, ...rel.split("/").filter(Boolean));
      if (!file.startsWith(ROOT) || !(await stat(file)).isFile()) throw Object.assign(new Error(), { code: "ENOENT" });
      let body = await readFile(file);
      if (rel === "/bench/page.html") {
        body = Buffer.from(body.toString("utf8").replace("<!-- IMPORTMAP -->", importMap));
      }
      res.writeHead(200, { ...headers, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream", "Content-Length": body.length });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch (e) {
      res.writeHead(e?.code === "ENOENT" || e?.code === "ENOTDIR" ? 404 : 500, headers);
      res.end(String(e?.code ?? e));
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    importMap,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
