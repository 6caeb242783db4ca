import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort } from "./ports";

describe("freePort", () => {
  it("never hands out a port from the OS's ephemeral range, where a listen(0) elsewhere could take it before the stack binds it", async () => {
    const [low, high] = (await readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8")).trim().split(/\s+/).map(Number) as [number, number];
    const ports = await Promise.all(Array.from({ length: 40 }, () => freePort()));
    for (const port of ports) expect(port < low || port > high, `port ${port} is inside ${low}–${high}`).toBe(true);
  });

  it("hands out a port nothing listens on", async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
