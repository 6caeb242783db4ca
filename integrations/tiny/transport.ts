import type { z } from "zod";
import { readBody, withDeadline } from "#core/http/fetch";
import { backoffDelay, sleep as defaultSleep } from "#core/http/retry";
import type { Logger } from "#core/log";
import { describeParseFailure } from "#core/parse-failure";
import type { TinyConfig } from "./config";
import { TinyApiError, classifyTinyFailure } from "./errors";
import type { TinyCallKind, TinyQuota } from "./quota";

const BACKOFF_BASE_MS = 300;
const BACKOFF_CAP_MS = 8_000;

export type TinyMethod = "GET" | "POST" | "PUT" | "DELETE";
export type TinyQuery = Record<string, string | number | boolean | undefined>;

/** "/produtos/357281337" → "GET /produtos/{id}": groups calls by endpoint in logs and errors. */
export function tinyEndpoint(method: string, path: string): string {
  return `${method} ${(path.split("?")[0] ?? path).replace(/\/\d+(?=\/|$)/g, "/{id}")}`;
}

export interface TinyCallAuth {
  /** Secret; sent as the bearer, never logged. */
  accessToken: string;
  /** Tiny's quota belongs to the ERP company: the CNPJ names the shared budget. Undefined = unmetered (connect-time /info). */
  quotaKey: string | undefined;
}

export interface TinyTransportDeps {
  config: Pick<TinyConfig, "apiUrl" | "timeoutMs" | "maxAttempts">;
  quota: TinyQuota;
  log: Logger;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Overrides the quota wait for this runtime (jobs wait out a window, the Worker does not). */
  maxQuotaWaitMs?: number;
  backoffBaseMs?: number;
}

export interface TinyCall<S extends z.ZodType> {
  method: TinyMethod;
  path: string;
  query?: TinyQuery;
  body?: unknown;
  /** Parses a 2xx body; 204 bodies are not parsed. */
  schema?: S;
  signal?: AbortSignal;
  /** Overrides the runtime's quota wait for this call (a job that can come back later need not hold its worker). */
  maxQuotaWaitMs?: number;
}

export interface TinyAuthProvider {
  /** Current credentials for the call. */
  current(): Promise<TinyCallAuth>;
  /** Tiny answered 401 to `rejected`: a fresh token (refreshing unless someone already did), or throws. */
  renew(rejected: string): Promise<TinyCallAuth>;
}

function buildUrl(apiUrl: string, path: string, query?: TinyQuery): string {
  const url = new URL(`${apiUrl}${path}`);
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
  return url.toString();
}

/**
 * One Tiny call: quota slot first, then the request with a per-attempt timeout; a 401 renews
 * the token once; a 429 waits for the shared window (via the quota) and tries again; 5xx and
 * network failures are retried for reads only, because a write Tiny may have applied must not
 * be repeated blindly (POST /estoque is not idempotent). Everything else is classified.
 */
export async function tinyCall<S extends z.ZodType>(deps: TinyTransportDeps, auth: TinyAuthProvider, call: TinyCall<S>): Promise<{ status: number; data: z.output<S>; headers: Headers }> {
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? defaultSleep;
  const endpoint = tinyEndpoint(call.method, call.path);
  const kind: TinyCallKind = call.method === "GET" ? "read" : "write";
  const url = buildUrl(deps.config.apiUrl, call.path, call.query);
  const maxAttempts = Math.max(1, deps.config.maxAttempts);
  let credentials = await auth.current();
  let renewed = false;

  for (let attempt = 1; ; attempt++) {
    if (credentials.quotaKey) {
      const maxWaitMs = call.maxQuotaWaitMs ?? deps.maxQuotaWaitMs;
      await deps.quota.acquire(credentials.quotaKey, kind, { ...(maxWaitMs === undefined ? {} : { maxWaitMs }), ...(call.signal ? { signal: call.signal } : {}) });
    }
    const started = performance.now();
    let response: Response;
    let data: unknown;
    try {
      ({ response, data } = await withDeadline(
        async (signal) => {
          const res = await doFetch(url, {
            method: call.method,
            headers: {
              accept: "application/json",
              authorization: `Bearer ${credentials.accessToken}`,
              ...(call.body === undefined ? {} : { "content-type": "application/json" }),
            },
            ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
            signal,
          });
          return { response: res, data: await readBody(res) };
        },
        deps.config.timeoutMs,
        call.signal,
      ));
    } catch (error) {
      if (call.signal?.aborted) throw error;
      if (kind === "read" && attempt < maxAttempts) {
        await sleep(backoffDelay(attempt, deps.backoffBaseMs ?? BACKOFF_BASE_MS, BACKOFF_CAP_MS));
        continue;
      }
      throw new TinyApiError("unavailable", `Tiny did not answer ${endpoint} (${kind === "write" ? "the write may or may not have been applied" : "network failure or timeout"}).`, {
        endpoint,
        retryable: true,
        retryAfterSeconds: 5,
        cause: error,
      });
    }
    const durationMs = Math.round(performance.now() - started);
    if (credentials.quotaKey) await deps.quota.observe(credentials.quotaKey, kind, response.status, response.headers);
    deps.log.debug("tiny call", {
      endpoint,
      status: response.status,
      durationMs,
      attempt,
      tinyRequestId: response.headers.get("x-request-id") ?? undefined,
      rateRemaining: response.headers.get("x-ratelimit-remaining") ?? undefined,
    });

    if (response.status >= 200 && response.status < 300) {
      if (!call.schema || response.status === 204) return { status: response.status, data: data as z.output<S>, headers: response.headers };
      const parsed = call.schema.safeParse(data);
      if (!parsed.success) {
        const failure = describeParseFailure(parsed.error, data);
        deps.log.warn("tiny answered an unexpected body", { endpoint, paths: failure.paths, issues: failure.summary, sample: failure.sample });
        throw new TinyApiError("bad_gateway", `Tiny answered ${endpoint} with a body we cannot read (${failure.summary}).`, {
          endpoint,
          tinyStatus: response.status,
          retryable: false,
          bodySample: failure.sample,
        });
      }
      return { status: response.status, data: parsed.data, headers: response.headers };
    }
    if (response.status === 401 && !renewed) {
      renewed = true;
      credentials = await auth.renew(credentials.accessToken);
      attempt--;
      continue;
    }
    // Tiny refused a 429 before doing anything, so even a write is safe to repeat; the quota waits out the window.
    if (response.status === 429 && attempt < maxAttempts && credentials.quotaKey) continue;
    if (kind === "read" && response.status >= 500 && attempt < maxAttempts) {
      await sleep(backoffDelay(attempt, deps.backoffBaseMs ?? BACKOFF_BASE_MS, BACKOFF_CAP_MS));
      continue;
    }
    throw classifyTinyFailure({ status: response.status, data, headers: response.headers, endpoint });
  }
}
