// Runs suite.mjs in headless Chromium (Playwright with /usr/bin/chromium) and headless Firefox
// (geckodriver's WebDriver API). Run from build/js-test (see `make test-js`).
import { createServer } from "node:http";
import { readFile, writeFile } from "node:fs/promises";
import { spawn } from "node:child_process";
import { extname, join, normalize } from "node:path";
import { chromium } from "@playwright/test";
import { vectorNames } from "./vectors.mjs";

const ROOT = process.cwd();
const TYPES = { ".html": "text/html", ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".txt": "text/plain" };
const names = vectorNames(new URL("./vectors/", `file://${ROOT}/`));
await writeFile(join(ROOT, "vectors-index.json"), JSON.stringify(names));

const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  const file = path === "/vectors/index.json" ? join(ROOT, "vectors-index.json") : normalize(join(ROOT, path));
  if (!file.startsWith(ROOT)) return void res.writeHead(404).end();
  try {
    const body = await readFile(file);
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${server.address().port}/browser.html`;
const deadline = (ms, what) => new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: timed out`)), ms).unref());

/** Adds the device-storage reload check's outcome to a suite result. */
function withDevice(result, outcomes) {
  for (const [when, d] of outcomes) {
    result.total++;
    if (d?.ok) result.passed++;
    else result.failed.push({ name: `device storage, ${when}`, message: d?.message ?? "no result" });
  }
  return result;
}

async function inChromium() {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(() => window.__suite !== undefined, null, { timeout: 60_000 });
    const result = await page.evaluate(() => window.__suite);
    const agent = await page.evaluate(() => navigator.userAgent);
    // The member the suite saved, from a new page and then after a reload of it.
    const device = async () => {
      await page.waitForFunction(() => window.__device !== undefined, null, { timeout: 30_000 });
      return page.evaluate(() => window.__device);
    };
    await page.goto(url.replace("browser.html", "device.html"));
    const fresh = await device();
    await page.reload();
    return { result: withDevice(result, [["new page", fresh], ["reload", await device()]]), agent };
  } finally {
    await browser.close();
  }
}

async function inFirefox() {
  const port = 4444 + Math.floor(Math.random() * 1000);
  const driver = spawn("geckodriver", ["--port", String(port)], { stdio: "ignore" });
  const wd = async (method, path, body) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { "content-type": "application/json" }, body: body && JSON.stringify(body) });
    const json = await res.json();
    if (!res.ok) throw new Error(`webdriver ${path}: ${JSON.stringify(json.value)}`);
    return json.value;
  };
  try {
    for (let i = 0; ; i++) {
      try { await wd("GET", "/status"); break; } catch (e) { if (i > 50) throw e; await new Promise((r) => setTimeout(r, 100)); }
    }
    const { sessionId } = await wd("POST", "/session", { capabilities: { alwaysMatch: { "moz:firefoxOptions": { args: ["-headless"] } } } });
    try {
      const poll = async (name, what) => {
        for (let i = 0; i < 600; i++) {
          const value = await wd("POST", `/session/${sessionId}/execute/sync`, { script: `return window.${name} ?? null`, args: [] });
          if (value) return value;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`${what} did not finish in Firefox`);
      };
      await wd("POST", `/session/${sessionId}/url`, { url });
      const result = await poll("__suite", "suite");
      const agent = await wd("POST", `/session/${sessionId}/execute/sync`, { script: "return navigator.userAgent", args: [] });
      // The member the suite saved, from a new page and then after a reload of it.
      const deviceUrl = url.replace("browser.html", "device.html");
      await wd("POST", `/session/${sessionId}/url`, { url: deviceUrl });
      const fresh = await poll("__device", "device page");
      await wd("POST", `/session/${sessionId}/refresh`, {});
      return { result: withDevice(result, [["new page", fresh], ["reload", await poll("__device", "reloaded device page")]]), agent };
    } finally {
      await wd("DELETE", `/session/${sessionId}`).catch(() => {});
    }
  } finally {
    driver.kill();
  }
}

/** confide/worker needs module workers and transferable streams: checked in Chromium. */
async function workerInChromium() {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url.replace("browser.html", "worker.html"));
    await page.waitForFunction(() => window.__suite !== undefined, null, { timeout: 90_000 });
    const result = await page.evaluate(() => window.__suite);
    for (const e of errors) result.failed.push({ name: "page error", message: e });
    return { result, agent: await page.evaluate(() => navigator.userAgent) };
  } finally {
    await browser.close();
  }
}

let failures = 0;
let passes = 0;
const runs = [["Chromium", inChromium, /HeadlessChrome/, 8], ["Firefox", inFirefox, /Firefox/, 8], ["Chromium, confide/worker", workerInChromium, /HeadlessChrome/, 6]];
for (const [name, run, expectAgent, minimum] of runs) {
  try {
    const { result, agent } = await Promise.race([run(), deadline(120_000, name)]);
    if (!expectAgent.test(agent)) throw new Error(`ran in ${agent}, not ${name}`);
    for (const f of result.failed) console.log(`✖ ${name}: ${f.name}: ${f.message}`);
    console.log(`${result.failed.length ? "✖" : "✔"} ${name} (${agent}): ${result.passed}/${result.total} checks passed`);
    if (result.timing) console.log(`  ${name}: 64 MiB in ${result.timing.ms.toFixed(0)} ms, longest main-thread gap ${result.timing.worstGapMs.toFixed(0)} ms`);
    if (result.failed.length || result.passed !== result.total || result.total < minimum) failures++;
    else passes++;
  } catch (e) {
    console.log(`✖ ${name}: ${e.message}`);
    failures++;
  }
}
server.close();
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
