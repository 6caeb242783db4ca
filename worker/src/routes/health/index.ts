import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { checkHealth } from "../../../../core/health";
import { jsonResponse } from "../../lib/openapi";
import { createRouter } from "../../lib/router";

const Check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });
const Health = z
  .object({ status: z.enum(["ok", "degraded"]), checks: z.object({ database: Check, redis: Check }) })
  .openapi("Health");

export const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["system"],
  summary: "Database and Redis reachability, each with a timeout",
  responses: { 200: jsonResponse(Health, "All dependencies answer"), 503: jsonResponse(Health, "A dependency failed") },
});

export const healthRouter = createRouter().openapi(healthRoute, async (c) => {
  const { db, redis, config } = c.get("services");
  const report = await checkHealth({ database: () => db.execute(sql`select 1`), redis: () => redis.ping() }, config.HEALTH_CHECK_TIMEOUT_MS);
  const body = { status: report.status, checks: { database: report.checks.database!, redis: report.checks.redis! } };
  return report.status === "ok" ? c.json(body, 200) : c.json(body, 503);
});
