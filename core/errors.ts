/**
 * The one error model of the product. Services throw AppError; the Worker and the jobs
 * HTTP server render it as RFC 9457 problem+json; job runners map `retryable: false`
 * to BullMQ's UnrecoverableError.
 */
export const errorCodes = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  // The deployment's configuration is unsafe or invalid: the operator's to fix, not the caller's.
  bad_environment: 500,
  bad_gateway: 502,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorCodes;

export interface FieldError {
  /** Where the problem is: "body.email", "query.limit", "params.id". */
  path: string;
  message: string;
  code?: string;
}

export interface AppErrorOptions {
  fields?: FieldError[];
  retryAfterSeconds?: number;
  /** False when repeating the same operation can never succeed. */
  retryable?: boolean;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly fields: FieldError[];
  readonly retryAfterSeconds: number | undefined;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.status = errorCodes[code];
    this.fields = options.fields ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.retryable = options.retryable ?? (this.status >= 500 || this.status === 429);
  }
}

const titles: Record<ErrorCode, string> = {
  bad_request: "Bad request",
  validation_failed: "Validation failed",
  unauthorized: "Unauthorized",
  forbidden: "Forbidden",
  not_found: "Not found",
  method_not_allowed: "Method not allowed",
  conflict: "Conflict",
  payload_too_large: "Payload too large",
  unsupported_media_type: "Unsupported media type",
  unprocessable: "Unprocessable content",
  rate_limited: "Too many requests",
  internal: "Internal server error",
  bad_environment: "Bad environment",
  bad_gateway: "Bad gateway",
  unavailable: "Service unavailable",
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId?: string;
  errors?: FieldError[];
}

/** Internal errors never expose their message: it may carry SQL, hosts or stack details. */
export function toProblem(error: unknown, requestId?: string): Problem {
  const known = error instanceof AppError ? error : new AppError("internal", "An unexpected error occurred.");
  const detail = known.code === "internal" ? "An unexpected error occurred." : known.message;
  return {
    type: `https://autoecom.dev/problems/${known.code.replaceAll("_", "-")}`,
    title: titles[known.code],
    status: known.status,
    detail,
    code: known.code,
    ...(requestId ? { requestId } : {}),
    ...(known.fields.length ? { errors: known.fields } : {}),
  };
}

/** Turns zod issues into field errors under a location prefix (body, query, params). */
export function fieldErrorsFromIssues(location: string, issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code?: string }>): FieldError[] {
  return issues.map((issue) => ({
    path: [location, ...issue.path.map(String)].join("."),
    message: issue.message,
    ...(issue.code ? { code: issue.code } : {}),
  }));
}
