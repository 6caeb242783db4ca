import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../lib/types";

// A Tiny webhook URL's last segment is the account's credential (docs/tiny-webhooks.md).
const loggablePath = (path: string) => path.replace(/^\/webhooks\/tinyerp\/[^/]+/, "/webhooks/tinyerp/{secret}");

/** One JSON line per request; the path without its query string, which may carry codes or emails. */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  await next();
  c.get("services").logger.info("request", {
    method: c.req.method,
    path: loggablePath(c.req.path),
    status: c.res.status,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
  });
});
