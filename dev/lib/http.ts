import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** Thrown by handlers to answer with `status` and a JSON error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Wraps an async handler so an HttpError becomes a JSON body (`{"error": message}`
 * unless `toBody` says otherwise) with its status, and anything else a logged 500
 * instead of an unhandled rejection.
 */
export function jsonErrors(handler: Handler, label: string, toBody: (message: string) => unknown = (message) => ({ error: message })): Handler {
  return async (req, res) => {
    try {
      await handler(req, res);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        sendJson(res, err.status, toBody(err.message));
        return;
      }
      console.error(`[${label}] ${req.method} ${req.url} failed:`, err);
      sendJson(res, 500, toBody(err instanceof Error ? err.message : String(err)));
    }
  };
}

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new HttpError(413, `request body exceeds ${limitBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "request body is not valid JSON");
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** The token from `Authorization: Bearer …`, else from the `queryParam` search parameter. */
export function requestToken(req: IncomingMessage, url: URL, queryParam: string): string | undefined {
  const auth = req.headers.authorization;
  const match = auth ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return match?.[1]?.trim() ?? url.searchParams.get(queryParam) ?? undefined;
}

/** Hashing first makes the comparison constant-time even when lengths differ. */
export function tokensEqual(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Parses the path and query without trusting the Host header. */
export function requestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? "/", "http://local.invalid");
}

/** A single-valued, lower-cased view of Node's header object (duplicates are comma-joined). */
export function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}
