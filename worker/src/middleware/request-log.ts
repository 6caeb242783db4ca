import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../lib/types";

/** One JSON line per request; the path without its query string, which may carry codes or emails. */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  await next();
  c.get("services").logger.info("request", {
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
  });
});
