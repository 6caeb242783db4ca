import { randomBytes } from "node:crypto";
import { localSecrets } from "#core/unsafe-config";
import { qstashHoldFromEnv } from "../qstash/env";
import { freePort } from "./ports";

/** Everything the local stack needs to know; every field has a safe local default. */
export interface StackConfig {
  host: string;
  databaseUrl: string;
  redisUrl: string;
  redisKeyPrefix: string;
  ports: {
    worker: number;
    jobs: number;
    /** The jobs container's admin listener: Bull Board and /metrics. */
    jobsAdmin: number;
    qstash: number;
    redisRest: number;
    neonHttp: number;
    neonWs: number;
    mlSandbox: number;
    tinySandbox: number;
  };
  redisRestToken: string;
  qstashToken: string;
  qstashCurrentSigningKey: string;
  qstashNextSigningKey: string;
  /** Real QStash backs off for minutes to hours; locally the same curve is scaled down. */
  qstashBackoffScale: number;
  /** QSTASH_LOCAL_HOLD: the local QStash stores messages but delivers none until `POST /v2/local/release`. */
  qstashHold: boolean;
  jwtSecret: string;
  adminUsername: string;
  adminPassword: string;
  metricsToken: string;
  sandbox: { seed: number; listings: number; orders: number; products: number; databaseUrl?: string | undefined };
}

type Env = Record<string, string | undefined>;

const num = (env: Env, name: string, fallback: number) => {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
};
const str = (env: Env, name: string, fallback: string) => (env[name] ? env[name]! : fallback);

export const QSTASH_DEV_TOKEN = localSecrets.qstashToken;

export function stackConfigFromEnv(env: Env = process.env): StackConfig {
  return {
    host: "127.0.0.1",
    databaseUrl: str(env, "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/autoecom"),
    redisUrl: str(env, "REDIS_URL", "redis://127.0.0.1:6379"),
    redisKeyPrefix: str(env, "REDIS_KEY_PREFIX", "autoecom"),
    ports: {
      worker: num(env, "WORKER_PORT", 8787),
      jobs: num(env, "JOBS_PORT", 8788),
      jobsAdmin: num(env, "JOBS_ADMIN_PORT", 8789),
      qstash: num(env, "QSTASH_PORT", 8080),
      redisRest: num(env, "REDIS_REST_PORT", 8079),
      neonHttp: num(env, "NEON_HTTP_PORT", 4444),
      neonWs: num(env, "NEON_WS_PORT", 5488),
      mlSandbox: num(env, "ML_SANDBOX_PORT", 8791),
      tinySandbox: num(env, "TINY_SANDBOX_PORT", 8792),
    },
    redisRestToken: str(env, "UPSTASH_REDIS_REST_TOKEN", localSecrets.redisRestToken),
    qstashToken: str(env, "QSTASH_TOKEN", QSTASH_DEV_TOKEN),
    qstashCurrentSigningKey: str(env, "QSTASH_CURRENT_SIGNING_KEY", localSecrets.qstashSigningKeys.current),
    qstashNextSigningKey: str(env, "QSTASH_NEXT_SIGNING_KEY", localSecrets.qstashSigningKeys.next),
    qstashBackoffScale: Number(str(env, "QSTASH_LOCAL_BACKOFF_SCALE", "0.001")),
    qstashHold: qstashHoldFromEnv(env),
    jwtSecret: str(env, "JWT_SECRET", localSecrets.jwtSecret),
    adminUsername: str(env, "ADMIN_USERNAME", "admin"),
    adminPassword: str(env, "ADMIN_PASSWORD", "admin"),
    metricsToken: str(env, "METRICS_TOKEN", localSecrets.jobsMetricsToken),
    sandbox: {
      seed: num(env, "SANDBOX_SEED", 42),
      listings: num(env, "SANDBOX_LISTINGS", 200),
      orders: num(env, "SANDBOX_ORDERS", 50),
      products: num(env, "SANDBOX_PRODUCTS", 200),
      databaseUrl: env.SANDBOX_DATABASE_URL || undefined,
    },
  };
}

/**
 * A stack that shares nothing with a running dev stack or another test run: its own ports,
 * its own database and its own Redis key prefix.
 */
export async function isolatedStackConfig(base: StackConfig = stackConfigFromEnv({})): Promise<StackConfig & { runId: string }> {
  const runId = randomBytes(4).toString("hex");
  const url = new URL(base.databaseUrl);
  url.pathname = `/autoecom_test_${runId}`;
  const ports = { ...base.ports };
  for (const name of Object.keys(ports) as (keyof StackConfig["ports"])[]) ports[name] = await freePort();
  return { ...base, runId, databaseUrl: url.toString(), redisKeyPrefix: `test-${runId}`, ports };
}
