import type { Logger } from "#core/log";
import type { MlConfig } from "./config";
import { MlApiError } from "./errors";
import { classifyMlFailure, mlTransport, type MlRawResponse, type MlTransportOptions } from "./transport";
import type { TokenManager } from "./tokens";

export type MlMethod = "GET" | "POST" | "PUT" | "DELETE";
export type MlQuery = Record<string, string | number | boolean | undefined>;

export interface MlRequestOptions {
  query?: MlQuery;
  /** Sent as JSON. */
  body?: unknown;
  /** Extra headers ML wants on some resources (e.g. `x-format-new: true` for shipments). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Return a 2xx body as bytes (a Uint8Array) instead of parsing it: labels. */
  binary?: boolean;
  /** False when the caller's call budget owns ML's 429s: see MlTransportRequest.retryRateLimited. */
  retryRateLimited?: boolean;
}

export interface MlResponse<T> {
  /** 2xx only; 206 means ML left fields out (orders' X-Content-Missing). */
  status: number;
  data: T;
  headers: Headers;
}

/** Calls for one account; every method throws MlApiError (or MlAccountUnavailableError) on failure. */
export interface MlAccountClient {
  readonly accountId: string;
  request<T = unknown>(method: MlMethod, path: string, options?: MlRequestOptions): Promise<MlResponse<T>>;
}

export interface MlClient {
  forAccount(accountId: string): MlAccountClient;
  request<T = unknown>(accountId: string, method: MlMethod, path: string, options?: MlRequestOptions): Promise<MlResponse<T>>;
}

export interface MlClientDeps {
  config: MlConfig;
  tokens: TokenManager;
  log: Logger;
  /** Transport overrides (tests shorten the backoff). */
  transport?: Partial<MlTransportOptions>;
}

/** "/orders/2000001234" → "/orders/{id}": a label for logs and errors that groups calls by endpoint. */
export function endpointLabel(method: string, path: string): string {
  const bare = path.split("?")[0] ?? path;
  return `${method} ${bare.replace(/\/(?:[A-Z]{3,4}\d+|\d+)(?=\/|$)/g, "/{id}")}`;
}

function buildUrl(apiUrl: string, path: string, query?: MlQuery): string {
  if (!path.startsWith("/")) throw new MlApiError("internal", "ML paths must start with '/'.", { endpoint: path, retryable: false });
  const url = new URL(path, apiUrl);
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
  return url.toString();
}

async function send(
  config: MlConfig,
  token: string,
  method: MlMethod,
  url: string,
  endpoint: string,
  options: MlRequestOptions,
  transport: Partial<MlTransportOptions> | undefined,
): Promise<MlRawResponse> {
  const headers: Record<string, string> = { ...options.headers, authorization: `Bearer ${token}` };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  return mlTransport(
    {
      method,
      url,
      headers,
      ...(body === undefined ? {} : { body }),
      retryUnsafe: method === "GET" || method === "PUT" || method === "DELETE",
      endpoint,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.binary ? { binary: true } : {}),
      ...(options.retryRateLimited === false ? { retryRateLimited: false } : {}),
    },
    { timeoutMs: options.timeoutMs ?? config.timeoutMs, maxAttempts: config.maxAttempts, ...transport },
  );
}

/**
 * The one MercadoLibre client. Tokens come from the token manager; a 401 gets exactly one
 * refresh and one retry (a second 401 is an error, never a loop); transient failures are
 * retried by the transport with backoff and jitter.
 */
export function createMlClient(deps: MlClientDeps): MlClient {
  const { config, tokens, log } = deps;

  const request = async <T>(accountId: string, method: MlMethod, path: string, options: MlRequestOptions = {}): Promise<MlResponse<T>> => {
    const url = buildUrl(config.apiUrl, path, options.query);
    const endpoint = endpointLabel(method, path);
    const first = await tokens.getAccessToken(accountId);
    let response = await send(config, first.token, method, url, endpoint, options, deps.transport);
    if (response.status === 401) {
      log.info("ml answered 401; refreshing once", { accountId, endpoint });
      const second = await tokens.getAccessToken(accountId, { rejectedToken: first.token });
      response = await send(config, second.token, method, url, endpoint, options, deps.transport);
      if (response.status === 401) {
        throw new MlApiError("bad_gateway", `MercadoLibre rejected a freshly refreshed token for ${endpoint}.`, {
          endpoint,
          mlStatus: 401,
          retryable: false,
        });
      }
    }
    if (response.status >= 200 && response.status < 300) {
      await tokens.recordApiCall(accountId);
      return { status: response.status, data: response.data as T, headers: response.headers };
    }
    const error = classifyMlFailure(response, endpoint);
    log.warn("ml call failed", { accountId, endpoint, mlStatus: response.status, mlError: error.mlError, attempts: response.attempts, retryable: error.retryable });
    throw error;
  };

  const forAccount = (accountId: string): MlAccountClient => ({
    accountId,
    request: (method, path, options) => request(accountId, method, path, options),
  });

  return {
    forAccount,
    request,
  };
}

/** The token owner's profile, before an account row exists (the connect flow). */
export interface MlUserMe {
  id: number;
  nickname: string;
  site_id: string;
  [key: string]: unknown;
}

export async function fetchMlUserMe(config: MlConfig, accessToken: string): Promise<MlUserMe> {
  const endpoint = "GET /users/me";
  const response = await send(config, accessToken, "GET", buildUrl(config.apiUrl, "/users/me"), endpoint, {}, undefined);
  if (response.status !== 200) throw classifyMlFailure(response, endpoint);
  const body = response.data as Partial<MlUserMe> | null;
  if (!body || !Number.isSafeInteger(body.id) || typeof body.nickname !== "string" || typeof body.site_id !== "string") {
    throw new MlApiError("bad_gateway", "MercadoLibre's /users/me returned an unexpected body.", { endpoint, mlStatus: 200, retryable: false });
  }
  return body as MlUserMe;
}
