import { signDelivery } from "./sign";
import type { AttemptResult, MessageRecord } from "./types";

/** Enough of a failed response to debug it from the DLQ without keeping huge bodies around. */
const MAX_KEPT_RESPONSE_BYTES = 1024 * 1024;

/** One HTTP delivery attempt, signed afresh so `iat`/`exp` are current even on late retries. */
export async function attemptDelivery(msg: MessageRecord, signingKey: string, shutdown: AbortSignal): Promise<AttemptResult> {
  const hasBody = msg.method !== "GET";
  const body = hasBody ? msg.body : Buffer.alloc(0);
  const headers: Record<string, string> = {
    ...msg.headers,
    "user-agent": "Upstash-QStash",
    "upstash-signature": signDelivery({ key: signingKey, url: msg.url, body }),
    "upstash-message-id": msg.messageId,
    "upstash-retried": String(msg.retried),
  };
  if (msg.callerIp) headers["upstash-caller-ip"] = msg.callerIp;
  try {
    const res = await fetch(msg.url, {
      method: msg.method,
      headers,
      body: hasBody ? new Uint8Array(body) : undefined,
      signal: AbortSignal.any([AbortSignal.timeout(msg.timeoutMs), shutdown]),
    });
    const responseBody = Buffer.from(await res.arrayBuffer()).subarray(0, MAX_KEPT_RESPONSE_BYTES);
    return { status: res.status, headers: multiValueHeaders(res.headers), body: responseBody };
  } catch (err) {
    const timedOut = err instanceof DOMException && err.name === "TimeoutError";
    return {
      status: 0,
      headers: {},
      body: Buffer.alloc(0),
      error: timedOut ? `timed out after ${msg.timeoutMs}ms` : describe(err),
    };
  }
}

export function isSuccess(result: AttemptResult): boolean {
  return result.status >= 200 && result.status < 300;
}

function multiValueHeaders(headers: Headers): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  headers.forEach((value, key) => {
    (out[canonicalHeaderName(key)] ??= []).push(value);
  });
  return out;
}

/** `x-ml-topic` → `X-Ml-Topic`, the casing QStash uses in its JSON APIs. */
export function canonicalHeaderName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
  return `${err.message}${cause}`;
}
