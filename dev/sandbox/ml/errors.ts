import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

// ML error bodies come in a few distinct shapes (generic, OAuth, 403, validation); clients parse
// them, so the sandbox must return the same shape per endpoint rather than one house style.

export function mlError(c: Context, status: ContentfulStatusCode, error: string, message: string, cause: unknown[] = []): Response {
  return c.json({ message, error, status, cause }, status);
}

export function oauthError(c: Context, status: ContentfulStatusCode, error: string, description: string): Response {
  return c.json({ error_description: description, error, status, cause: [] }, status);
}

export const INVALID_GRANT_DESCRIPTION = "Error validating grant. Your authorization code or refresh token may be expired or it was already used";

export function forbidden(c: Context): Response {
  return c.json({ status: 403, error: "access_denied", message: "access to the requested resource is forbidden", code: "FORBIDDEN" }, 403);
}

export function notFound(c: Context, message: string, error = "not_found"): Response {
  return mlError(c, 404, error, message);
}

export function badRequest(c: Context, message: string, error = "bad_request"): Response {
  return mlError(c, 400, error, message);
}

export interface ValidationCause {
  code: string;
  message: string;
  references?: string[];
  type?: "error" | "warning";
}

export function validationError(c: Context, causes: ValidationCause[]): Response {
  return c.json(
    {
      message: "Validation error",
      error: "validation_error",
      status: 400,
      cause: causes.map((x, i) => ({
        department: "items",
        cause_id: 300 + i,
        type: x.type ?? "error",
        code: x.code,
        references: x.references ?? [],
        message: x.message,
      })),
    },
    400,
  );
}
