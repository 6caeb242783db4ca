import { createServer } from "node:net";

/**
 * A free loopback port for a stack's servers, so parallel runs and a running dev stack never
 * collide. Chosen below Linux's ephemeral range (32768–60999 by default): a port the OS handed
 * out for `listen(0)` would be free again the moment we checked it, and any test or outbound
 * connection asking the OS for a port in the meantime could take it before our child process
 * binds it (seen as EADDRINUSE at a stack's start). Outside that range only another caller of
 * this function can pick the same port, one in 12,768.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    if (await canBind(port)) return port;
  }
  throw new Error("no free loopback port between 20000 and 32767");
}

function canBind(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
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
    const free = await canBind(port, host);
    if (!free) taken.push(`${name} (${host}:${port})`);
  }
  if (taken.length) throw new Error(`ports already in use: ${taken.join(", ")}. Is another stack running? Stop it or set the *_PORT variables.`);
}
