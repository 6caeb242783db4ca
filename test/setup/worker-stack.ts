import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { dropDatabase, ensureDatabase, migrateDatabase } from "#db/migrate";
import { startNeonHttpServer, startNeonWsProxy } from "#dev/neon";
import { startQStashServer } from "#dev/qstash/server";
import { startRedisRestServer } from "#dev/redis-rest";
import { startMlSandbox } from "#dev/sandbox/ml";
import { startTinySandbox } from "#dev/sandbox/tiny";
import { startSpecGate } from "#dev/sandbox/tiny/contract/gate";
import { deleteKeysWithPrefix } from "#dev/stack/redis-keys";
import { startSentrySink } from "../support/sentry-sink";

declare module "vitest" {
  export interface ProvidedContext {
    workerBindings: Record<string, string>;
    /** Control endpoints of this run's stand-ins, for tests that inspect or steer them. */
    stackUrls: { qstash: string; mlSandbox: string; tinySandbox: string };
    /** This run's stand-in for Sentry's ingest (test/support/sentry-sink.ts); workerd cannot listen itself. */
    sentrySink: string;
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
  // Configured like the production app: one registered redirect URI and PKCE required.
  const ml = await startMlSandbox({ port: 0, seed: 7, listings: 30, orders: 10, redirectUris: ["http://api.test/ml/auth/callback"], requirePkce: true });
  // Quotas relaxed so the suite never trips them by accident; quota tests lower them through /_sandbox/quotas.
  const tiny = await startTinySandbox({
    port: 0,
    seed: 11,
    products: 40,
    redirectUris: ["http://api.test/tinyerp/auth/callback"],
    quotas: { readPerMinute: 10_000, writePerMinute: 10_000, burstPerSecond: null },
  });
  // Every Tiny API call the Worker makes goes through Prism with Tiny's published spec: a request
  // that breaks it fails the test that sent it (OAuth is Keycloak's, outside the spec: direct).
  const tinyGate = await startSpecGate(tiny.apiUrl);
  project.provide("stackUrls", { qstash: qstash.url, mlSandbox: ml.url, tinySandbox: tiny.url });
  const sentrySink = await startSentrySink();
  project.provide("sentrySink", sentrySink.url);

  project.provide("workerBindings", {
    APP_ENV: "test",
    LOG_LEVEL: "warn",
    DATABASE_URL: databaseUrl,
    NEON_HTTP_ENDPOINT: `${neonHttp.url}/sql`,
    NEON_WS_PROXY: `${neonWs.host}:${neonWs.port}/v2`,
    QSTASH_URL: qstash.url,
    QSTASH_TOKEN: qstash.token,
    // Nothing listens there: webhook tests assert what reached QStash (its event log), not delivery.
    JOBS_PUBLIC_URL: "http://127.0.0.1:9/jobs",
    ML_WEBHOOK_SECRET: "test-webhook-secret",
    ML_API_URL: ml.url,
    ML_AUTH_URL: ml.url,
    ML_APP_ID: ml.appId,
    ML_CLIENT_SECRET: ml.clientSecret,
    // The app's one registered redirect URI (the tests follow redirects by hand, so the host is never resolved).
    ML_REDIRECT_URI: "http://api.test/ml/auth/callback",
    ML_DASHBOARD_URL: "http://dashboard.test/settings/mercadolibre",
    // Two keys, the first current: tests seal under "k2" and can still open rows sealed under "k1".
    TOKEN_ENCRYPTION_KEYS: `k2:${randomBytes(32).toString("base64")},k1:${randomBytes(32).toString("base64")}`,
    TINY_API_URL: tinyGate.url,
    TINY_AUTH_URL: tiny.authUrl.replace(/\/auth$/, ""),
    TINY_CLIENT_ID: tiny.clientId,
    TINY_CLIENT_SECRET: tiny.clientSecret,
    TINY_REDIRECT_URI: "http://api.test/tinyerp/auth/callback",
    TINY_DASHBOARD_URL: "http://dashboard.test/settings/tiny",
    // Our own budget high too: the tests exercise Tiny's 429 and the shared-budget logic deliberately.
    TINY_QUOTA_READS_PER_MINUTE: "10000",
    TINY_QUOTA_WRITES_PER_MINUTE: "10000",
    TINY_QUOTA_BURST_PER_SECOND: "1000",
    UPSTASH_REDIS_REST_URL: redisRest.url,
    UPSTASH_REDIS_REST_TOKEN: token,
    REDIS_KEY_PREFIX: prefix,
    JWT_SECRET: randomBytes(32).toString("hex"),
    LOGIN_RATE_LIMIT_PER_EMAIL: "3",
    LOGIN_RATE_LIMIT_PER_IP: "6",
    LOGIN_RATE_LIMIT_PER_ACCOUNT: "8",
    LOGIN_RATE_LIMIT_WINDOW_SECONDS: "600",
  });

  return async () => {
    const findings = tinyGate.unexplained();
    console.info(JSON.stringify({ measurement: "worker tests' Tiny calls through Prism", calls: tinyGate.calls(), unexplained: findings.length }));
    await Promise.all([neonHttp.close(), neonWs.close(), redisRest.close(), qstash.close(), ml.close(), tiny.close(), tinyGate.close(), sentrySink.close()]);
    await dropDatabase(databaseUrl);
    await deleteKeysWithPrefix(redisUrl, prefix);
    // Response-side findings are the sandbox drifting from Tiny's spec: fail the run on them too.
    if (findings.length > 0) throw new Error(`Tiny calls broke Tiny's published spec (no known deviation explains them):\n${findings.join("\n")}`);
  };
}
