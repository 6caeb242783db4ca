import { sql } from "drizzle-orm";
import { Hono } from "hono";
import type { Redis } from "ioredis";
import { checkHealth } from "#core/health";
import { errorFields, type Logger } from "#core/log";
import type { NodeDb } from "#db/client-node";
import type { AppEnv } from "./types";

// Short enough that Docker's HEALTHCHECK and a load balancer get an answer well inside their own timeouts.
const checkTimeoutMs = 1_000;

/** Readiness of what every job needs: Postgres and Redis, probed in parallel. */
export function healthRoutes(deps: { db: NodeDb; redis: Redis; log: Logger }) {
  return new Hono<AppEnv>().get("/", async (c) => {
    const report = await checkHealth(
      {
        database: () => deps.db.execute(sql`select 1`),
        // The producer connection: with its offline queue off, PING fails at once while Redis is down.
        redis: () => deps.redis.ping(),
      },
      { timeoutMs: checkTimeoutMs, onFailure: (check, error) => deps.log.warn("health check failed", { check, ...errorFields(error) }) },
    );
    c.header("cache-control", "no-store");
    return c.json(report, report.status === "ok" ? 200 : 503);
  });
}
