import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../lib/types";

// A Tiny webhook URL's last segment is the account's credential (docs/tiny-webhooks.md).
const loggablePath = (path: string) => path.replace(/^\/webhooks\/tinyerp\/[^/]+/, "/webhooks/tinyerp/{secret}");

/**
 * ML posts every notification to this route, and a log line per acknowledged one cost the ack more CPU
 * than the whole handler (docs/benchmarks.md, webhook edge). Each accepted notification is already
 * recorded by QStash and by its `webhook_events` row, so a 2xx here is logged at debug; refusals and
 * failures still log at info, and drops log their reason.
 */
const quietWhenOk = "/webhooks/ml";

/** One JSON line per request; the path without its query string, which may carry codes or emails. */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  await next();
  const status = c.res.status;
  const logger = c.get("services").logger;
  const log = status < 300 && c.req.path === quietWhenOk ? logger.debug : logger.info;
  log("request", { method: c.req.method, path: loggablePath(c.req.path), status, durationMs: Math.round((performance.now() - started) * 10) / 10 });
});
