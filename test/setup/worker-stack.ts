import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { dropDatabase, ensureDatabase, migrateDatabase } from "../../db/migrate";
import { startNeonHttpServer, startNeonWsProxy } from "../../dev/neon";
import { startQStashServer } from "../../dev/qstash/server";
import { startRedisRestServer } from "../../dev/redis-rest";
import { startMlSandbox } from "../../dev/sandbox/ml";
import { deleteKeysWithPrefix } from "../../dev/stack/redis-keys";

declare module "vitest" {
  export interface ProvidedContext {
    workerBindings: Record<string, string>;
    /** Control endpoints of this run's stand-ins, for tests that inspect or steer them. */
    stackUrls: { qstash: string; mlSandbox: string };
  }
}

/**
 * The Worker's tests run inside workerd against real Postgres (through the Neon HTTP path)
 * and real Redis (through the Upstash REST server): this run's own database and key prefix.
 */
export default async function setup(project: TestProject) {
  const runId = randomBytes(4).toString("hex");
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const base = new URL(process.env.TEST_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
  base.pathname = `/autoecom_test_${runId}`;
  const databaseUrl = base.toString();
  const prefix = `test-${runId}`;
  const token = randomBytes(16).toString("hex");

  await ensureDatabase(databaseUrl);
  await migrateDatabase(databaseUrl);
  const neonHttp = await startNeonHttpServer({ port: 0 });
  const neonWs = await startNeonWsProxy({ port: 0 });
  const redisRest = await startRedisRestServer({ port: 0, token, redisUrl });
  const qstash = await startQStashServer({ port: 0 });
  const ml = await startMlSandbox({ port: 0, seed: 7, listings: 30, orders: 10 });
  project.provide("stackUrls", { qstash: qstash.url, mlSandbox: ml.url });

  project.provide("workerBindings", {
    APP_ENV: "test",
    LOG_LEVEL: "warn",
    DATABASE_URL: databaseUrl,
    NEON_HTTP_ENDPOINT: `${neonHttp.url}/sql`,
    NEON_WS_PROXY: `${neonWs.host}:${neonWs.port}/v2`,
    QSTASH_URL: qstash.url,
    QSTASH_TOKEN: qstash.token,
    ML_API_URL: ml.url,
    ML_AUTH_URL: ml.url,
    ML_APP_ID: ml.appId,
    ML_CLIENT_SECRET: ml.clientSecret,
    UPSTASH_REDIS_REST_URL: redisRest.url,
    UPSTASH_REDIS_REST_TOKEN: token,
    REDIS_KEY_PREFIX: prefix,
    JWT_SECRET: randomBytes(32).toString("hex"),
    LOGIN_RATE_LIMIT_PER_EMAIL: "3",
    LOGIN_RATE_LIMIT_PER_IP: "6",
    LOGIN_RATE_LIMIT_WINDOW_SECONDS: "600",
  });

  return async () => {
    await Promise.all([neonHttp.close(), neonWs.close(), redisRest.close(), qstash.close(), ml.close()]);
    await dropDatabase(databaseUrl);
    await deleteKeysWithPrefix(redisUrl, prefix);
  };
}
