// A confide-server of a test's own, which the test may kill and start again: on the port
// after the suite's (CONFIDE_E2E_PORT + offset), over its own fresh data directory.
import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";

const SERVER_BIN = process.env.CONFIDE_SERVER_BIN ?? "target/debug/confide-server";
const SUITE_PORT = Number(process.env.CONFIDE_E2E_PORT ?? 8090);
const WWW = process.env.CONFIDE_E2E_WWW ?? "www";

export class OwnServer {
  constructor(name, offset = 1) {
    this.port = SUITE_PORT + offset;
    this.url = `http://127.0.0.1:${this.port}`;
    this.dataDir = `build/e2e-${name}`;
    this.process = null;
  }

  /** Starts it (on a fresh data directory the first time) and waits until it answers. */
  async start({ fresh = false } = {}) {
    if (fresh) {
      rmSync(this.dataDir, { recursive: true, force: true });
      mkdirSync(this.dataDir, { recursive: true });
    }
    this.process = spawn(
      SERVER_BIN,
      ["--addr", `127.0.0.1:${this.port}`, "--data", this.dataDir, "--www", WWW, "--pkg", "js"],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    // It prints its address once it listens; a port someone else holds makes it exit instead.
    const listening = await new Promise((resolve) => {
      let out = "";
      this.process.stdout.on("data", (chunk) => {
        out += chunk;
        if (out.includes("Confide server: http://")) resolve(true);
      });
      this.process.once("exit", () => resolve(false));
      setTimeout(() => resolve(false), 10_000);
    });
    if (!listening) {
      await this.kill();
      throw new Error(`confide-server did not start on port ${this.port} (is the port taken?)`);
    }
  }

  #exited() {
    return this.process.exitCode !== null || this.process.signalCode !== null;
  }

  /** Kills it at once (SIGKILL: no graceful shutdown, as in a crash or a power cut). */
  async kill() {
    if (!this.process || this.#exited()) return;
    const exited = new Promise((resolve) => this.process.once("exit", resolve));
    this.process.kill("SIGKILL");
    await exited;
  }
}
