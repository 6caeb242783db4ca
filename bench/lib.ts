import { readFile, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import autocannon from "autocannon";

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
