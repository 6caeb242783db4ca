import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, toProblem, type ErrorCode } from "../../../core/errors";

const statusCodes: Partial<Record<number, ErrorCode>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

/** Hono's own exceptions (malformed JSON, body limit) become AppErrors so every error has one shape. */
export function asAppError(error: unknown): unknown {
  if (error instanceof HTTPException) {
    const code = statusCodes[error.status];
    if (code) return new AppError(code, error.message || "Bad request");
  }
  return error;
}

export function problemResponse(c: Context, error: unknown): Response {
  const appError = asAppError(error);
  const problem = toProblem(appError, c.get("requestId"));
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (appError instanceof AppError && appError.retryAfterSeconds !== undefined) {
    headers["retry-after"] = String(Math.max(1, Math.ceil(appError.retryAfterSeconds)));
  }
  if (problem.status === 401) headers["www-authenticate"] = 'Bearer realm="autoecom"';
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, headers);
}
