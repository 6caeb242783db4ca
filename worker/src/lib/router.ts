import { OpenAPIHono, z } from "@hono/zod-openapi";
import { AppError, fieldErrorsFromIssues } from "#core/errors";
import type { AppEnv } from "./types";

const locations: Record<string, string> = { json: "body", form: "body", query: "query", param: "params", header: "headers", cookie: "cookies" };

/**
 * Every router shares this hook, so a failed zod check anywhere becomes the same
 * 400 problem with field-level details, before the handler runs (nothing written, nothing enqueued).
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const location = locations[result.target] ?? result.target;
        throw new AppError("validation_failed", "The request is not valid; see errors for each field.", {
          fields: fieldErrorsFromIssues(location, result.error.issues),
        });
      }
    },
  });
}

export { z };
