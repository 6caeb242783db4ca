import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import type { Logger, LogFields } from "#core/log";
import { dropDatabase, ensureDatabase, migrateDatabase } from "#db/migrate";
import { parseJobsEnv, type JobsEnv } from "../../src/env";

// Loopback like every local run (so the local QStash keys are allowed), and not where the test server listens.
export const publicUrl = "http://127.0.0.1:9/jobs-public";
export const adminCredentials = { username: "ops", password: "test-admin-password" };
export const metricsToken = "test-metrics-token";
const redisUrl = "redis://127.0.0.1:6379";

export interface TestResources {
  databaseUrl: string;
  prefix: string;
  env(overrides?: Record<string, string>): JobsEnv;
  cleanup(): Promise<void>;
}

/** A throwaway database and Redis key prefix per test file, removed afterwards. */
export async function createTestResources(): Promise<TestResources> {
  const suffix = randomBytes(5).toString("hex");
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/autoecom_t_${suffix}`;
  const prefix = `autoecom-t-${suffix}`;
  await ensureDatabase(databaseUrl);
  await migrateDatabase(databaseUrl);
  return {
    databaseUrl,
    prefix,
    env: (overrides = {}) =>
      parseJobsEnv({
        NODE_ENV: "test",
        DATABASE_URL: databaseUrl,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: prefix,
        JOBS_HOST: "127.0.0.1",
        JOBS_PORT: "0",
        JOBS_PUBLIC_URL: publicUrl,
        JOBS_ADMIN_PORT: "0",
        ADMIN_USERNAME: adminCredentials.username,
        ADMIN_PASSWORD: adminCredentials.password,
        METRICS_TOKEN: metricsToken,
        SHUTDOWN_TIMEOUT_MS: "10000",
        ...overrides,
      }),
    cleanup: async () => {
      await deleteKeys(prefix);
      await dropDatabase(databaseUrl);
    },
  };
}

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = "0";
    do {
      // Also matches per-test sub-prefixes such as `${prefix}-shutdown`.
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    await redis.quit();
  }
}

/** A port nothing listens on: bound once by us, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

export interface LogLine extends LogFields {
  level: string;
  msg: string;
}

/** A Logger that keeps lines in memory, so tests stay quiet and can assert on them. */
export function memoryLogger(lines: LogLine[] = [], base: LogFields = {}): Logger & { lines: LogLine[] } {
  const write = (level: string) => (msg: string, fields?: LogFields) => void lines.push({ level, msg, ...base, ...fields });
  return {
    lines,
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    child: (fields) => memoryLogger(lines, { ...base, ...fields }),
  };
}

export async function waitFor<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
