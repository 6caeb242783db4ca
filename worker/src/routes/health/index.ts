import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { checkHealth, type HealthReport } from "#core/health";
import { errorFields } from "#core/log";
import type { Config } from "../../env";
import { errorResponses, jsonResponse } from "../../lib/openapi";
import { createRouter } from "../../lib/router";

const Check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.enum(["timeout", "unreachable"]).optional() });
const Health = z
  .object({
    status: z.enum(["ok", "unavailable"]),
    checks: z.object({ database: Check, redis: Check, qstash: Check.optional(), jobs: Check.optional() }),
  })
  .openapi("Health");
const HealthQuery = z.object({
  deep: z.enum(["1"]).optional().openapi({ description: "`1` also checks QStash (reachable with this Worker's token) and the jobs container's own /health" }),
});

export const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["system"],
  summary: "Database and Redis reachability, each with a timeout; with deep=1 also QStash and the jobs container",
  request: { query: HealthQuery },
  responses: { 200: jsonResponse(Health, "All dependencies answer"), 503: jsonResponse(Health, "A dependency failed; `checks` says which"), 400: errorResponses[400] },
});

type DeepCheck = "qstash" | "jobs";

/**
 * Any authenticated QStash call proves the service is up and the token valid; listing the signing
 * keys is the cheapest one QStash and the local stand-in both serve. The answer is discarded.
 */
async function probeQstash(config: Config): Promise<void> {
  if (!config.QSTASH_TOKEN) throw new Error("QSTASH_TOKEN is not set");
  const response = await fetch(`${config.QSTASH_URL.replace(/\/+$/, "")}/v2/keys`, { headers: { authorization: `Bearer ${config.QSTASH_TOKEN}` } });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`QStash answered ${response.status}`);
}

/** The container's public /health (its Postgres and Redis), at the URL QStash delivers to. */
async function probeJobs(config: Config): Promise<void> {
  if (!config.JOBS_PUBLIC_URL) throw new Error("JOBS_PUBLIC_URL is not set");
  const response = await fetch(`${config.JOBS_PUBLIC_URL.replace(/\/+$/, "")}/health`);
  await response.body?.cancel();
  if (!response.ok) throw new Error(`the jobs container answered ${response.status}`);
}

/**
 * /health is unauthenticated, and a deep probe spends a QStash API call and a request to the
 * container: an isolate runs them at most once per window and answers callers in between from
 * it, so a flood of deep checks cannot use up QStash's request limits. Keyed by the parsed
 * configuration, which is one object per set of bindings.
 */
const deepWindowMs = 10_000;
const deepProbes = new WeakMap<Config, { at: number; report: Promise<HealthReport<DeepCheck>> }>();

function deepReport(config: Config, onFailure: (check: string, error: unknown) => void): Promise<HealthReport<DeepCheck>> {
  const last = deepProbes.get(config);
  if (last && Date.now() - last.at < deepWindowMs) return last.report;
  const report = checkHealth<DeepCheck>({ qstash: () => probeQstash(config), jobs: () => probeJobs(config) }, { timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS, onFailure });
  deepProbes.set(config, { at: Date.now(), report });
  return report;
}

export const healthRouter = createRouter().openapi(healthRoute, async (c) => {
  const { db, redis, config, logger } = c.get("services");
  const onFailure = (check: string, error: unknown) => logger.warn("health check failed", { check, ...errorFields(error) });
  const deep = c.req.valid("query").deep === "1";
  const [own, outer] = await Promise.all([
    checkHealth({ database: () => db.execute(sql`select 1`), redis: () => redis.ping() }, { timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS, onFailure }),
    deep ? deepReport(config, onFailure) : undefined,
  ]);
  const report = outer ? { status: own.status === "ok" && outer.status === "ok" ? ("ok" as const) : ("unavailable" as const), checks: { ...own.checks, ...outer.checks } } : own;
  c.header("cache-control", "no-store");
  return report.status === "ok" ? c.json(report, 200) : c.json(report, 503);
});
