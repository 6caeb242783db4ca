import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { checkHealth } from "../../../../core/health";
import { errorFields } from "../../../../core/log";
import { jsonResponse } from "../../lib/openapi";
import { createRouter } from "../../lib/router";

const Check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.enum(["timeout", "unreachable"]).optional() });
const Health = z.object({ status: z.enum(["ok", "unavailable"]), checks: z.object({ database: Check, redis: Check }) }).openapi("Health");

export const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["system"],
  summary: "Database and Redis reachability, each with a timeout",
  responses: { 200: jsonResponse(Health, "All dependencies answer"), 503: jsonResponse(Health, "A dependency failed") },
});

export const healthRouter = createRouter().openapi(healthRoute, async (c) => {
  const { db, redis, config, logger } = c.get("services");
  const report = await checkHealth(
    { database: () => db.execute(sql`select 1`), redis: () => redis.ping() },
    { timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS, onFailure: (check, error) => logger.warn("health check failed", { check, ...errorFields(error) }) },
  );
  c.header("cache-control", "no-store");
  return report.status === "ok" ? c.json(report, 200) : c.json(report, 503);
});
