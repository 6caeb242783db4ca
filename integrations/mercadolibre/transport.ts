import { tokenEndpointFailure, upstreamErrorCode } from "#core/http/errors";
import { readBody, startDeadline } from "#core/http/fetch";
import { backoffDelay, parseRetryAfter, sleep as defaultSleep } from "#core/http/retry";
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
  /**
   * Told of every 429, retried here or not, with its Retry-After when ML sent one: ML limits the
   * application as a whole, so the caller's shared call budget slows every seller down.
   */
  onRateLimited?: (retryAfterMs: number | undefined) => void;
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
  /**
   * False when the caller paces its calls with a shared call budget: a 429 is then returned at once
   * (after `onRateLimited`), for the budget to slow down and the caller to wait its turn there,
   * instead of being repeated here outside the budget. Other transient failures are still retried.
   */
  retryRateLimited?: boolean;
}

function isTransient(status: number): boolean {
  return status === 500 || status === 502 || status === 503 || status === 504;
}

export async function mlTransport(request: MlTransportRequest, options: MlTransportOptions): Promise<MlRawResponse> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? defaultSleep;
  const baseMs = options.backoffBaseMs ?? 250;
  const capMs = options.backoffCapMs ?? 8_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const maxAttempts = Math.max(1, options.maxAttempts);

  for (let attempt = 1; ; attempt++) {
    const deadline = startDeadline(options.timeoutMs, request.signal);
    let response: Response;
    let data: unknown;
    try {
      response = await doFetch(request.url, {
        method: request.method,
        headers: { accept: "application/json", ...request.headers },
        ...(request.body === undefined ? {} : { body: request.body }),
        signal: deadline.signal,
      });
      data = await readBody(response, { binary: request.binary });
    } catch (error) {
      deadline.clear();
      if (request.signal?.aborted) throw error;
      const timedOut = deadline.expired;
      if (request.retryUnsafe && attempt < maxAttempts) {
        await sleep(backoffDelay(attempt, baseMs, capMs));
        continue;
      }
      throw new MlApiError("unavailable", timedOut ? `MercadoLibre did not answer ${request.endpoint} within ${options.timeoutMs} ms.` : `MercadoLibre could not be reached for ${request.endpoint}.`, {
        endpoint: request.endpoint,
        retryable: true,
        retryAfterSeconds: 5,
        cause: error,
      });
    }
    deadline.clear();
    if (response.status === 429) options.onRateLimited?.(parseRetryAfter(response.headers.get("retry-after")));

    // A 429 means ML refused before doing anything, so even a write is safe to repeat.
    const retryable = response.status === 429 ? request.retryRateLimited !== false : request.retryUnsafe && isTransient(response.status);
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
  const base = { endpoint, mlStatus: status, mlError: error };
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    return new MlApiError("rate_limited", `MercadoLibre rate-limited ${endpoint}${detail}`, {
      ...base,
      retryable: true,
      retryAfterSeconds: retryAfterMs === undefined ? 10 : Math.ceil(retryAfterMs / 1000),
    });
  }
  // ML's 409 is optimistic locking: the same write succeeds once the other one lands.
  const retryable = status >= 500 || status === 409;
  return new MlApiError(upstreamErrorCode(status), `MercadoLibre answered ${status} to ${endpoint}${detail}`, { ...base, retryable });
}

/** Token endpoint failures: invalid_grant is final for the grant; invalid_client is our configuration. */
export function classifyOAuthFailure(response: MlRawResponse, endpoint: string): MlOAuthError {
  const { error, message } = mlErrorFields(response.data);
  const { code, ...retry } = tokenEndpointFailure(response.status);
  return new MlOAuthError(code, `MercadoLibre token endpoint refused the request (${error ?? response.status})${message ? `: ${message.slice(0, 200)}` : ""}`, {
    endpoint,
    mlStatus: response.status,
    mlError: error,
    ...retry,
  });
}
