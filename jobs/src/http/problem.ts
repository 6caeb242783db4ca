import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError, errorCodes, toProblem, type ErrorCode } from "../../../core/errors";
import type { AppEnv } from "./types";

const codeByStatus = new Map<number, ErrorCode>(
  (Object.entries(errorCodes) as [ErrorCode, number][]).reverse().map(([code, status]) => [status, code]),
);

/** Hono's own HTTPExceptions keep their status; anything unknown is an internal error. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof HTTPException) {
    const code = codeByStatus.get(error.status) ?? (error.status >= 500 ? "internal" : "bad_request");
    return new AppError(code, error.message || "Request failed.", { cause: error });
  }
  return new AppError("internal", "An unexpected error occurred.", { cause: error });
}

export function problemResponse(c: Context<AppEnv>, error: unknown, headers: Record<string, string> = {}): Response {
  const appError = toAppError(error);
  const problem = toProblem(appError, c.get("requestId"));
  return c.body(JSON.stringify(problem), appError.status as 400, {
    "content-type": "application/problem+json",
    ...(appError.retryAfterSeconds === undefined ? {} : { "retry-after": String(appError.retryAfterSeconds) }),
    ...headers,
  });
}
