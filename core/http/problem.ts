import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, errorCodes, toProblem, type ErrorCode } from "../errors";

const codeByStatus = new Map<number, ErrorCode>(
  (Object.entries(errorCodes) as [ErrorCode, number][]).reverse().map(([code, status]) => [status, code]),
);

/** Hono's own HTTPExceptions (malformed JSON, wrong media type) keep their status; anything unknown is internal. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof HTTPException) {
    const code = codeByStatus.get(error.status) ?? (error.status >= 500 ? "internal" : "bad_request");
    return new AppError(code, error.message || "Request failed.", { cause: error });
  }
  return new AppError("internal", "An unexpected error occurred.", { cause: error });
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
