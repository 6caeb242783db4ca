import { createHash } from "node:crypto";
import { HttpError } from "../lib/http";
import { parseDuration } from "./duration";
import { ExprError, parseExpr } from "./expr";
import type { CallbackSpec, HttpMethod, MessageSpec, RetryDelay } from "./types";

const METHODS = new Set<HttpMethod>(["GET", "POST", "PUT", "PATCH", "DELETE"]);
/** Headers fetch refuses to set or that describe the publish hop, not the message. */
const UNFORWARDABLE = new Set(["host", "connection", "content-length", "keep-alive", "transfer-encoding", "upgrade", "expect", "te", "trailer"]);
/** Excluded from the content hash because they differ per publish, not per message. */
const NOT_HASHED = ["upstash-telemetry-", "upstash-deduplication-id", "upstash-content-based-deduplication"];

export interface PublishInput {
  destination: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: Buffer;
  now: number;
  defaultRetries: number;
  defaultTimeoutMs: number;
  callerIp?: string;
}

/** Turns a publish request into a MessageSpec, rejecting anything QStash would reject with a 400. */
export function parsePublish(input: PublishInput): MessageSpec {
  const h = input.headers;
  const url = parseDestination(input.destination);
  const method = parseMethod(h["upstash-method"], "Upstash-Method");
  const headers = forwardedHeaders(h, "upstash-forward-");
  if (h["content-type"]) headers["content-type"] = h["content-type"];
  return {
    url,
    method,
    body: input.body,
    headers,
    notBefore: parseNotBefore(h, input.now),
    maxRetries: parseRetries(h["upstash-retries"], "Upstash-Retries") ?? input.defaultRetries,
    retryDelay: parseRetryDelay(h["upstash-retry-delay"], "Upstash-Retry-Delay"),
    timeoutMs: parseTimeout(h["upstash-timeout"], "Upstash-Timeout") ?? input.defaultTimeoutMs,
    callback: parseCallback(h, "upstash-callback"),
    failureCallback: parseCallback(h, "upstash-failure-callback"),
    labels: (h["upstash-label"] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    dedupKey: dedupKey(url, h, input.body),
    callerIp: input.callerIp,
  };
}

function parseDestination(raw: string): string {
  // Some clients percent-encode the destination; the SDK puts it in the path raw.
  const dest = /^https?%3A/i.test(raw) ? decodeURIComponent(raw) : raw;
  if (!/^https?:\/\//i.test(dest)) {
    throw new HttpError(400, `invalid destination ${JSON.stringify(dest)}: the local QStash only delivers to http(s) URLs ` + "(no URL groups or api destinations)");
  }
  try {
    new URL(dest);
  } catch {
    throw new HttpError(400, `invalid destination url ${JSON.stringify(dest)}`);
  }
  return dest;
}

function parseMethod(value: string | undefined, name: string): HttpMethod {
  const method = (value ?? "POST").trim().toUpperCase() as HttpMethod;
  if (!METHODS.has(method)) throw new HttpError(400, `${name} must be one of ${[...METHODS].join(", ")}`);
  return method;
}

function forwardedHeaders(h: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(h)) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    if (name && !UNFORWARDABLE.has(name)) out[name] = value;
  }
  return out;
}

function parseNotBefore(h: Record<string, string>, now: number): number {
  const notBefore = h["upstash-not-before"];
  if (notBefore !== undefined) {
    if (!/^\d+$/.test(notBefore.trim())) {
      throw new HttpError(400, "Upstash-Not-Before must be a unix timestamp in seconds");
    }
    return Number(notBefore) * 1000;
  }
  const delay = h["upstash-delay"];
  if (delay === undefined) return now;
  const ms = parseDuration(delay);
  if (ms === undefined) {
    throw new HttpError(400, `invalid Upstash-Delay ${JSON.stringify(delay)}, expected e.g. 50s or 1d10h30m`);
  }
  return now + ms;
}

function parseRetries(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new HttpError(400, `${name} must be a non-negative integer`);
  return Number(value);
}

function parseRetryDelay(value: string | undefined, name: string): RetryDelay | undefined {
  if (value === undefined) return undefined;
  try {
    return { source: value, expr: parseExpr(value) };
  } catch (err) {
    if (err instanceof ExprError) throw new HttpError(400, `invalid ${name} ${JSON.stringify(value)}: ${err.message}`);
    throw err;
  }
}

function parseTimeout(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw new HttpError(400, `invalid ${name} ${JSON.stringify(value)}, expected e.g. 10s`);
  }
  return ms;
}

function parseCallback(h: Record<string, string>, prefix: string): CallbackSpec | undefined {
  const target = h[prefix];
  if (target === undefined) return undefined;
  const display = prefix.replace(/(^|-)(\w)/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
  if (!/^https?:\/\//i.test(target) || !URL.canParse(target)) {
    throw new HttpError(400, `${display} must be an http(s) URL`);
  }
  const delay = h[`${prefix}-delay`];
  const delayMs = delay === undefined ? 0 : parseDuration(delay);
  if (delayMs === undefined) throw new HttpError(400, `invalid ${display}-Delay ${JSON.stringify(delay)}`);
  return {
    url: target,
    method: parseMethod(h[`${prefix}-method`], `${display}-Method`),
    headers: forwardedHeaders(h, `${prefix}-forward-`),
    maxRetries: parseRetries(h[`${prefix}-retries`], `${display}-Retries`),
    retryDelay: parseRetryDelay(h[`${prefix}-retry-delay`], `${display}-Retry-Delay`),
    timeoutMs: parseTimeout(h[`${prefix}-timeout`], `${display}-Timeout`),
    delayMs,
  };
}

function dedupKey(url: string, h: Record<string, string>, body: Buffer): string | undefined {
  const id = h["upstash-deduplication-id"];
  if (id !== undefined) return `id:${id}`;
  if (h["upstash-content-based-deduplication"]?.trim().toLowerCase() !== "true") return undefined;
  const hash = createHash("sha256").update(url).update("\n");
  const hashed = Object.keys(h)
    .filter((k) => (k.startsWith("upstash-") || k === "content-type") && !NOT_HASHED.some((p) => k.startsWith(p)))
    .sort();
  for (const key of hashed) hash.update(`${key}:${h[key]}\n`);
  return `content:${hash.update(body).digest("hex")}`;
}
