import { AppError, type ErrorCode, type FieldError } from "#core/errors";
import { AccountUnavailableError, upstreamErrorCode } from "#core/http/errors";

/** Tiny's ErrorDTO (spec `ErrorDTO` / `ErrorDetailDTO`); `detalhes` is often absent. */
export interface TinyErrorBody {
  mensagem?: string;
  detalhes?: Array<{ campo?: string; mensagem?: string }> | null;
}

/**
 * A failed call to Tiny, already classified. `retryable` says whether the same call can
 * succeed later (429, 5xx, timeouts) or never will (4xx). The message carries Tiny's own
 * `mensagem` (safe: it describes the request, never the token) and the endpoint label.
 */
export class TinyApiError extends AppError {
  readonly tinyStatus: number | undefined;
  readonly endpoint: string;
  /** Tiny's `detalhes`, each `campo` prefixed with "tiny." so it never reads as one of our own request fields. */
  readonly tinyDetails: FieldError[];
  /** X-Request-Id of the failed response: Tiny support asks for it. */
  readonly tinyRequestId: string | undefined;
  /** A 2xx body our model refused: the redacted excerpt around the first offending field (core/parse-failure.ts), for logs. */
  readonly bodySample: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    details: {
      endpoint: string;
      tinyStatus?: number | undefined;
      retryable: boolean;
      retryAfterSeconds?: number | undefined;
      tinyDetails?: FieldError[];
      tinyRequestId?: string | undefined;
      bodySample?: string | undefined;
      cause?: unknown;
    },
  ) {
    super(code, message, {
      retryable: details.retryable,
      ...(details.tinyDetails?.length ? { fields: details.tinyDetails } : {}),
      ...(details.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: details.retryAfterSeconds }),
      ...(details.cause === undefined ? {} : { cause: details.cause }),
    });
    this.name = "TinyApiError";
    this.tinyStatus = details.tinyStatus;
    this.endpoint = details.endpoint;
    this.tinyDetails = details.tinyDetails ?? [];
    this.tinyRequestId = details.tinyRequestId;
    this.bodySample = details.bodySample;
  }
}

/** The token endpoint refused: `invalid_grant` means the grant is gone and only the user can fix it. */
export class TinyOAuthError extends TinyApiError {
  readonly oauthError: string | undefined;

  constructor(code: ErrorCode, message: string, details: ConstructorParameters<typeof TinyApiError>[2] & { oauthError?: string | undefined }) {
    super(code, message, details);
    this.name = "TinyOAuthError";
    this.oauthError = details.oauthError;
  }

  get isInvalidGrant(): boolean {
    return this.oauthError === "invalid_grant";
  }
}

export function isTinyInvalidGrant(error: unknown): error is TinyOAuthError {
  return error instanceof TinyOAuthError && error.isInvalidGrant;
}

/** The account cannot call Tiny until its user reconnects it (or it was disconnected). */
export class TinyAccountUnavailableError extends AccountUnavailableError {
  constructor(accountId: string, status: string) {
    super("Tiny ERP account", accountId, status);
    this.name = "TinyAccountUnavailableError";
  }
}

export function tinyErrorBody(data: unknown): TinyErrorBody {
  if (!data || typeof data !== "object" || Array.isArray(data)) return {};
  const body = data as Record<string, unknown>;
  const detalhes = Array.isArray(body.detalhes) ? body.detalhes.filter((d): d is { campo?: string; mensagem?: string } => !!d && typeof d === "object") : null;
  return { ...(typeof body.mensagem === "string" ? { mensagem: body.mensagem } : {}), detalhes };
}

/** Seconds Tiny says to wait: only `X-RateLimit-Reset` (seconds, not an epoch) — a 429 has no Retry-After. */
export function rateLimitResetSeconds(headers: Headers): number | undefined {
  const raw = headers.get("x-ratelimit-reset");
  if (raw === null || !/^\d+(\.\d+)?$/.test(raw.trim())) return undefined;
  return Number(raw);
}

/** Status → error model. Only 429 and 5xx may succeed if repeated; Tiny's 409 (duplicate) never will. */
export function classifyTinyFailure(input: { status: number; data: unknown; headers: Headers; endpoint: string }): TinyApiError {
  const { status, endpoint } = input;
  const body = tinyErrorBody(input.data);
  const detail = body.mensagem ? `: ${body.mensagem.slice(0, 300)}` : "";
  const tinyDetails: FieldError[] = (body.detalhes ?? []).map((d) => ({
    path: `tiny.${d.campo ?? ""}`.replace(/\.$/, ""),
    message: (d.mensagem ?? "").slice(0, 300),
    code: "tiny_validation",
  }));
  const base = { endpoint, tinyStatus: status, tinyDetails, tinyRequestId: input.headers.get("x-request-id") ?? undefined };
  if (status === 429) {
    return new TinyApiError("rate_limited", `Tiny's request quota for this account is used up (${endpoint}); retry after the window resets.`, {
      ...base,
      retryable: true,
      retryAfterSeconds: Math.max(1, rateLimitResetSeconds(input.headers) ?? 60),
    });
  }
  const code = upstreamErrorCode(status);
  if (status >= 500) {
    return new TinyApiError(code, `Tiny failed with ${status} on ${endpoint}${detail}`, { ...base, retryable: true, retryAfterSeconds: 5 });
  }
  let message = `Tiny answered ${status} to ${endpoint}${detail}`;
  if (status === 404) {
    message = `Tiny has no such record (${endpoint})${detail}`;
  } else if (status === 409) {
    message = `Tiny reports a duplicate on ${endpoint}${detail}`;
  } else if (status === 400 || status === 422) {
    message = `Tiny rejected ${endpoint}${detail}`;
  } else if (status === 401) {
    message = `Tiny refused the account's access token on ${endpoint}; the connection may need to be renewed.`;
  } else if (status === 403) {
    message = `Tiny denied ${endpoint}: the app lacks the permission or the account's plan does not include this module${detail}`;
  }
  return new TinyApiError(code, message, { ...base, retryable: false });
}
