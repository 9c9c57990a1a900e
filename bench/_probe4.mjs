import { chromium } from "@playwright/test";
import { startServer } from "/work/wt-bundlers/bench/server.mjs";
const server = await startServer({ importMapRoots: [] });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox","--disable-gpu","--disable-background-networking","--disable-component-update","--disable-sync","--no-first-run"] });
const rows = [];
for (let i = 0; i < 9; i++) {
  const ctx = await browser.newContext(); const p = await ctx.newPage();
  await p.goto(`${server.origin}/bench/init.html`, { waitUntil: "load" }); await p.waitForTimeout(100);
  rows.push(await p.evaluate(() => window.probeTotal())); await ctx.close();
}
const med = (k) => rows.map((r) => r[k]).sort((a, b) => a - b)[4].toFixed(1);
console.log("init", med("initMs"), "import", med("importMs"), "total", med("totalMs"), "net", med("networkMs"));
await browser.close(); await server.close();
