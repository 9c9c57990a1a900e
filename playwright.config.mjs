// End-to-end tests of the demo page (www/) over the real reference server, in the system's
// Chromium. Run with `make test-e2e`: it builds the package and the server first.
// The server starts on a fresh data directory (build/e2e-data, wiped first), with the same
// flags as `make demo`; tests/e2e/at-rest.spec.mjs reads that directory's raw bytes.
import { defineConfig } from "@playwright/test";

const PORT = 8090;
const BASE_URL = `http://127.0.0.1:${PORT}`;
const SERVER_BIN = process.env.CONFIDE_SERVER_BIN ?? "target/release/confide-server";
const E2E_DATA_DIR = "build/e2e-data";

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
      `exec ${SERVER_BIN} --addr 127.0.0.1:${PORT} --data ${E2E_DATA_DIR} --www www --pkg js`,
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
  ],
});
