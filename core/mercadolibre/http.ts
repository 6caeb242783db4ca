import type { ErrorCode } from "../errors";
import { MlApiError, MlOAuthError } from "./errors";

/**
 * The transport under every ML call: per-attempt timeout, and retries with exponential
 * backoff and jitter for what ML documents as transient (429 "local_rate_limited", 5xx,
 * network failures). ML sends no rate-limit headers today, but a Retry-After is honoured if
 * one ever appears. Anything else is returned as is for the caller to classify.
 */
export interface MlTransportOptions {
  timeoutMs: number;
  maxAttempts: number;
  /** Backoff base; attempt n waits about base·2^(n-1), half of it random. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** A Retry-After longer than this is not waited out here: the error carries it to the caller. */
  maxRetryAfterMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export interface MlRawResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when the body is not JSON (ML's 429 may be plain text). */
  data: unknown;
  attempts: number;
}

export interface MlTransportRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | URLSearchParams;
  /** Retry 5xx and network failures; false for writes ML might have applied before failing. */
  retryUnsafe: boolean;
  /** "GET /orders/{id}"-style label for errors and logs; never includes credentials. */
  endpoint: string;
  signal?: AbortSignal;
  /** 2xx bodies come back as bytes (labels are PDF or ZIP); error bodies are still parsed. */
  binary?: boolean;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function backoffDelay(attempt: number, baseMs: number, capMs: number): number {
  const exponential = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  // "Equal jitter": never zero, so a retry always gives ML some room, yet callers never march in step.
  return exponential / 2 + Math.random() * (exponential / 2);
}

export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function isTransient(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

async function readBody(response: Response, binary = false): Promise<unknown> {
  if (binary && response.ok) return new Uint8Array(await response.arrayBuffer());
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export async function mlTransport(request: MlTransportRequest, options: MlTransportOptions): Promise<MlRawResponse> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? defaultSleep;
  const baseMs = options.backoffBaseMs ?? 250;
  const capMs = options.backoffCapMs ?? 8_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const maxAttempts = Math.max(1, options.maxAttempts);

  for (let attempt = 1; ; attempt++) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    const onOuterAbort = () => controller.abort();
    request.signal?.addEventListener("abort", onOuterAbort, { once: true });
    let response: Response;
    let data: unknown;
    try {
      response = await doFetch(request.url, {
        method: request.method,
        headers: { accept: "application/json", ...request.headers },
        ...(request.body === undefined ? {} : { body: request.body }),
        signal: controller.signal,
      });
      data = await readBody(response, request.binary);
    } catch (error) {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onOuterAbort);
      if (request.signal?.aborted) throw error;
      const timedOut = controller.signal.aborted;
      if (request.retryUnsafe && attempt < maxAttempts) {
        await sleep(backoffDelay(attempt, baseMs, capMs));
        continue;
      }
      throw new MlApiError(
        "unavailable",
        timedOut
          ? `MercadoLibre did not answer ${request.endpoint} within ${options.timeoutMs} ms.`
          : `MercadoLibre could not be reached for ${request.endpoint}.`,
        { endpoint: request.endpoint, retryable: true, retryAfterSeconds: 5, cause: error },
      );
    }
    clearTimeout(timer);
    request.signal?.removeEventListener("abort", onOuterAbort);

    // A 429 means ML refused before doing anything, so even a write is safe to repeat.
    const retryable = response.status === 429 || (request.retryUnsafe && isTransient(response.status));
    if (!retryable || attempt >= maxAttempts) return { status: response.status, headers: response.headers, data, attempts: attempt };
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    if (retryAfterMs !== undefined && retryAfterMs > maxRetryAfterMs) {
      return { status: response.status, headers: response.headers, data, attempts: attempt };
    }
    await sleep(Math.max(retryAfterMs ?? 0, backoffDelay(attempt, baseMs, capMs)));
  }
}

function field(data: unknown, name: string): string | undefined {
  if (data && typeof data === "object" && name in data) {
    const value = (data as Record<string, unknown>)[name];
    return typeof value === "string" ? value : undefined;
  }
  return undefined;
}

/** ML's own words for an error: `error` code and a message safe to show (never a token). */
export function mlErrorFields(data: unknown): { error: string | undefined; message: string | undefined } {
  if (typeof data === "string") return { error: data.slice(0, 64), message: undefined };
  return { error: field(data, "error"), message: field(data, "message") ?? field(data, "error_description") };
}

/** Status → error model: only 409, 429 and 5xx may succeed if repeated. */
export function classifyMlFailure(response: MlRawResponse, endpoint: string): MlApiError {
  const { status } = response;
  const { error, message } = mlErrorFields(response.data);
  const detail = message ? `: ${message.slice(0, 300)}` : "";
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
  const base = { endpoint, mlStatus: status, mlError: error };
  let code: ErrorCode;
  let retryable: boolean;
  if (status === 429) {
    return new MlApiError("rate_limited", `MercadoLibre rate-limited ${endpoint}${detail}`, {
      ...base,
      retryable: true,
      retryAfterSeconds: retryAfterMs === undefined ? 10 : Math.ceil(retryAfterMs / 1000),
    });
  } else if (status >= 500) {
    code = status === 503 || status === 504 ? "unavailable" : "bad_gateway";
    retryable = true;
  } else if (status === 404) {
    code = "not_found";
    retryable = false;
  } else if (status === 409) {
    // ML's optimistic locking: the same write succeeds once the other one lands.
    code = "conflict";
    retryable = true;
  } else if (status === 401 || status === 403) {
    // Not our caller's credentials: ML refused the seller's token or scope. 502 keeps our own 401/403 meaning intact.
    code = "bad_gateway";
    retryable = false;
  } else if (status === 400 || status === 422) {
    code = "bad_request";
    retryable = false;
  } else {
    code = "bad_gateway";
    retryable = false;
  }
  return new MlApiError(code, `MercadoLibre answered ${status} to ${endpoint}${detail}`, { ...base, retryable });
}

/** Token endpoint failures: invalid_grant is final for the grant; invalid_client is our configuration. */
export function classifyOAuthFailure(response: MlRawResponse, endpoint: string): MlOAuthError {
  const { error, message } = mlErrorFields(response.data);
  const transient = response.status === 429 || response.status >= 500;
  const code: ErrorCode = response.status === 429 ? "rate_limited" : transient ? "unavailable" : "bad_gateway";
  return new MlOAuthError(code, `MercadoLibre token endpoint refused the request (${error ?? response.status})${message ? `: ${message.slice(0, 200)}` : ""}`, {
    endpoint,
    mlStatus: response.status,
    mlError: error,
    retryable: transient,
    ...(transient ? { retryAfterSeconds: 10 } : {}),
  });
}
