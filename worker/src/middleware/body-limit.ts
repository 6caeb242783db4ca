import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { AppError } from "#core/errors";
import type { AppEnv } from "../lib/types";

/** Bodies over MAX_BODY_BYTES (64 KiB by default) are refused with 413 before anything parses them. */
export const limitBody = createMiddleware<AppEnv>(async (c, next) => {
  const maxSize = c.get("services").config.MAX_BODY_BYTES;
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new AppError("payload_too_large", `The request body exceeds ${maxSize} bytes.`);
    },
  })(c, next);
});
