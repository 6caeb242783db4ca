import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { classify } from "./known-deviations";
import { startPrismProxy, type PrismProxy } from "./prism";
import { describeViolation, specRouteOf, violationsOf } from "./recorder";
import type { ObservedViolation } from "./scenario";

// Puts Tiny's published spec between a runtime that cannot read Prism's verdict headers (the
// Worker inside workerd) and the Tiny sandbox: every call goes through Prism, and a request that
// breaks the spec in a way no known deviation explains is answered with a 500 naming the
// violation, so the test that sent it fails there and then. Response-side findings (the
// sandbox's shapes, Tiny's own spec bugs) are collected for the run's summary instead: they are
// not the caller's fault.

export interface SpecGate {
  /** Use as TINY_API_URL. */
  url: string;
  /** Unexplained violations seen so far, one line each; only the requests' with `requests`. */
  unexplained(side?: "requests"): string[];
  calls(): number;
  close(): Promise<void>;
}

const hopByHop = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"]);

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startSpecGate(upstreamApiUrl: string): Promise<SpecGate> {
  const prism: PrismProxy = await startPrismProxy(upstreamApiUrl);
  const unexplained: ObservedViolation[] = [];
  let calls = 0;
  const server = createServer((request, response) => {
    void (async () => {
      calls++;
      const method = (request.method ?? "GET").toUpperCase();
      const body = await readBody(request);
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) if (typeof value === "string" && !hopByHop.has(name)) headers.set(name, value);
      const upstream = await fetch(`${prism.url}${request.url ?? "/"}`, { method, headers, ...(body.length > 0 ? { body } : {}) });
      const path = new URL(request.url ?? "/", "http://gate").pathname;
      const fresh = classify(violationsOf(upstream, method, path)).unexplained;
      unexplained.push(...fresh);
      const badRequest = fresh.filter((v) => v.location[0] === "request");
      if (badRequest.length > 0) {
        await upstream.arrayBuffer();
        response.writeHead(500, { "content-type": "text/plain" });
        response.end(`Tiny spec gate: ${method} ${specRouteOf(path)} breaks Tiny's published spec: ${badRequest.map((v) => `${v.location.join(".")} ${v.message}`).join("; ")}`);
        return;
      }
      const out: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (!hopByHop.has(name)) out[name] = value;
      });
      const payload = Buffer.from(await upstream.arrayBuffer());
      response.writeHead(upstream.status, out);
      response.end(payload);
    })().catch((error: unknown) => {
      response.writeHead(502, { "content-type": "text/plain" });
      response.end(`Tiny spec gate: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    unexplained: (side) => unexplained.filter((v) => side === undefined || v.location[0] === "request").map(describeViolation),
    calls: () => calls,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await prism.stop();
    },
  };
}
