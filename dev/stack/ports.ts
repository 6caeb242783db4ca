import { createServer } from "node:net";

/** Asks the OS for a free loopback port; tests use it so parallel runs and a running dev stack never collide. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export async function waitForHttp(url: string, options: { timeoutMs: number; expectStatus?: number; isAlive?: () => boolean }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    if (options.isAlive && !options.isAlive()) throw new Error(`process serving ${url} exited before it was ready`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.status === (options.expectStatus ?? 200)) return;
      lastError = `status ${response.status}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${url} not ready after ${options.timeoutMs} ms (${lastError})`);
}

/** Fails fast when a port is taken: a stale server answering /health must never pass for this stack. */
export async function assertPortsFree(host: string, ports: Record<string, number>): Promise<void> {
  const taken: string[] = [];
  for (const [name, port] of Object.entries(ports)) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, host, () => server.close(() => resolve(true)));
    });
    if (!free) taken.push(`${name} (${host}:${port})`);
  }
  if (taken.length) throw new Error(`ports already in use: ${taken.join(", ")}. Is another stack running? Stop it or set the *_PORT variables.`);
}
