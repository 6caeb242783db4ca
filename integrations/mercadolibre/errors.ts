import { AppError, type ErrorCode } from "#core/errors";
import { AccountUnavailableError } from "#core/http/errors";

/**
 * A failed call to MercadoLibre, already classified: `retryable` says whether the same call
 * can succeed later (429, 5xx, timeouts) or never will (4xx). Messages name the method and
 * path only: tokens travel in headers and bodies, which are never copied here.
 */
export class MlApiError extends AppError {
  readonly mlStatus: number | undefined;
  /** ML's `error` field ("not_found", "invalid_grant", "local_rate_limited"...), when it sent one. */
  readonly mlError: string | undefined;
  readonly endpoint: string;

  constructor(
    code: ErrorCode,
    message: string,
    details: { endpoint: string; mlStatus?: number | undefined; mlError?: string | undefined; retryable: boolean; retryAfterSeconds?: number | undefined; cause?: unknown },
  ) {
    super(code, message, {
      retryable: details.retryable,
      ...(details.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: details.retryAfterSeconds }),
      ...(details.cause === undefined ? {} : { cause: details.cause }),
    });
    this.name = "MlApiError";
    this.mlStatus = details.mlStatus;
    this.mlError = details.mlError;
    this.endpoint = details.endpoint;
  }
}

/** The token endpoint said no: `invalid_grant` means the grant is gone and only the seller can fix it. */
export class MlOAuthError extends MlApiError {
  get isInvalidGrant(): boolean {
    return this.mlError === "invalid_grant";
  }
}

/** The account cannot call ML until its seller reconnects (or it was disconnected). */
export class MlAccountUnavailableError extends AccountUnavailableError {
  constructor(accountId: string, status: string) {
    super("MercadoLibre account", accountId, status);
    this.name = "MlAccountUnavailableError";
  }
}

export function isMlInvalidGrant(error: unknown): error is MlOAuthError {
  return error instanceof MlOAuthError && error.isInvalidGrant;
}
