// End-to-end tests of the demo page (www/) over the real reference server, in the system's
// Chromium and the system's Firefox ESR. Run with `make test-e2e`: it builds the package and
// the server first.
//
// The server starts on a fresh data directory (build/e2e-data, wiped first), with the same
// flags as `make demo`, on port CONFIDE_E2E_PORT (default 8090); tests that stop and restart
// a server of their own use the next ports (tests/e2e/server.mjs). Every scenario runs in
// both browsers; then tests/e2e/at-rest.spec.mjs reads the data directory's raw bytes.
//
// Firefox: Playwright's own Firefox build cannot be downloaded here, so it drives Debian's
// firefox-esr over WebDriver BiDi (the `moz-firefox` channel), through
// tests/e2e/firefox-bidi.mjs (see there for the one BiDi command it answers itself).
import { defineConfig } from "@playwright/test";

const PORT = Number(process.env.CONFIDE_E2E_PORT ?? 8090);
const BASE_URL = `http://127.0.0.1:${PORT}`;
const SERVER_BIN = process.env.CONFIDE_SERVER_BIN ?? "target/debug/confide-server";
const E2E_DATA_DIR = "build/e2e-data";
// The page under test; another folder (an older www/) shows which tests fail against it.
const WWW = process.env.CONFIDE_E2E_WWW ?? "www";
// The scenarios; the at-rest scan runs after both browsers are done.
const AT_REST = "at-rest.spec.mjs";

export default defineConfig({
  testDir: "tests/e2e",
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  reporter: "list",
  timeout: 120_000,
  workers: 1,
  use: {
    baseURL: BASE_URL,
    headless: true,
    trace: "off",
  },
  webServer: {
    command:
      `rm -rf ${E2E_DATA_DIR} && mkdir -p ${E2E_DATA_DIR} && ` +
      `exec ${SERVER_BIN} --addr 127.0.0.1:${PORT} --data ${E2E_DATA_DIR} --www ${WWW} --pkg js`,
    url: BASE_URL,
    gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
    reuseExistingServer: false,
    timeout: 30_000,
    // One log line per request on stderr: too much for a test report. Run the binary by
    // hand to see them.
    stdout: "ignore",
    stderr: "ignore",
  },
  projects: [
    {
      name: "chromium",
      testIgnore: AT_REST,
      use: {
        browserName: "chromium",
        headless: true,
        launchOptions: {
          executablePath: "/usr/bin/chromium",
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            // The player starts audio after an await; headless has no one to click again.
            "--autoplay-policy=no-user-gesture-required",
          ],
        },
      },
    },
    {
      name: "firefox",
      testIgnore: AT_REST,
      use: {
        browserName: "firefox",
        channel: "moz-firefox",
        headless: true,
        launchOptions: {
          executablePath: "tests/e2e/firefox-bidi.mjs",
          firefoxUserPrefs: {
            // As --autoplay-policy above: playback starts after an await.
            "media.autoplay.default": 0,
            "media.autoplay.blocking_policy": 0,
          },
        },
      },
    },
    {
      name: "at-rest",
      testMatch: AT_REST,
      dependencies: ["chromium", "firefox"],
    },
  ],
});
