import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../lib/types";

/** One JSON line per request; the path without its query string, which may carry codes or emails. */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  await next();
  const services = c.get("services");
  const fields = {
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
  };
  if (services) services.logger.info("request", fields);
  else console.log(JSON.stringify({ time: new Date().toISOString(), level: "info", msg: "request", requestId: c.get("requestId"), ...fields }));
});
