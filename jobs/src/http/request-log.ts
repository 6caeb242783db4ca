import type { MiddlewareHandler } from "hono";
import type { Logger } from "#core/log";
import type { AppEnv } from "./types";

/** One JSON line per request; no query strings, headers or bodies (they may carry secrets). */
export function requestLog(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const fields = {
      requestId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    };
    // Docker's HEALTHCHECK polls every few seconds; a healthy answer is not news.
    if (c.req.path === "/health" && c.res.status === 200) log.debug("request", fields);
    else log.info("request", fields);
  };
}
