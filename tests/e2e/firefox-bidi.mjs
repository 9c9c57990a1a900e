#!/usr/bin/env node
// Debian's firefox-esr for Playwright, over WebDriver BiDi.
//
// @playwright/test drives a stock Firefox (no patched "Juggler" build) with its `moz-firefox`
// channel, which speaks WebDriver BiDi. Playwright names this script as the browser's
// executable: it starts /usr/bin/firefox-esr with Playwright's arguments, and stands between
// the two on the BiDi WebSocket. Every message passes through untouched except one command
// that Playwright 1.65 sends when it opens a context and that Firefox ESR 153 does not
// implement yet: `emulation.setMediaFeaturesOverride` (it emulates prefers-color-scheme).
// That one is answered as done. The cost: color-scheme and print emulation do nothing in
// Firefox, and the tests that need them (page.emulateMedia) run in Chromium only.
//
// Anything else Firefox refuses reaches Playwright as Firefox's own error.
import { spawn } from "node:child_process";
import { WebSocket, WebSocketServer } from "ws";

const FIREFOX = process.env.CONFIDE_FIREFOX ?? "/usr/bin/firefox-esr";
const ANSWERED_HERE = new Set(["emulation.setMediaFeaturesOverride"]);

const firefox = spawn(FIREFOX, process.argv.slice(2), { stdio: ["ignore", "inherit", "pipe"] });
const proxy = new WebSocketServer({ host: "127.0.0.1", port: 0 });

function bridge(upstreamUrl) {
  proxy.on("connection", (client, request) => {
    const upstream = new WebSocket(new URL(request.url ?? "/", upstreamUrl).href);
    const queue = [];
    upstream.on("open", () => {
      for (const m of queue.splice(0)) upstream.send(m);
    });
    client.on("message", (data) => {
      const text = data.toString();
      let message = null;
      try {
        message = JSON.parse(text);
      } catch {
        // not JSON: pass it on, Firefox will say so
      }
      if (message && ANSWERED_HERE.has(message.method)) {
        client.send(JSON.stringify({ type: "success", id: message.id, result: {} }));
        return;
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
      else queue.push(text);
    });
    upstream.on("message", (data) => client.send(data.toString()));
    upstream.on("close", () => client.close());
    upstream.on("error", () => client.close());
    client.on("close", () => upstream.close());
  });
}

// Firefox announces its BiDi endpoint on stderr; Playwright reads the same line from us,
// naming our endpoint instead. Everything else on stderr passes through.
let pending = "";
firefox.stderr.on("data", (chunk) => {
  pending += chunk.toString();
  for (let i = pending.indexOf("\n"); i >= 0; i = pending.indexOf("\n")) {
    const line = pending.slice(0, i);
    pending = pending.slice(i + 1);
    const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(line);
    if (m) {
      bridge(m[1].endsWith("/") ? m[1] : `${m[1]}/`);
      process.stderr.write(`WebDriver BiDi listening on ws://127.0.0.1:${proxy.address().port}\n`);
    } else {
      process.stderr.write(`${line}\n`);
    }
  }
});

firefox.on("exit", (code, signal) => {
  proxy.close();
  process.exit(code ?? (signal ? 1 : 0));
});
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => firefox.kill(signal));
