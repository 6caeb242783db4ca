import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

// Runs Stoplight Prism as a validating proxy in front of the sandbox. Without --errors Prism
// forwards everything and reports spec violations in the `sl-violations` response header.

export const SPEC_PATH = fileURLToPath(new URL("./tiny-v3-openapi.json", import.meta.url));
const PRISM_BIN = fileURLToPath(new URL("../../../../node_modules/.bin/prism", import.meta.url));

export interface PrismProxy {
  url: string;
  /** Prism's own log, kept for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startPrismProxy(upstream: string, opts: { timeoutMs?: number } = {}): Promise<PrismProxy> {
  const port = await freePort();
  let log = "";
  const child: ChildProcess = spawn(PRISM_BIN, ["proxy", "-h", "127.0.0.1", "-p", String(port), SPEC_PATH, upstream], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  let exited = false;
  child.once("exit", () => (exited = true));

  const stop = () =>
    new Promise<void>((resolve) => {
      if (exited) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => {
        if (!exited) child.kill("SIGKILL");
      }, 3_000).unref();
    });

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  // Prism parses the 640 KB spec before it listens; poll until any answer comes back.
  while (Date.now() < deadline) {
    if (exited) throw new Error(`prism exited before listening:\n${log}`);
    try {
      await fetch(`${url}/info`, { signal: AbortSignal.timeout(1_000) });
      return { url, output: () => log, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  await stop();
  throw new Error(`prism did not start within the timeout:\n${log}`);
}
