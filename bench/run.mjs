// Confide benchmark harness: `make bench` (= `make build && node bench/run.mjs`).
//
// Runs bench/cases.mjs in Node (a child process) and in headless Chromium (bench/page.html,
// served by bench/server.mjs), measures init time in fresh processes / pages and the wasm's
// compressed sizes, then writes BENCHMARKS.md and prints it. Each throughput figure is a ratio
// to a peer measured in the same run. Exits non-zero only if the harness itself fails, never
// because a target is missed.
//
// Cases (bench/practice.mjs): examples/bench-practice.rs writes a practice of 50 members and
// 1,000 cases once per run (build/bench-practice), which Node and the page then load.
//
// Integrity (bench/integrity.mjs): a signed 1 KiB note against an unsigned one, a 1,000-revision
// history and a 100,000-entry audit trail verified, in Node and in the page.
//
// Tunables (environment): BENCH_MS (per measurement per round, default 800), BENCH_ROUNDS (5),
// BENCH_WARMUP_MS (300), BENCH_INIT_SAMPLES (7), BENCH_CASES_SAMPLES (3), BENCH_SKIP_BROWSER=1,
// BENCH_AUDIT_ENTRIES (100000), BENCH_ONLY=cases or BENCH_ONLY=integrity (only those figures, printed; BENCHMARKS.md is left
// as it is).
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { cpus, release, type } from "node:os";
import { fileURLToPath } from "node:url";
import { gzipSync, brotliCompressSync, constants as zc } from "node:zlib";
import { startServer } from "./server.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WASM = `${ROOT}js/wasm/confide_wasm_bg.wasm`;
const KDF_WASM = `${ROOT}js/wasm/confide_kdf_bg.wasm`;
const INDEX = `${ROOT}js/dist/index.js`;
const OUT = `${ROOT}BENCHMARKS.md`;
const PKG = JSON.parse(readFileSync(`${ROOT}js/package.json`, "utf8"));
const TARBALL = `${ROOT}build/confide-${PKG.version}.tgz`;

const int = (name, dflt) => {
  const v = Number.parseInt(process.env[name] ?? "", 10);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const OPTS = {
  ms: int("BENCH_MS", 800),
  rounds: int("BENCH_ROUNDS", 5),
  warmupMs: int("BENCH_WARMUP_MS", 300),
};
const INIT_SAMPLES = int("BENCH_INIT_SAMPLES", 7);
const CASES_SAMPLES = int("BENCH_CASES_SAMPLES", 3);
const ONLY_CASES = process.env.BENCH_ONLY === "cases";
const ONLY_INTEGRITY = process.env.BENCH_ONLY === "integrity";
const INTEGRITY_OPTS = { ...OPTS, auditEntries: int("BENCH_AUDIT_ENTRIES", 100_000) };
const PRACTICE_DIR = "build/bench-practice";
const BREAKDOWN_SAMPLES = 3;
const WATCHDOG_MS = 1_800_000; // the whole run; the cases figures take 2 to 3 minutes of it, integrity 3 to 5
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

const t0 = Date.now();
const log = (m) => process.stderr.write(`[bench +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);
const watchdog = setTimeout(() => {
  log(`harness watchdog: still running after ${WATCHDOG_MS / 1000} s, giving up`);
  process.exit(2);
}, WATCHDOG_MS);
watchdog.unref();

// ---------- small helpers ----------------------------------------------------------------------

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const withTimeout = (p, ms, what) =>
  Promise.race([
    p,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms).unref()),
  ]);

/** Runs `node args...` in ROOT; resolves to its stdout's last JSON line. */
function nodeJson(args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`node ${args.join(" ")} exited with ${code ?? signal}`));
      const line = out.trim().split("\n").pop();
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`node ${args.join(" ")} printed no JSON: ${out.slice(0, 500)}`));
      }
    });
  });
}

const medianOfKeys = (samples) => {
  const keys = Object.keys(samples[0] ?? {});
  return Object.fromEntries(keys.map((k) => [k, median(samples.map((s) => s[k]))]));
};

// ---------- measurements -----------------------------------------------------------------------

function sizesOf(file) {
  const wasm = readFileSync(file);
  const gzip = gzipSync(wasm, { level: 9 }).length;
  const brotli = brotliCompressSync(wasm, {
    params: {
      [zc.BROTLI_PARAM_QUALITY]: zc.BROTLI_MAX_QUALITY,
      [zc.BROTLI_PARAM_LGWIN]: zc.BROTLI_MAX_WINDOW_BITS,
      [zc.BROTLI_PARAM_SIZE_HINT]: wasm.length,
    },
  }).length;
  return { raw: wasm.length, gzip, brotli };
}

function sizes() {
  const tarball = existsSync(TARBALL) ? readFileSync(TARBALL).length : null;
  return { ...sizesOf(WASM), kdf: sizesOf(KDF_WASM), tarball };
}

async function nodeThroughput() {
  log(`Node: ${OPTS.rounds} rounds x ${OPTS.ms} ms per case (warm-up ${OPTS.warmupMs} ms)`);
  return nodeJson(["bench/node-bench.mjs", JSON.stringify(OPTS)], 180_000);
}

/** Writes the practice (examples/bench-practice.rs): the same bytes every run. */
function buildPractice() {
  log(`cases: writing the practice of 50 members and 1,000 cases (examples/bench-practice.rs)`);
  return new Promise((resolve, reject) => {
    const args = ["run", "-q", "--release", "--example", "bench-practice", "--features", "hazmat", "--", PRACTICE_DIR];
    const cargo = spawn("cargo", args, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
    cargo.on("error", reject);
    cargo.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`bench-practice exited with ${code}`))));
  });
}

async function nodeCases() {
  log(`Node: cases in the practice, ${CASES_SAMPLES} samples of each load and removal, note opens ${OPTS.rounds} rounds x ${OPTS.ms} ms`);
  return nodeJson(["bench/practice.mjs", PRACTICE_DIR, JSON.stringify({ ...OPTS, samples: CASES_SAMPLES })], 300_000);
}

async function nodeIntegrity() {
  log(`Node: integrity, a signed 1 KiB note ${OPTS.rounds} rounds x ${OPTS.ms} ms, then a 1,000-revision history and a 100,000-entry audit trail`);
  return nodeJson(["bench/node-integrity.mjs", JSON.stringify(INTEGRITY_OPTS)], 900_000);
}

async function nodeInit() {
  log(`Node: init time, ${INIT_SAMPLES} + ${BREAKDOWN_SAMPLES} fresh processes`);
  const total = [];
  for (let i = 0; i < INIT_SAMPLES; i++) total.push(await nodeJson(["bench/init-probe.mjs"], 20_000));
  const breakdown = [];
  for (let i = 0; i < BREAKDOWN_SAMPLES; i++) breakdown.push(await nodeJson(["bench/init-probe.mjs", "breakdown"], 20_000));
  return { samples: total, median: medianOfKeys(total), breakdown: medianOfKeys(breakdown) };
}

/** Opens bench/page.html in a fresh context; resolves to `{ page, errors, close }`. */
async function benchPage(browser, server) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("response", (res) => {
    if (res.status() >= 400) errors.push(`HTTP ${res.status()} for ${res.url()}`);
  });
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
    else if (m.text().startsWith("[chromium]")) process.stderr.write(`  ${m.text()}\n`);
  });
  await page.goto(`${server.origin}/bench/page.html`);
  try {
    await page.waitForFunction(() => window.confideBenchReady === true, null, { timeout: 30_000 });
  } catch (e) {
    throw new Error(`bench page did not load: ${errors.join("; ") || e.message}`);
  }
  return { page, errors, close: () => context.close() };
}

/** The cases figures in a page of their own (its wasm memory holds 1,000 cases at a time). */
async function chromiumCases(browser, server) {
  const { page, errors, close } = await benchPage(browser, server);
  try {
    log(`Chromium: cases in the practice, ${CASES_SAMPLES} samples of each load and removal, note opens ${OPTS.rounds} rounds x ${OPTS.ms} ms`);
    const opts = { ...OPTS, samples: CASES_SAMPLES };
    return await withTimeout(page.evaluate((o) => window.confideCasesBench(o), opts), 300_000, "Chromium cases benchmark");
  } catch (e) {
    throw new Error(errors.length ? `${e.message} (${errors.join("; ")})` : e.message);
  } finally {
    await close();
  }
}

async function chromiumIntegrity(browser, server) {
  const { page, errors, close } = await benchPage(browser, server);
  try {
    log("Chromium: integrity");
    return await withTimeout(page.evaluate((o) => window.confideIntegrityBench(o), INTEGRITY_OPTS), 900_000, "Chromium integrity benchmark");
  } catch (e) {
    throw new Error(errors.length ? `${e.message} (${errors.join("; ")})` : e.message);
  } finally {
    await close();
  }
}

async function chromiumAll({ only, cases: withCases = true } = {}) {
  const { chromium } = await import("@playwright/test");
  const server = await startServer({ importMapRoots: ["@noble/ciphers", "@hpke/core", "@hpke/hybridkem-x-wing", "hash-wasm"] });
  log(`Chromium: serving ${server.origin}`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const version = browser.version();
    if (only === "cases") {
      if (!withCases) return { version, casesError: "the practice was not written (see Harness errors)" };
      return { version, cases: await chromiumCases(browser, server) };
    }
    if (only === "integrity") return { version, integrity: await chromiumIntegrity(browser, server) };
    // Throughput, in one page.
    const { page, close } = await benchPage(browser, server);
    log(`Chromium ${version}: ${OPTS.rounds} rounds x ${OPTS.ms} ms per case (warm-up ${OPTS.warmupMs} ms)`);
    const throughput = await withTimeout(page.evaluate((o) => window.confideBench(o), OPTS), 180_000, "Chromium benchmark");
    await close();

    // Init time: a fresh context (empty cache) and page per sample.
    log(`Chromium: init time, ${INIT_SAMPLES} + ${BREAKDOWN_SAMPLES} fresh pages`);
    const probe = async (fn) => {
      const ctx = await browser.newContext();
      try {
        const p = await ctx.newPage();
        await p.goto(`${server.origin}/bench/init.html`, { waitUntil: "load" });
        await p.waitForTimeout(100); // let the page settle (favicon etc.) before timing
        return await withTimeout(p.evaluate(fn), 20_000, "Chromium init probe");
      } finally {
        await ctx.close();
      }
    };
    const total = [];
    for (let i = 0; i < INIT_SAMPLES; i++) total.push(await probe(() => window.probeTotal()));
    const breakdown = [];
    for (let i = 0; i < BREAKDOWN_SAMPLES; i++) breakdown.push(await probe(() => window.probeBreakdown()));
    let cases;
    let casesError = withCases ? undefined : "the practice was not written (see Harness errors)";
    try {
      if (withCases) cases = await chromiumCases(browser, server);
    } catch (e) {
      casesError = e.message;
    }
    let integrity;
    let integrityError;
    try {
      integrity = await chromiumIntegrity(browser, server);
    } catch (e) {
      integrityError = e.message;
    }
    return {
      version,
      throughput,
      init: { samples: total, median: medianOfKeys(total), breakdown: medianOfKeys(breakdown) },
      cases,
      casesError,
      integrity,
      integrityError,
    };
  } finally {
    await browser.close().catch(() => {});
    await server.close();
  }
}

// ---------- report -----------------------------------------------------------------------------

const fmtOps = (x) => (Number.isFinite(x) ? `${Math.round(x).toLocaleString("en-US")} ops/s` : "n/a");
const fmtMs = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : "n/a");
const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "n/a");
const fmtBytes = (n) => `${n.toLocaleString("en-US")} B (${(n / 1000).toFixed(1)} KB)`;
const met = (ok) => (ok === null ? "—" : ok ? "yes" : "**no**");

/** Ratio of Confide to peer: the median of the per-round ratios (each round measures both). */
function pair(rounds, a, b) {
  const ra = rounds[a];
  const rb = rounds[b];
  return {
    confide: median(ra),
    peer: median(rb),
    ratio: median(ra.map((x, i) => x / rb[i])),
  };
}

function envRows(env, tp, init) {
  const rows = [];
  const sealTarget = env === "Node" ? 1 : 0.5;
  if (tp) {
    const r = tp.rounds;
    const web = pair(r, "confide.sealopen", "webcrypto.sealopen");
    rows.push([
      "1 KiB note seal+open",
      fmtOps(web.confide),
      `WebCrypto AES-256-GCM: ${fmtOps(web.peer)}`,
      fmtRatio(web.ratio),
      `≥ ${sealTarget}×`,
      met(web.ratio >= sealTarget),
    ]);
    const noble = pair(r, "confide.sealopen", "noble.sealopen");
    rows.push([
      "1 KiB note seal+open",
      fmtOps(noble.confide),
      `@noble/ciphers gcm: ${fmtOps(noble.peer)}`,
      fmtRatio(noble.ratio),
      "—",
      met(null),
    ]);
    const grant = pair(r, "confide.grant", "hpke.seal");
    rows.push([
      "Grant (`ws.grant`)",
      fmtOps(grant.confide),
      `@hpke X-Wing seal: ${fmtOps(grant.peer)}`,
      fmtRatio(grant.ratio),
      "≥ 5×",
      met(grant.ratio >= 5),
    ]);
    for (const [dir, label] of [["enc", "encryptStream"], ["dec", "decryptStream"]]) {
      const web = pair(r, `confide.stream${dir}`, `webcrypto.bulk${dir}`);
      const mbs = (x) => `${(x * 16 * 1.048576).toFixed(0)} MB/s`; // 16 MiB per op
      rows.push([
        `16 MiB \`${label}\` (default engine)`,
        `${fmtOps(web.confide)} (${mbs(web.confide)})`,
        `one WebCrypto AES-256-GCM call over 16 MiB: ${mbs(web.peer)}`,
        fmtRatio(web.ratio),
        "≥ 0.5×",
        met(web.ratio >= 0.5),
      ]);
      const noble = pair(r, `confide.stream${dir}`, `noble.bulk${dir}`);
      rows.push([
        `16 MiB \`${label}\` (default engine)`,
        `${fmtOps(noble.confide)} (${mbs(noble.confide)})`,
        `@noble/ciphers gcm over 16 MiB: ${mbs(noble.peer)}`,
        fmtRatio(noble.ratio),
        "≥ 8×",
        met(noble.ratio >= 8),
      ]);
    }
    const rot = tp.rotation;
    if (rot) {
      const rotateMs = median(rot.rotateMs);
      const perGrantMs = rotateMs / rot.members;
      const hpkeMs = 1000 / median(r["hpke.seal"]);
      const target = env === "Chromium" ? "≤ 2000 ms" : "(info)";
      rows.push([
        `Rotate a ${rot.members.toLocaleString("en-US")}-member workspace (\`ws.rotate()\`: log entry, ${rot.members} grants, history link; median of ${rot.rotateMs.length})`,
        fmtMs(rotateMs),
        "—",
        "—",
        target,
        env === "Chromium" ? met(rotateMs <= 2000) : "—",
      ]);
      rows.push([
        "Rotation, cost per member",
        fmtMs(perGrantMs),
        `@hpke X-Wing seal: ${fmtMs(hpkeMs)}`,
        `${fmtRatio(hpkeMs / perGrantMs)} (faster)`,
        "—",
        met(null),
      ]);
      rows.push([
        `\`Workspace.load\` of that workspace (${rot.members * 2 + rot.rotateMs.length - 1} log entries, 1 grant, ${rot.rotateMs.length} history links)`,
        fmtMs(rot.loadMs),
        "—",
        "—",
        "(info)",
        "—",
      ]);
    }
    const a = tp.argon2;
    if (a) {
      const confide = median(a.confideMs);
      const stretched = median(a.stretchMs);
      const peer = median(a.hashWasmMs);
      rows.push([
        `Argon2id ${a.params.memorySize / 1024} MiB × ${a.params.iterations} passes (\`argon2Stretch\`, the wasm function the unlock worker runs; median of ${a.stretchMs.length})`,
        fmtMs(stretched),
        `hash-wasm \`argon2id\`, same parameters: ${fmtMs(peer)}`,
        `${fmtRatio(stretched / peer)} of its time`,
        "≤ 0.75×",
        met(stretched / peer <= 0.75),
      ]);
      rows.push([
        `Unlock a backup (\`Member.importWithPassphrase\`: worker start, Argon2id, HKDF, AES-GCM; median of ${a.confideMs.length})`,
        fmtMs(confide),
        `hash-wasm \`argon2id\`, same parameters: ${fmtMs(peer)}`,
        `${fmtRatio(confide / peer)} of its time`,
        "(info)",
        "—",
      ]);
      if (env === "Chromium") {
        rows.push(["Unlock time at the default strength", fmtMs(confide), "—", "—", "0.5–1 s", met(confide >= 500 && confide <= 1000)]);
      }
    }
    if (tp.batch) {
      const b = tp.batch;
      const m = b.median;
      const n = b.count.toLocaleString("en-US");
      const what = `${n} notes of ${b.size / 1024} KiB (padded), median of ${b.confideMs.length}`;
      // Ratios as elsewhere: Confide's speed over the peer's (its time over Confide's); ≥ 1× is as fast.
      rows.push([
        `Open a list: \`ws.decryptMany\` of ${what} (${b.engine})`,
        fmtMs(m.confideMs),
        `${n} WebCrypto AES-256-GCM decrypts of ${b.size / 1024} KiB, each awaited: ${fmtMs(m.webcryptoSerialMs)}`,
        fmtRatio(m.webcryptoSerialMs / m.confideMs),
        "(info)",
        "—",
      ]);
      rows.push([
        "Open a list, the same",
        fmtMs(m.confideMs),
        `the same decrypts, all issued at once: ${fmtMs(m.webcryptoAllMs)}`,
        fmtRatio(m.webcryptoAllMs / m.confideMs),
        "(info)",
        "—",
      ]);
      rows.push([
        "Open a list, the same",
        fmtMs(m.confideMs),
        `\`ws.decrypt\` one after another (before decryptMany): ${fmtMs(m.loopMs)}`,
        fmtRatio(m.loopMs / m.confideMs),
        "(info)",
        "—",
      ]);
      rows.push([`Open a list: longest main-thread gap a 1 ms timer saw during \`decryptMany\``, fmtMs(m.gapMs), "—", "—", "(info)", "—"]);
    }
    const open = pair(r, "confide.opengrant", "hpke.open");
    rows.push([
      "Open grant (`Workspace.openGrant`)",
      fmtOps(open.confide),
      `@hpke X-Wing open: ${fmtOps(open.peer)}`,
      fmtRatio(open.ratio),
      "—",
      met(null),
    ]);
  } else {
    rows.push(["Throughput", "failed (see below)", "", "", "", ""]);
  }
  if (init) {
    const m = init.median;
    const n = init.samples.length;
    const where = env === "Node" ? `${n} fresh processes` : `${n} fresh pages`;
    // The target applies to `await init()` in both environments; the import of the package's
    // JS modules before it depends on how the page is served, so it is shown for information.
    rows.push([`Init: \`await init()\` (median, ${where})`, fmtMs(m.initMs), "—", "—", "≤ 10 ms", met(m.initMs <= 10)]);
    const totalTarget = env === "Chromium" ? 40 : null;
    rows.push([
      `Init: dynamic import + \`init()\` (median, ${where})`,
      fmtMs(m.totalMs),
      "—",
      "—",
      totalTarget ? `≤ ${totalTarget} ms` : "(info)",
      totalTarget ? met(m.totalMs <= totalTarget) : "—",
    ]);
  } else {
    rows.push(["Init", "failed (see below)", "", "", "", ""]);
  }
  return rows;
}

function table(rows) {
  const head = ["Figure", "Confide", "Peer", "Ratio", "Target", "Met?"];
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map((h, i) => (i === 0 || i === 2 ? "---" : "---:")).join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

function roundsTable(tp) {
  if (!tp) return "";
  const ids = Object.keys(tp.rounds);
  const n = tp.rounds[ids[0]].length;
  const head = ["Case", ...Array.from({ length: n }, (_, i) => `round ${i + 1}`), "median"];
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ...ids.map((id) => `| ${[id, ...tp.rounds[id].map((x) => Math.round(x).toLocaleString("en-US")), Math.round(median(tp.rounds[id])).toLocaleString("en-US")].join(" | ")} |`),
  ].join("\n");
}

function cpuModel() {
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    const m = info.match(/^model name\s*:\s*(.+)$/m);
    return `${m ? m[1].trim() : "unknown"} (${cpus().length} logical CPUs)`;
  } catch {
    return `${cpus()[0]?.model ?? "unknown"} (${cpus().length} logical CPUs)`;
  }
}

// `make bench-server` (server/scripts/splice-section.sh) keeps its section between these markers;
// carry it over.
function keepServerLoad(md) {
  if (!existsSync(OUT)) return md;
  const m = readFileSync(OUT, "utf8").match(/^<!-- server-load -->$[\s\S]*?^<!-- \/server-load -->$/m);
  return m ? `${md}\n\n${m[0]}` : md;
}

function render(r) {
  const L = [];
  L.push("# Confide benchmarks", "");
  L.push("Generated by `make bench` (`make build`, then `node bench/run.mjs`), except the Server load section, which `make bench-server` writes; do not edit by hand.", "");
  L.push(`- Date: ${r.date}`);
  L.push(`- Node: ${r.node}`);
  const coi = r.envs.Chromium.throughput?.crossOriginIsolated;
  L.push(
    `- Chromium: ${r.chromium ?? "n/a"} (headless, driven by Playwright ${r.playwright}` +
      (coi === undefined ? ")" : `; page cross-origin isolated: ${coi ? "yes" : "no"})`),
  );
  L.push(`- CPU: ${r.cpu}`);
  L.push(`- OS: ${r.os}`);
  L.push(`- Package: confide ${PKG.version}`);
  L.push(`- Command: \`make bench\``);
  L.push(
    `- Method: each throughput case runs ${r.opts.rounds} rounds × ${r.opts.ms} ms (after a ${r.opts.warmupMs} ms warm-up), interleaved with its peer; ` +
      "ops/s is the median over rounds, and the ratio (Confide ÷ peer, the figure of merit) is the median of the per-round ratios. " +
      "Absolute ops/s depend on the machine; ratios are what the targets are about.",
  );
  L.push("");

  for (const env of ["Node", "Chromium"]) {
    const e = r.envs[env];
    L.push(`## ${env}`, "");
    if (e.skipped) {
      L.push(`Skipped: ${e.skipped}`, "");
      continue;
    }
    L.push(table(envRows(env, e.throughput, e.init)), "");
    if (e.init?.breakdown) {
      const b = e.init.breakdown;
      if (env === "Node") {
        L.push(
          `Init breakdown (median of ${BREAKDOWN_SAMPLES} fresh processes, steps done separately): first touch of the global ` +
            `\`Request\`/\`Response\` (Node loads undici lazily; wasm-bindgen's loader touches them inside \`init()\`) ${fmtMs(b.globalsMs)}, ` +
            `read .wasm ${fmtMs(b.readMs)}, \`WebAssembly.compile\` ${fmtMs(b.compileMs)}, instantiate (\`init({ wasm: module })\`) ${fmtMs(b.instantiateMs)}.`,
          "",
        );
      } else {
        L.push(
          `Init breakdown (median of ${BREAKDOWN_SAMPLES} fresh pages, steps done separately; the real \`init()\` streams, overlapping fetch and compile): ` +
            `fetch .wasm ${fmtMs(b.fetchMs)}, \`WebAssembly.compile\` ${fmtMs(b.compileMs)}, import package JS ${fmtMs(b.importMs)}, ` +
            `instantiate (\`init({ wasm: module })\`) ${fmtMs(b.instantiateMs)}. ` +
            `In the headline samples, a package request (3 JS modules, then the .wasm, from the local server) was in flight for ` +
            `${fmtMs(e.init.median.networkMs)} (median, Resource Timing) of the ${fmtMs(e.init.median.totalMs)}.`,
          "",
        );
      }
    }
    if (e.error) L.push(`**Harness error:** ${e.error}`, "");
    if (e.throughput) {
      L.push("<details><summary>Per-round ops/s</summary>", "", roundsTable(e.throughput), "", "</details>", "");
    }
  }

  if (r.argonMemory) {
    const m = r.argonMemory;
    L.push("## Memory: a backup unlock in Node", "");
    L.push(
      "The package's wasm instance's linear memory before and after unlocks (`bench/argon2-memory.mjs`). Wasm memory " +
        "never shrinks, so Argon2id lives in a module of its own, run in a throwaway instance in a worker, terminated " +
        "after each derivation; the package's instance does not grow. The last rows run one Argon2id on this thread, as " +
        "the fallback without workers does: the Argon2 module's instance keeps those pages (zeroized after use) until the " +
        "page or process goes away, and the package's instance still does not grow.",
      "",
    );
    L.push(
      table([
        ["Wasm memory after `init()`", `${m.before.toFixed(1)} MiB`, "—", "—", "(info)", "—"],
        ["After an interactive export and unlock (64 MiB Argon2id)", `${m.afterInteractive.toFixed(1)} MiB`, "—", "—", "(info)", "—"],
        ["After a sensitive export and unlock (256 MiB Argon2id)", `${m.afterSensitive.toFixed(1)} MiB`, "—", "—", "(info)", "—"],
        ["After one 64 MiB Argon2id on the calling thread (the fallback without workers): the package's instance", `${m.afterInProcess.toFixed(1)} MiB`, "—", "—", "(info)", "—"],
        ["The same: the Argon2 module's instance, which the fallback keeps", `${m.argonInstance.toFixed(1)} MiB`, "—", "—", "(info)", "—"],
      ]),
      "",
    );
  }

  if (r.memory?.length) {
    L.push("## Memory: a 1 GiB stream in Node", "");
    L.push(
      "`encryptStream` piped into `decryptStream` over a generated 1 GiB input (1 MiB reads), in a fresh " +
        "`node --expose-gc` process (`bench/memory.mjs`), 3 times per engine. Peak RSS is sampled every 20 ms and " +
        "after every output chunk; growth is over the RSS right after `init()`, and the median run is shown (all three " +
        "in brackets: peaks depend on when the garbage collector runs). Wasm memory is the module's linear memory at " +
        "the end (it never shrinks, so this is also its peak), the largest of the three.",
      "",
    );
    L.push(
      table(
        r.memory.flatMap((m) => {
          const name = m.engine === "auto" ? "WebCrypto engine (default)" : "wasm engine";
          const mbs = `${((2 * m.mib * 1.048576) / m.seconds).toFixed(0)} MB/s through both`;
          return [
            [
              `${name}: peak RSS growth (median of ${m.rssGrowthRuns.length}: ${m.rssGrowthRuns.map((x) => x.toFixed(1)).join(", ")})`,
              `${m.rssGrowthMiB.toFixed(1)} MiB`,
              `${m.seconds.toFixed(1)} s, ${mbs}`,
              "—",
              "≤ 64 MiB",
              met(m.rssGrowthMiB <= 64),
            ],
            [`${name}: wasm linear memory`, `${m.wasmMemoryMiB.toFixed(2)} MiB`, "—", "—", "≤ 8 MiB", met(m.wasmMemoryMiB <= 8)],
          ];
        }),
      ),
      "",
    );
  }

  if (r.logLoad) {
    const { sync: ls, async: la } = r.logLoad;
    L.push("## Loading a long membership log in Node", "");
    L.push(
      `A ${ls.entries}-entry log (${(ls.logBytes / 1e6).toFixed(2)} MB: 100 admins admitted, then rotations up to epoch ` +
        `${ls.epoch}; \`examples/bench-log.rs\`), loaded as its creator in a fresh process (\`bench/log-load.mjs\`, the ` +
        "hazmat build). This is the shape that used to keep a copy of the admin list per epoch: the previous version's " +
        "package ended this load with 50.7 MB of wasm memory, 24 times the log. Wasm memory never shrinks, so the size " +
        "after the load is also its peak; it includes the 1.1 MiB an initialized module has before any load.",
      "",
    );
    L.push(
      table([
        ["`Workspace.load`: wasm memory after the load, per log byte", `${ls.wasmPerLogByte.toFixed(2)}×`, `${(ls.wasmAfterBytes / 2 ** 20).toFixed(1)} MiB`, "—", "≤ 4×", met(ls.wasmPerLogByte <= 4)],
        ["`Workspace.load`: time", `${ls.ms.toFixed(0)} ms`, `${((ls.ms * 1000) / ls.entries).toFixed(0)} µs per entry`, "—", "(info)", "—"],
        ["`Workspace.loadAsync`: time", `${la.ms.toFixed(0)} ms`, `${(la.ms / ls.ms).toFixed(2)}× load`, "—", "(info)", "—"],
        ["`Workspace.loadAsync`: longest wait of the event loop", `${la.longestGapMs.toFixed(0)} ms`, "(copying the log into wasm memory, then slices of about 8 ms)", "—", "(info)", "—"],
      ]),
      "",
    );
  }

  L.push(renderCobblestone(r));
  L.push(renderCases(r));
  L.push(renderIntegrity(r));

  L.push("## Artifact size", "");
  L.push(
    "The main module (`js/wasm/confide_wasm_bg.wasm`) is what every page loads on `init()`. The Argon2 module " +
      "(`js/wasm/confide_kdf_bg.wasm`, Argon2id for passphrase backups) is fetched only when a backup is made or opened.",
    "",
  );
  const s = r.sizes;
  L.push(
    table([
      ["Main wasm, raw", fmtBytes(s.raw), "—", "—", "(info)", "—"],
      ["Main wasm, gzip -9 (node zlib)", fmtBytes(s.gzip), "—", "—", "≤ 100 KB (moonshot ≤ 80 KB)", met(s.gzip <= 100_000)],
      ["Main wasm, brotli q11 (node zlib)", fmtBytes(s.brotli), "—", "—", "(info)", "—"],
      ["Argon2 wasm, raw", fmtBytes(s.kdf.raw), "—", "—", "(info)", "—"],
      ["Argon2 wasm, gzip -9 (node zlib)", fmtBytes(s.kdf.gzip), "—", "—", "(info)", "—"],
      ["Argon2 wasm, brotli q11 (node zlib)", fmtBytes(s.kdf.brotli), "—", "—", "(info)", "—"],
      ...(s.tarball ? [[`npm tarball (build/confide-${PKG.version}.tgz)`, fmtBytes(s.tarball), "—", "—", "(info)", "—"]] : []),
    ]),
    "",
  );
  L.push("KB = 1000 bytes.", "");

  L.push("## What is measured", "");
  L.push(
    "- **1 KiB note seal+open**: Confide `ws.encrypt(bytes, { recordId, field })` (default options: padded, so 1024 bytes " +
      "become one PADMÉ-padded C2SP chunked-encryption record with HKDF key derivation and key commitment) then `ws.decrypt`, " +
      "synchronous. Peers: WebCrypto `AES-GCM` encrypt then decrypt with a fixed imported 256-bit key and a fresh random " +
      "12-byte IV, each call awaited; `@noble/ciphers` `gcm(key, iv).encrypt` then `.decrypt`, fresh IV. Same random 1024-byte input.",
  );
  L.push(
    "- **Grant**: Confide `ws.grant(recipientBundle)`: parses the recipient's public bundle, HPKE-seals the content key " +
      "(X-Wing, HKDF-SHA256, AES-256-GCM) and signs the grant with Ed25519. Peer: `@hpke/core` `CipherSuite` with " +
      "`@hpke/hybridkem-x-wing` `XWing`, `HkdfSha256`, `Aes256Gcm`: `suite.seal` of a 32-byte key to an already-imported " +
      "recipient public key (no signature). **Open grant**: `Workspace.openGrant(member, grant, granterBundle)` (verify " +
      "signature, HPKE open; the resulting workspace is freed each time) against `suite.open`.",
  );
  L.push(
    "- **Rotation**: a workspace of 1,000 members is built through the real invite flow (`createInvite`, `Invite.accept`, " +
      "`admit`), then the admin calls `ws.rotate()` three times, each timed: a signed rotate entry checked against the log, " +
      "a fresh epoch key, one HPKE X-Wing grant (sealed and Ed25519-signed) per member, and the history link. The cost per " +
      "member is the rotation time divided by 1,000, against one `@hpke/core` X-Wing `seal` (which signs nothing). Then " +
      "the last member loads the workspace: every log entry verified (signatures, chain, rules), its grant and the history links.",
  );
  L.push(
    "- **Init**: Node: a fresh `node` process per sample, timing `await init()` after importing the package (and, for " +
      "information, the dynamic import plus `init()`). Chromium: a fresh browser context (empty cache; the server sends " +
      "`Cache-Control: no-store`) and page per sample, timing the dynamic `import()` of `js/dist/index.js` plus `await init()` " +
      "(the wasm is served as `application/wasm`, so `init()` uses streaming compilation). Pages are cross-origin isolated " +
      "for fine-grained `performance.now()`.",
  );
  L.push(
    "- **Open a list**: 10,000 notes of 1 KiB, each `ws.encrypt`ed with its own record id (padded, the default), opened " +
      "with one `ws.decryptMany` call (`bench/batch.mjs`). Its default engine is WebCrypto in the browser (the core checks " +
      "each header and commitment and derives the key; WebCrypto imports it and runs the AES-GCM) and wasm in Node. Peers, " +
      "in the same run and interleaved: 10,000 WebCrypto `AES-GCM` decrypts of 1 KiB ciphertexts under one imported key, " +
      "awaited one after another, and all issued at once; and `ws.decrypt` over the same notes in a loop. The gap is the " +
      "longest interval a 1 ms `setInterval` saw during `decryptMany`: how long the page could not answer.",
  );
  L.push(
    "- **Cases** (FORMAT.md#cases): 1. a member's view from nothing: `Workspace.load` (the workspace's log, pinned head, " +
      "its grant), then `Case.load` of each case it holds grants of, with those grants; bytes are the log entries and " +
      "grants given to those calls (what the member fetches). 2. The director, with the workspace and the senior " +
      "clinician's 200 cases loaded (untimed), calls `ws.remove(senior)`, then `removeDeparted()` on each of the 200 cases: " +
      "a signed remove entry, checked against the case log, and a new epoch's keys sealed to each remaining member. Peer: " +
      "`ws.grant` (the recipient's bundle checked, an X-Wing seal and an Ed25519 signature), timed in the same rounds as 3. 3. A 1 KiB note, " +
      "padded: (a) `ws.decrypt` of a workspace record (version 2); (b) `case.decrypt` of a case record (version 3) on a " +
      "loaded case; (c) `Case.load` of a case the director created and added the clinician to (2 entries, the clinician's " +
      "one grant), `decrypt`, `free`. The peer of (c) is (a) plus one `Workspace.openGrant` (the granter's signature checked, " +
      "X-Wing open), the per-round times added.",
  );
  L.push(
    "- The browser page loads `js/dist/index.js` as an ES module and the peers from `node_modules` through an import map " +
      "generated from their `package.json` files (no bundler). The same `bench/cases.mjs` runs in both environments.",
  );
  L.push("");
  if (r.errors.length) {
    L.push("## Harness errors", "", ...r.errors.map((e) => `- ${e}`), "");
  }
  return L.join("\n");
}

// ---------- cases (bench/practice.mjs) ---------------------------------------------------------

const fmtKB = (n) => `${(n / 1000).toLocaleString("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 })} KB`;
const fmtCount = (n) => n.toLocaleString("en-US");
const medianOf = (xs, key) => median(xs.map((x) => x[key]));

/**
 * Met when the median ratio is within the target; "within noise" when it is not but some
 * round's ratio is (the spread shows the rounds' range); otherwise missed.
 */
function metWithin(ratios, target) {
  const m = median(ratios);
  if (m <= target) return "yes";
  return Math.min(...ratios) <= target ? "within noise" : "**no**";
}

function casesRows(env, c) {
  const rows = [];
  const v40 = c.views.clinician;
  const v1k = c.views.director;
  const n = (v) => v[0];
  const total = (v) => medianOf(v, "totalMs");
  const bytes = (v) => n(v).caseBytes + n(v).workspaceBytes;
  const what = (v) => `${fmtCount(n(v).cases)} cases: \`Workspace.load\` + ${fmtCount(n(v).cases)} × \`Case.load\` (${fmtCount(n(v).entries)} case entries, ${fmtCount(n(v).grants)} case grants; median of ${v.length})`;
  const split = (v) => `workspace ${fmtMs(medianOf(v, "workspaceMs"))} + cases ${fmtMs(medianOf(v, "casesMs"))}`;
  rows.push([`1. A member's view on ${what(v40)}`, fmtMs(total(v40)), split(v40), "—", "(info)", "—"]);
  rows.push([
    `1. A member's view on ${what(v1k)}`,
    fmtMs(total(v1k)),
    `${split(v1k)}; the view on ${n(v40).cases} cases: ${fmtMs(total(v40))}`,
    `${fmtRatio(total(v1k) / total(v40))} the time, for ${fmtRatio(n(v1k).cases / n(v40).cases)} the cases, ${fmtRatio(n(v1k).grants / n(v40).grants)} the grants`,
    "(info)",
    "—",
  ]);
  const perGrant = (v) => medianOf(v, "casesMs") / n(v).grants;
  rows.push([
    `1. \`Case.load\` time per case grant held, view on ${fmtCount(n(v1k).cases)} cases`,
    fmtMs(perGrant(v1k)),
    `view on ${n(v40).cases} cases: ${fmtMs(perGrant(v40))}`,
    fmtRatio(perGrant(v1k) / perGrant(v40)),
    "(info)",
    "—",
  ]);
  rows.push([
    `1. Bytes fetched for the view on ${n(v40).cases} cases (its cases' logs and its case grants; the workspace's log and its grant)`,
    fmtBytes(bytes(v40)),
    `cases ${fmtKB(n(v40).caseBytes)} + workspace ${fmtKB(n(v40).workspaceBytes)}`,
    "—",
    "(info)",
    "—",
  ]);
  rows.push([
    `1. Bytes fetched for the view on ${fmtCount(n(v1k).cases)} cases`,
    fmtBytes(bytes(v1k)),
    `cases ${fmtKB(n(v1k).caseBytes)} + workspace ${fmtKB(n(v1k).workspaceBytes)}; the view on ${n(v40).cases} cases: ${fmtKB(bytes(v40))}`,
    `${fmtRatio(bytes(v1k) / bytes(v40))} (cases alone ${fmtRatio(n(v1k).caseBytes / n(v40).caseBytes)})`,
    "(info)",
    "—",
  ]);

  const rm = c.removals;
  const r0 = rm[0];
  const removal = medianOf(rm, "totalMs");
  rows.push([
    `2. Remove a clinician on ${r0.cases} cases, rotating all of them: \`ws.remove\` + ${r0.cases} × \`removeDeparted\` by a full member of all ${r0.cases} (cases loaded; median of ${rm.length})`,
    fmtMs(removal),
    "—",
    "—",
    env === "Chromium" ? "≤ 2000 ms" : "(info)",
    env === "Chromium" ? met(removal <= 2000) : "—",
  ]);
  rows.push([`2. … of which \`ws.remove\` (${r0.workspaceGrants} workspace grants, history link)`, fmtMs(medianOf(rm, "removeMs")), "—", "—", "(info)", "—"]);
  const grantRate = median(c.noteOpen.rounds["workspace.grant"]);
  const sealMs = (r0.caseGrants * 1000) / grantRate;
  rows.push([
    `2. … of which ${r0.changes} × \`removeDeparted\` (${r0.changes} remove entries signed and checked, ${r0.caseGrants} case grants sealed and signed)`,
    fmtMs(medianOf(rm, "rotateMs")),
    `${r0.caseGrants} × \`ws.grant\` (bundle checked, X-Wing seal, Ed25519 signature) at its rate in this run: ${fmtMs(sealMs)}`,
    `${((100 * sealMs) / medianOf(rm, "rotateMs")).toFixed(0)}% of it`,
    "(info)",
    "—",
  ]);
  rows.push([
    `2. Before it, loading those ${r0.cases} cases as that member (\`Case.load\` × ${r0.cases}, untimed above)`,
    fmtMs(medianOf(rm, "loadMs")),
    "—",
    "—",
    "(info)",
    "—",
  ]);

  const o = c.noteOpen.rounds;
  const ws = median(o["workspace.decrypt"]);
  const us = (ops) => `${((1000 * 1000) / ops).toFixed(1)} µs`;
  rows.push(["3. (a) Open a 1 KiB note in the workspace: `ws.decrypt` (today's path)", `${fmtOps(ws)} (${us(ws)})`, "—", "—", "—", "—"]);
  const loadedRatios = o["case.decrypt"].map((x, i) => o["workspace.decrypt"][i] / x);
  const loaded = median(o["case.decrypt"]);
  rows.push([
    "3. (b) Open a 1 KiB note in a case already loaded: `case.decrypt`",
    `${fmtOps(loaded)} (${us(loaded)})`,
    `(a): ${us(ws)}`,
    `${fmtRatio(median(loadedRatios))} its time (rounds ${fmtRatio(Math.min(...loadedRatios))}–${fmtRatio(Math.max(...loadedRatios))})`,
    "≤ 1×",
    metWithin(loadedRatios, 1),
  ]);
  const coldRatios = o["case.loadDecrypt"].map((x, i) => (1 / x) / (1 / o["workspace.decrypt"][i] + 1 / o["workspace.openGrant"][i]));
  const cold = median(o["case.loadDecrypt"]);
  const grant = median(o["workspace.openGrant"]);
  rows.push([
    `3. (c) Open a 1 KiB note in a case not loaded: \`Case.load\` (${c.noteOpen.smallEntries} entries, 1 grant) + \`decrypt\``,
    `${fmtOps(cold)} (${fmtMs(1000 / cold)})`,
    `(a) + one grant opened (\`Workspace.openGrant\`, ${fmtMs(1000 / grant)}): ${fmtMs(1000 / ws + 1000 / grant)}`,
    `${fmtRatio(median(coldRatios))} its time (rounds ${fmtRatio(Math.min(...coldRatios))}–${fmtRatio(Math.max(...coldRatios))})`,
    "≤ 1×",
    metWithin(coldRatios, 1),
  ]);
  return rows;
}

function casesSamplesTable(c) {
  const head = ["Sample", "view on 40: ms", "view on 1,000: ms", "removal: ms", "`ws.remove`: ms", "`removeDeparted` × 200: ms"];
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ...c.removals.map((rm, i) =>
      `| ${[i + 1, c.views.clinician[i].totalMs, c.views.director[i].totalMs, rm.totalMs, rm.removeMs, rm.rotateMs].map((x, j) => (j === 0 ? x : x.toFixed(1))).join(" | ")} |`,
    ),
  ].join("\n");
}

// Record version 1 (HKDF-SHA256), from `make bench` at a8e24e1 (2026-11-23), before records
// became Cobblestone-256 (version 2, HKDF over SHA-512): ratios to the same peers.
const BEFORE_COBBLESTONE = {
  Node: { sealopen: 1.63, streamenc: 0.72, streamdec: 1.02 },
  Chromium: { sealopen: 0.23, streamenc: 0.72, streamdec: 0.75 },
};

function renderCobblestone(r) {
  const L = ["## Cobblestone-256: before and after", ""];
  L.push(
    "Issue 10 moved records from version 1 (C2SP chunked encryption with HKDF-SHA256) to version 2, Cobblestone-256 " +
      "(HKDF over SHA-512). Before: record version 1, `make bench` at a8e24e1 (2026-11-23). After: this run. Each figure " +
      "is Confide's ratio to the same WebCrypto peer measured in its own run, so runs on a noisy machine compare.",
    "",
    "| Figure | Before (v1) | After (v2, this run) |",
    "|---|---|---|",
  );
  for (const env of ["Node", "Chromium"]) {
    const tp = r.envs[env]?.throughput;
    const now = (a, b) => (tp ? fmtRatio(pair(tp.rounds, a, b).ratio) : "n/a");
    const before = BEFORE_COBBLESTONE[env];
    L.push(
      `| ${env}: 1 KiB note seal+open ÷ WebCrypto | ${fmtRatio(before.sealopen)} | ${now("confide.sealopen", "webcrypto.sealopen")} |`,
      `| ${env}: 16 MiB \`encryptStream\` ÷ one WebCrypto call | ${fmtRatio(before.streamenc)} | ${now("confide.streamenc", "webcrypto.bulkenc")} |`,
      `| ${env}: 16 MiB \`decryptStream\` ÷ one WebCrypto call | ${fmtRatio(before.streamdec)} | ${now("confide.streamdec", "webcrypto.bulkdec")} |`,
    );
  }
  L.push("");
  return L.join("\n");
}

function renderIntegrity(r) {
  const L = ["## Record integrity", ""];
  L.push(
    "Issue 13's figures (bench/integrity.mjs, the same module in both environments). 1. A 1 KiB note written as a signed " +
      "revision (`case.write`: a case record plus an Ed25519-signed revision) and opened through its verified history " +
      "(`case.openRecord` with that one revision), against the same note as an unsigned case record (`case.encrypt` + " +
      "`case.decrypt`), in interleaved rounds; the ratio is signed time ÷ unsigned time (the median of the per-round ratios). " +
      "2. `case.openRecordText` of a record with 1,000 revisions: the whole history verified (every signature, the chain) " +
      "and the latest opened. 3. `case.verifyAudit` of 100,000 entries (the cap): every signature and the chain checked " +
      "and every body opened, from scratch (no pin). 4. `case.extendAudit`: a trail of nearly as many entries, kept " +
      "verified as the demo keeps it, extended by the 20 entries the server has after it. 2 to 4: the median of 3 runs " +
      "after one untimed run.",
    "",
    "| Figure | Node | Chromium | Target | Met (Node / Chromium) |",
    "|---|---|---|---|---|",
  );
  const n = r.envs.Node.integrity;
  const c = r.envs.Chromium.integrity;
  const cell = (x, f) => (x ? f(x) : "n/a");
  const ratio = (x) => `${fmtRatio(x.note1k.ratio)} (${fmtOps(x.note1k.signedOps)} signed, ${fmtOps(x.note1k.unsignedOps)} unsigned)`;
  const metOf = (x, f) => (x ? met(f(x)) : "—");
  L.push(
    `| 1. Signed ÷ unsigned, 1 KiB note written and opened | ${cell(n, ratio)} | ${cell(c, ratio)} | ≤ 1.5× in Node | ${metOf(n, (x) => x.note1k.ratio <= 1.5)} / (info) |`,
    `| 2. A 1,000-revision history verified and opened | ${cell(n, (x) => fmtMs(x.historyMs))} | ${cell(c, (x) => fmtMs(x.historyMs))} | (info) | — |`,
    `| 3. A ${cell(n, (x) => x.auditEntries.toLocaleString("en-US"))}-entry audit trail verified (${cell(n, (x) => fmtBytes(x.auditBytes))}) | ${cell(n, (x) => fmtMs(x.auditMs))} | ${cell(c, (x) => fmtMs(x.auditMs))} | ≤ 1 s in Chromium | — / ${metOf(c, (x) => x.auditMs <= 1000)} |`,
    `| 4. The kept trail extended by ${cell(n, (x) => x.extendBy)} new entries | ${cell(n, (x) => fmtMs(x.extendMs))} | ${cell(c, (x) => fmtMs(x.extendMs))} | (info) | — |`,
    "",
  );
  const errs = [r.envs.Node.integrityError, r.envs.Chromium.integrityError].filter(Boolean);
  if (errs.length) L.push(`Harness errors: ${errs.join("; ")}`, "");
  return L.join("\n");
}

function renderCases(r) {
  const L = [];
  const any = r.envs.Node.cases ?? r.envs.Chromium.cases;
  L.push(`## Cases: a practice of ${any?.members ?? 50} members and ${fmtCount(any?.caseCount ?? 1000)} cases`, "");
  L.push(
    `Made by \`make bench\` on ${r.date} (this section alone: \`BENCH_ONLY=cases node bench/run.mjs\`, which prints it). ` +
      "`examples/bench-practice.rs` writes the practice once per run, natively and from fixed seeds, so both runtimes load " +
      "the same bytes: 50 members, 1,000 cases. The director (the workspace's admin) creates every case and is full on all " +
      "1,000; a senior clinician is full on 200; each of 48 clinicians is on 40 (25 of them full on 40 cases each, 23 summary " +
      "on 40 each). Every add is a case log entry and a new epoch, so a case has 2 to 4 members and 2 to 4 entries, and a " +
      "member holds one case grant per epoch it was on. `bench/practice.mjs` measures it with the built package " +
      "(`js/dist`, members from their recovery kits), in Node and in a page of its own in headless Chromium. Loads and " +
      "removals are timed once per sample, interleaved; note opens run as the throughput figures do " +
      `(${r.opts.rounds} rounds × ${r.opts.ms} ms, interleaved). Ratios are to a peer measured in the same run.`,
    "",
  );
  for (const env of ["Node", "Chromium"]) {
    const e = r.envs[env];
    L.push(`### ${env}`, "");
    if (e.skipped) {
      L.push(`Skipped: ${e.skipped}`, "");
    } else if (!e.cases) {
      L.push(`Failed: ${e.casesError ?? "see Harness errors"}`, "");
    } else {
      L.push(table(casesRows(env, e.cases)), "");
      L.push("<details><summary>Per sample</summary>", "", casesSamplesTable(e.cases), "", "</details>", "");
    }
  }
  return L.join("\n");
}

// ---------- main -------------------------------------------------------------------------------

async function main() {
  for (const f of [INDEX, WASM]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`make build\` first`);
  }
  const result = {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    node: process.version,
    chromium: null,
    playwright: JSON.parse(readFileSync(`${ROOT}node_modules/@playwright/test/package.json`, "utf8")).version,
    cpu: cpuModel(),
    os: `${type()} ${release()}`,
    opts: OPTS,
    sizes: sizes(),
    envs: { Node: {}, Chromium: {} },
    errors: [],
  };

  // Node first, then Chromium: never both at once.
  if (!ONLY_CASES && !ONLY_INTEGRITY) {
    try {
      result.envs.Node.throughput = await nodeThroughput();
    } catch (e) {
      result.envs.Node.error = `throughput: ${e.message}`;
      result.errors.push(`Node throughput: ${e.message}`);
    }
    try {
      result.envs.Node.init = await nodeInit();
    } catch (e) {
      result.envs.Node.error = [result.envs.Node.error, `init: ${e.message}`].filter(Boolean).join("; ");
      result.errors.push(`Node init: ${e.message}`);
    }

    // Memory: 1 GiB through encryptStream then decryptStream, on each engine, in 3 fresh
    // processes; the run with the median peak RSS growth is reported (peaks depend on GC timing).
    result.memory = [];
    for (const engine of ["auto", "wasm"]) {
      try {
        const runs = [];
        for (let i = 0; i < 3; i++) {
          log(`memory: 1 GiB stream round trip, engine ${engine}, run ${i + 1}/3`);
          runs.push(await nodeJson(["--expose-gc", "bench/memory.mjs", engine, "1024"], 120_000));
        }
        runs.sort((a, b) => a.rssGrowthMiB - b.rssGrowthMiB);
        result.memory.push({
          ...runs[1],
          rssGrowthRuns: runs.map((m) => m.rssGrowthMiB),
          wasmMemoryMiB: Math.max(...runs.map((m) => m.wasmMemoryMiB)),
        });
      } catch (e) {
        result.errors.push(`memory (${engine}): ${e.message}`);
      }
    }

    try {
      log("log load: writing the 10,000-entry log (examples/bench-log.rs)");
      await new Promise((resolve, reject) => {
        const cargo = spawn("cargo", ["run", "-q", "--release", "--example", "bench-log", "--features", "hazmat", "--", "build/bench-log.json"], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
        cargo.on("error", reject);
        cargo.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`bench-log exited with ${code}`))));
      });
      result.logLoad = {
        sync: await nodeJson(["bench/log-load.mjs", "build/bench-log.json", "build/hazmat", "sync"], 120_000),
        async: await nodeJson(["bench/log-load.mjs", "build/bench-log.json", "build/hazmat", "async"], 120_000),
      };
    } catch (e) {
      result.errors.push(`log load: ${e.message}`);
    }

    try {
      log("memory: wasm memory around backup unlocks");
      result.argonMemory = await nodeJson(["bench/argon2-memory.mjs"], 60_000);
    } catch (e) {
      result.errors.push(`argon2 memory: ${e.message}`);
    }
  }

  // Cases: the practice is written once; Node then Chromium load it.
  let practice = false;
  if (!ONLY_INTEGRITY) {
    try {
      await buildPractice();
      practice = true;
      result.envs.Node.cases = await nodeCases();
    } catch (e) {
      result.envs.Node.casesError = e.message;
      result.errors.push(`Node cases: ${e.message}`);
    }
  }
  if (!ONLY_CASES) {
    try {
      result.envs.Node.integrity = await nodeIntegrity();
    } catch (e) {
      result.envs.Node.integrityError = e.message;
      result.errors.push(`Node integrity: ${e.message}`);
    }
  }

  if (process.env.BENCH_SKIP_BROWSER === "1") {
    result.envs.Chromium.skipped = "BENCH_SKIP_BROWSER=1";
  } else {
    try {
      const only = ONLY_CASES ? "cases" : ONLY_INTEGRITY ? "integrity" : undefined;
      const c = await chromiumAll({ only, cases: practice });
      result.chromium = c.version;
      result.envs.Chromium = { throughput: c.throughput, init: c.init, cases: c.cases, casesError: c.casesError, integrity: c.integrity, integrityError: c.integrityError };
      if (c.casesError) result.errors.push(`Chromium cases: ${c.casesError}`);
      if (c.integrityError) result.errors.push(`Chromium integrity: ${c.integrityError}`);
    } catch (e) {
      result.envs.Chromium.error = e.message;
      result.errors.push(`Chromium: ${e.stack ?? e.message}`);
    }
  }

  if (ONLY_CASES || ONLY_INTEGRITY) {
    const errors = result.errors.length ? `\n## Harness errors\n\n${result.errors.map((e) => `- ${e}`).join("\n")}\n` : "";
    process.stdout.write("\n" + (ONLY_CASES ? renderCases(result) : renderIntegrity(result)) + errors + "\n");
    log(`BENCH_ONLY=${process.env.BENCH_ONLY}: printed only, ${OUT} left as it is (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return result.errors.length === 0;
  }
  const md = keepServerLoad(render(result));
  writeFileSync(OUT, md + "\n");
  process.stdout.write("\n" + md + "\n");
  log(`wrote ${OUT} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return result.errors.length === 0;
}

main().then(
  (ok) => {
    clearTimeout(watchdog);
    process.exitCode = ok ? 0 : 1;
  },
  (e) => {
    log(`harness failed: ${e.stack ?? e}`);
    process.exitCode = 1;
  },
);
