import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/**
 * A stand-in for Sentry's ingest: accepts envelopes (`POST /api/<project>/envelope/`, the path the
 * SDKs derive from a DSN) and keeps them per project, raw and parsed, so tests assert what left the
 * process and that no secret did. `GET /_sink/<project>` hands them to tests that cannot share this
 * process's memory (the Worker's, inside workerd).
 *
 * It also stands in for the jobs container's `/health` for the Worker's deep health check:
 * `<url>/_jobs/up/health` answers 200, `<url>/_jobs/down/health` 503, each call counted.
 */
export interface SinkItem {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

export interface SinkEnvelope {
  /** The envelope exactly as sent (decompressed): what a leak test searches. */
  raw: string;
  header: Record<string, unknown>;
  items: SinkItem[];
}

export interface SentrySink {
  url: string;
  /** A DSN whose project id keeps one test's envelopes apart from another's. */
  dsn(project: string): string;
  envelopes(project: string): SinkEnvelope[];
  /** Every envelope received, any project. */
  total(): number;
  close(): Promise<void>;
}

/** Envelope items are a header line then a payload (one JSON line for events; `length` bytes when given). */
export function parseEnvelope(raw: string): SinkEnvelope {
  const [head = "{}", ...rest] = raw.split("\n");
  const items: SinkItem[] = [];
  for (let i = 0; i + 1 < rest.length; i += 2) {
    if (!rest[i]) continue;
    const payload = rest[i + 1]!;
    items.push({ header: JSON.parse(rest[i]!) as Record<string, unknown>, payload: payload.startsWith("{") ? (JSON.parse(payload) as Record<string, unknown>) : { raw: payload } });
  }
  return { raw, header: JSON.parse(head) as Record<string, unknown>, items };
}

/** The error events of a project's envelopes (sessions and client reports left out). */
export function sinkEvents(envelopes: SinkEnvelope[]): Record<string, unknown>[] {
  return envelopes.flatMap((envelope) => envelope.items.filter((item) => item.header.type === "event").map((item) => item.payload));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return (request.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body).toString("utf8");
}

export async function startSentrySink(): Promise<SentrySink> {
  const byProject = new Map<string, SinkEnvelope[]>();
  let total = 0;
  let jobsHealthCalls = 0;
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://sink");
    const ingest = /^\/api\/([^/]+)\/envelope\/?$/.exec(url.pathname);
    if (request.method === "POST" && ingest) {
      void readBody(request).then((raw) => {
        total += 1;
        const list = byProject.get(ingest[1]!) ?? [];
        list.push(parseEnvelope(raw));
        byProject.set(ingest[1]!, list);
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
      return;
    }
    const jobsHealth = /^\/_jobs\/(up|down)\/health$/.exec(url.pathname);
    if (request.method === "GET" && jobsHealth) {
      jobsHealthCalls += 1;
      const up = jobsHealth[1] === "up";
      response.writeHead(up ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify({ status: up ? "ok" : "unavailable" }));
      return;
    }
    const read = /^\/_sink\/([^/]+)$/.exec(url.pathname);
    if (request.method === "GET" && read) {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ total, jobsHealthCalls, envelopes: byProject.get(read[1]!) ?? [] }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    dsn: (project) => `http://sinkpublickey@127.0.0.1:${(server.address() as AddressInfo).port}/${project}`,
    envelopes: (project) => byProject.get(project) ?? [],
    total: () => total,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
