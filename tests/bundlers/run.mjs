// `make test-bundlers`: consumer apps built from the packed tarball with the tools pinned in
// tests/bundlers/package-lock.json (installed by the Makefile into build/bundlers), each loaded
// in headless Chromium, which runs the README's quickstart (tests/bundlers/apps/shared/
// quickstart.js) and shows the result on the page. A page fails on a failed step, a console
// error, a page error, an HTTP error (a .wasm or worker file missing from the build), or fewer
// than two workers started (confide/worker's and the Argon2 one). Also: plain Node ESM and
// TypeScript --strict consumers (bundler and node16 resolution) in fresh projects.
//
// The README's Install section is the script: the `npm install ./build/confide-….tgz` line is
// what the fresh projects run, and the esbuild snippet (shell and JS) is run as written.
import { execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "@playwright/test";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const APPS = join(ROOT, "tests/bundlers/apps");
const WORK = join(ROOT, "build/bundlers");
const VERSION = JSON.parse(readFileSync(join(ROOT, "js/package.json"), "utf8")).version;
// CONFIDE_TARBALL runs the suite against another build of the package (say, an older one).
const TARBALL = process.env.CONFIDE_TARBALL ?? join(ROOT, `build/confide-${VERSION}.tgz`);
const BIN = join(WORK, "node_modules/.bin");
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
// Ports 8300-8399 are this suite's.
const PORTS = { vite: 8301, webpack: 8302, esbuild: 8303, viteDev: 8311, nextStart: 8321, nextDev: 8322 };

const t0 = Date.now();
const seconds = (since) => ((Date.now() - since) / 1000).toFixed(1);
const log = (m) => console.log(`[bundlers +${seconds(t0)}s] ${m}`);
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NO_COLOR: "1", BROWSER: "none" };
const results = [];

// ---------- the README's Install section ---------------------------------------------------------

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const install = readme.slice(readme.indexOf("\n## Install\n"), readme.indexOf("\n## Quickstart\n"));
if (install.length < 100) throw new Error("README.md has no Install section before Quickstart");
const blocks = [...install.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map(([, lang, body]) => ({ lang, body }));
const npmLine = install.match(/npm install (\.\/build\/confide-[\d.]+\.tgz)/);
if (!npmLine) throw new Error("README Install: no `npm install ./build/confide-<version>.tgz` line");
const esbuildAt = blocks.findIndex((b) => b.lang === "sh" && b.body.includes("esbuild "));
const esbuildShell = blocks[esbuildAt]?.body;
const esbuildJs = blocks[esbuildAt + 1]?.lang === "js" ? blocks[esbuildAt + 1].body : undefined;
if (!esbuildShell || !esbuildJs) throw new Error("README Install: no esbuild shell snippet followed by its JS snippet");

// ---------- helpers --------------------------------------------------------------------------------

function run(cmd, args, cwd, what, timeoutMs = 300_000) {
  return promisify(execFile)(cmd, args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 << 20 }).catch((e) => {
    throw new Error(`${what} failed:\n${String(e.stdout ?? "").slice(-4000)}\n${String(e.stderr ?? e.message).slice(-4000)}`);
  });
}

/** Starts a long-running command; resolves once `ready` appears in its output. */
function start(cmd, args, cwd, ready, what) {
  const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  const stop = () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (stop(), reject(new Error(`${what}: not ready after 120 s:\n${out.slice(-3000)}`))), 120_000);
    const onData = (d) => {
      out += d;
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve({ stop, output: () => out });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => (clearTimeout(timer), reject(new Error(`${what} exited with ${code}:\n${out.slice(-3000)}`))));
  });
}

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".css": "text/css" };

/**
 * A static server for a built app, with the Content-Security-Policy the README asks for
 * (script-src 'self' 'wasm-unsafe-eval'; workers fall back to it), so a build that needs
 * eval, inline script or blob: workers fails here as it would on a strict site.
 */
function serve(dir, port) {
  const server = createServer(async (req, res) => {
    const headers = { "Content-Security-Policy": "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'", "Cache-Control": "no-store" };
    let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path === "/favicon.ico") return void res.writeHead(204, headers).end();
    if (path.endsWith("/")) path += "index.html";
    const file = normalize(join(dir, path));
    try {
      if (!file.startsWith(dir) || !(await stat(file)).isFile()) throw new Error("not a file");
      res.writeHead(200, { ...headers, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" }).end(await readFile(file));
    } catch {
      res.writeHead(404, headers).end("not found");
    }
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(() => new Promise((r) => (server.closeAllConnections(), server.close(r))))));
}

/** Loads `url` in a fresh context; records the quickstart's result and every problem seen. */
async function check(browser, name, url) {
  const since = Date.now();
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  const workers = [];
  // The browser's own favicon request is the app's business, not the package's.
  const favicon = (url) => new URL(url || "http://x/").pathname === "/favicon.ico";
  page.on("console", (m) => {
    if (m.type() === "error" && !favicon(m.location().url)) problems.push(`console error: ${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  // On the context, so that requests made by workers count too.
  context.on("response", (r) => r.status() >= 400 && !favicon(r.url()) && problems.push(`HTTP ${r.status()} for ${r.url()}`));
  page.on("worker", (w) => workers.push(w.url()));
  let result;
  try {
    await page.goto(url, { waitUntil: "load", timeout: 120_000 });
    await page.waitForFunction(() => document.getElementById("result")?.textContent?.startsWith("{"), null, { timeout: 120_000 });
    result = JSON.parse(await page.textContent("#result"));
  } catch (e) {
    result = { ok: false, steps: [], error: e.message.split("\n")[0] };
  } finally {
    await context.close();
  }
  if (!result.ok) problems.unshift(`quickstart: ${result.error} (after: ${result.steps.join(", ") || "nothing"})`);
  if (result.ok && workers.length < 2) problems.push(`only ${workers.length} worker(s) started: ${workers.join(", ")}`);
  report(name, problems, `${result.steps.length} steps, ${workers.length} workers`, since);
}

function report(name, problems, detail, since) {
  results.push({ name, ok: problems.length === 0 });
  console.log(`${problems.length ? "✖" : "✔"} ${name}: ${detail} (${seconds(since)} s)`);
  for (const p of problems) console.log(`    ${p}`);
}

/** Runs a build step as part of a target; a failure is that target's failure, not the suite's end. */
async function step(name, f) {
  const since = Date.now();
  try {
    return await f();
  } catch (e) {
    report(name, [e.message], "did not build", since);
    return undefined;
  }
}

/** A copy of apps/<app> (and the shared quickstart) under build/bundlers, sharing the tools. */
function prepare(app, sourceDir) {
  const dir = join(WORK, app);
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(APPS, app), dir, { recursive: true });
  cpSync(join(APPS, "shared/quickstart.js"), join(dir, sourceDir, "quickstart.js"));
  return dir;
}

/** A fresh project that installs the tarball with the README's own command. */
async function freshProject(app) {
  const dir = prepare(app, ".");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `confide-${app}-consumer`, private: true, type: "module" }, null, 2));
  const [, rel] = npmLine;
  await run("npm", ["install", "--no-audit", "--no-fund", process.env.CONFIDE_TARBALL ?? join(ROOT, rel)], dir, `npm install ${rel}`);
  return dir;
}

// ---------- the targets ----------------------------------------------------------------------------

async function main() {
  if (!existsSync(TARBALL)) throw new Error(`${TARBALL} is missing: run make build`);
  if (!existsSync(join(BIN, "vite"))) throw new Error("build/bundlers/node_modules is missing: run make test-bundlers");
  // The tools' shared install gets confide as a user's app would, from the tarball.
  await run("npm", ["install", "--no-save", "--no-audit", "--no-fund", TARBALL], WORK, "npm install the tarball");
  log(`confide ${VERSION} installed from ${TARBALL.slice(ROOT.length)}`);

  // Node ESM and TypeScript: fresh projects, no bundler.
  await step("Node ESM", async () => {
    const since = Date.now();
    const dir = await freshProject("node");
    const { stdout } = await run(process.execPath, ["main.mjs"], dir, "node main.mjs");
    const result = JSON.parse(stdout.trim().split("\n").pop());
    report(`Node ${process.version} ESM (npm install ${npmLine[1]})`, result.ok ? [] : [`${result.error} (after: ${result.steps.join(", ")})`], `${result.steps.length} steps`, since);
  });
  await step("TypeScript", async () => {
    const dir = await freshProject("ts");
    for (const resolution of ["bundler", "node16"]) {
      const since = Date.now();
      const out = await run(join(BIN, "tsc"), ["-p", `tsconfig.${resolution}.json`], dir, `tsc --strict, moduleResolution ${resolution}`).then(
        () => [],
        (e) => [e.message],
      );
      report(`TypeScript --strict, moduleResolution ${resolution}`, out, "type-checks", since);
    }
  });

  // Builds, one at a time (two cores).
  const vite = prepare("vite", "src");
  const viteBuilt = await step("Vite build", async () => {
    await run(join(BIN, "vite"), ["build"], vite, "vite build");
    log("vite build done");
    return true;
  });
  const webpack = prepare("webpack", "src");
  const webpackBuilt = await step("webpack build", async () => {
    await run(join(BIN, "webpack"), ["--config", "webpack.config.js"], webpack, "webpack");
    cpSync(join(webpack, "index.html"), join(webpack, "dist/index.html"));
    log("webpack build done");
    return true;
  });
  const esbuild = prepare("esbuild", "src");
  const esbuildBuilt = await step("esbuild", async () => {
    symlinkSync(join(WORK, "node_modules"), join(esbuild, "node_modules"));
    // The README's esbuild snippet, as written: its JS lines start the app, its shell lines build.
    writeFileSync(join(esbuild, "src/app.js"), `${esbuildJs}\nimport { quickstart, show } from "./quickstart.js";\nquickstart().then(show);\n`);
    mkdirSync(join(esbuild, "public"), { recursive: true });
    cpSync(join(esbuild, "index.html"), join(esbuild, "public/index.html"));
    await run("bash", ["-euo", "pipefail", "-c", esbuildShell], esbuild, "the README's esbuild snippet");
    log("esbuild done");
    return true;
  });
  const next = prepare("next", "app");
  const nextBuilt = await step("next build", async () => {
    await run(join(BIN, "next"), ["build"], next, "next build", 600_000);
    log("next build done");
    return true;
  });

  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  try {
    for (const [name, built, dir, port] of [
      ["Vite: vite build, served statically", viteBuilt, join(vite, "dist"), PORTS.vite],
      ["webpack 5 production build", webpackBuilt, join(webpack, "dist"), PORTS.webpack],
      ["esbuild, with the README's snippet", esbuildBuilt, join(esbuild, "public"), PORTS.esbuild],
    ]) {
      if (built === undefined) continue;
      const close = await serve(dir, port);
      await check(browser, name, `http://127.0.0.1:${port}/`).finally(close);
    }
    await step("Vite dev server", async () => {
      const server = await start(join(BIN, "vite"), ["--port", String(PORTS.viteDev), "--strictPort", "--host", "127.0.0.1"], vite, /Local:/, "vite dev");
      await check(browser, "Vite dev server (dependency pre-bundling)", `http://127.0.0.1:${PORTS.viteDev}/`).finally(server.stop);
    });
    // Next.js builds with Turbopack by default; `--webpack` is the other bundler it ships.
    for (const [flags, label] of [[[], "Turbopack"], [["--webpack"], "--webpack"]]) {
      const built = flags.length === 0 ? nextBuilt : await step(`next build ${label}`, async () => {
        await run(join(BIN, "next"), ["build", ...flags], next, `next build ${label}`, 600_000);
        return true;
      });
      if (built === undefined) continue;
      await step(`next start (${label})`, async () => {
        const server = await start(join(BIN, "next"), ["start", "-p", String(PORTS.nextStart), "-H", "127.0.0.1"], next, /Ready in|Local:/i, "next start");
        await check(browser, `Next.js app router: next build (${label}) && next start`, `http://127.0.0.1:${PORTS.nextStart}/`).finally(server.stop);
      });
    }
    await step("next dev", async () => {
      const server = await start(join(BIN, "next"), ["dev", "-p", String(PORTS.nextDev), "-H", "127.0.0.1"], next, /Ready in|Local:/i, "next dev");
      await check(browser, "Next.js app router: next dev", `http://127.0.0.1:${PORTS.nextDev}/`).finally(server.stop);
    });
  } finally {
    await browser.close();
  }
  const failed = results.filter((r) => !r.ok).length;
  log(`done in ${seconds(t0)} s`);
  console.log(`bundlers: ${results.length - failed} passed, ${failed} failed`);
  return failed === 0 && results.length >= 10;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
