import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, errorCodes, toProblem, type ErrorCode } from "../errors";

const codeByStatus = new Map<number, ErrorCode>((Object.entries(errorCodes) as [ErrorCode, number][]).reverse().map(([code, status]) => [status, code]));

const unexpected = "An unexpected error occurred.";

/**
 * Hono's own HTTPExceptions (malformed JSON, wrong media type) keep their status; anything unknown
 * is internal. A 5xx HTTPException keeps its status but not its message: it comes from code that is
 * not ours and may quote a query, a host or a token.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof HTTPException) {
    const code = codeByStatus.get(error.status) ?? (error.status >= 500 ? "internal" : "bad_request");
    // Hono's validators throw a 400 only for a body they cannot parse: the body is the field at fault.
    const fields = error.status === 400 ? [{ path: "body", message: "cannot be parsed", code: "invalid_json" }] : [];
    return new AppError(code, error.status >= 500 ? unexpected : error.message || "Request failed.", { cause: error, fields });
  }
  return new AppError("internal", unexpected, { cause: error });
}

/** Both HTTP servers (the Worker and the jobs container) answer errors through this one function. */
export function problemResponse(c: Context, error: unknown, headers: Record<string, string> = {}): Response {
  const appError = toAppError(error);
  const problem = toProblem(appError, c.get("requestId") as string | undefined);
  return c.body(JSON.stringify(problem), appError.status as ContentfulStatusCode, {
    "content-type": "application/problem+json",
    ...(appError.retryAfterSeconds === undefined ? {} : { "retry-after": String(Math.max(1, Math.ceil(appError.retryAfterSeconds))) }),
    ...headers,
  });
}
