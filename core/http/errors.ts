import { AppError, type ErrorCode } from "../errors";

/**
 * What a provider's HTTP status means in our error model. Whether a status is worth repeating
 * stays with each provider: ML's 409 is optimistic locking and succeeds later, Tiny's is a
 * duplicate and never will; so do the messages, which quote each provider's own error body.
 */
export function upstreamErrorCode(status: number): ErrorCode {
  if (status === 429) return "rate_limited";
  if (status >= 500) return status === 503 || status === 504 ? "unavailable" : "bad_gateway";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 400 || status === 422) return "bad_request";
  // 401/403 mean the provider refused the account's token or scope, not our caller's credentials: 502 keeps our own 401/403 meaning intact.
  return "bad_gateway";
}

/**
 * An OAuth token endpoint's refusal. Only 429 and 5xx may pass if repeated; anything else
 * (invalid_grant, invalid_client) is the grant or our configuration and never will.
 */
export function tokenEndpointFailure(status: number): { code: ErrorCode; retryable: boolean; retryAfterSeconds?: number } {
  const transient = status === 429 || status >= 500;
  return {
    code: status === 429 ? "rate_limited" : transient ? "unavailable" : "bad_gateway",
    retryable: transient,
    ...(transient ? { retryAfterSeconds: 10 } : {}),
  };
}

/**
 * A connected account that cannot call its provider until its user reconnects it (or it was
 * disconnected). A 409 that is never retried: waiting does not bring a revoked grant back.
 */
export class AccountUnavailableError extends AppError {
  readonly accountId: string;
  readonly accountStatus: string;

  /** `account` names it for the user: "MercadoLibre account", "Tiny ERP account". */
  constructor(account: string, accountId: string, status: string) {
    super(
      "conflict",
      status === "reauth_required"
        ? `The ${account} must be reconnected: its authorization was revoked or expired.`
        : status === "disconnected"
          ? `The ${account} is disconnected.`
          : `The ${account} is not available.`,
      { retryable: false },
    );
    this.name = "AccountUnavailableError";
    this.accountId = accountId;
    this.accountStatus = status;
  }
}
