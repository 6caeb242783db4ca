/**
 * A closed-loop HTTP load generator on a thread of its own (the local stand-ins run on the main
 * thread): `connections` keep-alive connections, each sending its next request when the previous one
 * answered, until `requests` were sent. Unlike autocannon's merged histograms it returns every
 * latency, so rounds can be pooled, plus any header the caller asks to collect (e.g. Server-Timing).
 */
import { Agent, request } from "node:http";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

export interface ClosedLoopOptions {
  url: string;
  connections: number;
  requests: number;
  /** The request body; every `{n}` becomes the request's sequence number plus `offset`, so each body can be unique. */
  body: string;
  offset?: number;
  /** A response header to collect from every answer. */
  collectHeader?: string;
}

export interface ClosedLoopResult {
  /** Milliseconds, sorted ascending. */
  latencies: number[];
  non2xx: number;
  errors: number;
  elapsedMs: number;
  collected: string[];
}

export function closedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: options });
    worker.once("message", (result: ClosedLoopResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
}

async function run(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const url = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  const collected: string[] = [];
  let non2xx = 0;
  let errors = 0;
  let issued = 0;
  const once = (n: number) =>
    new Promise<void>((done) => {
      const body = options.body.replaceAll("{n}", String(n));
      const started = performance.now();
      const req = request(
        { agent, host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.once("end", () => {
            latencies.push(performance.now() - started);
            if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299) non2xx++;
            const header = options.collectHeader ? res.headers[options.collectHeader] : undefined;
            if (typeof header === "string") collected.push(header);
            done();
          });
        },
      );
      req.once("error", () => {
        errors++;
        done();
      });
      req.end(body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (issued < options.requests) await once((options.offset ?? 0) + issued++);
    }),
  );
  const elapsedMs = performance.now() - started;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { latencies, non2xx, errors, elapsedMs, collected };
}

if (!isMainThread && parentPort) parentPort.postMessage(await run(workerData as ClosedLoopOptions));
