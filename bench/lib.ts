import { readFile, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { startChild, type ChildHandle } from "#dev/stack/child";
import { freePort, waitForHttp } from "#dev/stack/ports";

export interface LoadResult {
  name: string;
  connections: number;
  durationSeconds: number;
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

export async function load(
  name: string,
  options: { url: string; method?: "GET" | "POST"; headers?: Record<string, string>; body?: string; connections: number; durationSeconds: number },
): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: options.method ?? "GET",
    headers: options.headers ?? {},
    ...(options.body ? { body: options.body } : {}),
    connections: options.connections,
    duration: options.durationSeconds,
    // The load generator gets a thread of its own: the local stand-ins run on this process's main thread.
    workers: 1,
  });
  return {
    name,
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    requests: result.requests.total,
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/**
 * The floor: a do-nothing Worker (`fixtures/floor-worker/`) under the same wrangler dev, i.e. what
 * the local runtime costs before any of our code runs. Every route is measured beside it. Its wrangler runs
 * with the stack's flags (`--log-level warn`: no line per request), so the two differ only by the Worker.
 */
export async function startFloorWorker(): Promise<{ url: string; child: ChildHandle }> {
  const port = await freePort();
  const child = startChild(
    "floor",
    process.execPath,
    [
      fileURLToPath(new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url)),
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      "0",
      "--show-interactive-dev-session=false",
      "--log-level",
      "warn",
    ],
    { cwd: fileURLToPath(new URL("./fixtures/floor-worker", import.meta.url)), env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" }, quiet: true },
  );
  const url = `http://127.0.0.1:${port}/`;
  await waitForHttp(url, { timeoutMs: 60_000, isAlive: child.alive });
  return { url, child };
}

export function machineLine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model ?? "unknown"}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export function table(results: LoadResult[]): string {
  const head = "| endpoint | connections | duration | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | errors |";
  const rule = "|---|---|---|---|---|---|---|---|---|---|---|";
  const rows = results.map(
    (r) => `| ${r.name} | ${r.connections} | ${r.durationSeconds} s | ${r.requests} | ${r.requestsPerSecond} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.max} | ${r.non2xx} | ${r.errors} |`,
  );
  return [head, rule, ...rows].join("\n");
}

/** Replaces the section between `<!-- bench:NAME -->` markers in docs/benchmarks.md, keeping the rest. */
export async function writeSection(name: string, content: string): Promise<void> {
  const path = new URL("../docs/benchmarks.md", import.meta.url);
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  let doc = await readFile(path, "utf8").catch(() => "# Benchmarks\n");
  const block = `${start}\n${content.trim()}\n${end}`;
  const pattern = new RegExp(`${start}[\\s\\S]*?${end}`);
  doc = pattern.test(doc) ? doc.replace(pattern, block) : `${doc.trimEnd()}\n\n${block}\n`;
  await writeFile(path, doc);
}
