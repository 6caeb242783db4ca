import { z } from "zod";
import { includesPublishedTokenKey, isLoopbackHost, localSecrets } from "#core/unsafe-config";
import type { LogLevel } from "#core/log";

/**
 * The jobs container's configuration: the only module that reads process.env.
 * Everything else receives a parsed JobsEnv, so tests and the dev orchestrator can start
 * the container in-process with their own values.
 */

/** The local QStash keys (the SDK's dev-server constants); public, so never valid where the container is reachable. */
export const localQstashSigningKeys = localSecrets.qstashSigningKeys;

export const localAdminPassword = localSecrets.jobsAdminPassword;
export const localMetricsToken = localSecrets.jobsMetricsToken;
const minSecretLength = 16;

const urlWithProtocol = (protocols: string[]) => z.url({ protocol: new RegExp(`^(${protocols.join("|")})$`), error: `must be a ${protocols.join(" or ")} URL` });

const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: `must be an integer from ${min} to ${max}` })
    .int()
    .min(min)
    .max(max);

const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  DATABASE_URL: urlWithProtocol(["postgres", "postgresql"]).default("postgres://postgres@127.0.0.1:5432/autoecom"),
  // Jobs hold a connection per query, not per job (the ML call is outside any transaction), so the
  // pool follows Postgres's cores, not the worker concurrency; extra queries queue briefly in the pool.
  DATABASE_POOL_MAX: integer(2, 200).default(16),
  REDIS_URL: urlWithProtocol(["redis", "rediss"]).default("redis://127.0.0.1:6379"),
  // BullMQ's key prefix: one per stack or test run keeps their queues apart in one Redis.
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "letters, digits, '_', '.', '-' only (max 64)")
    .default("autoecom"),
  JOBS_HOST: z.string().min(1).default("127.0.0.1"),
  // 0 asks the OS for a free port (tests).
  JOBS_PORT: integer(0, 65_535).default(8788),
  JOBS_PUBLIC_URL: urlWithProtocol(["http", "https"]).optional(),
  // Bull Board and /metrics: a listener of their own, so the one QStash reaches serves neither.
  JOBS_ADMIN_HOST: z.string().min(1).default("127.0.0.1"),
  JOBS_ADMIN_PORT: integer(0, 65_535).default(8789),
  QSTASH_CURRENT_SIGNING_KEY: z.string().min(1).default(localQstashSigningKeys.current),
  QSTASH_NEXT_SIGNING_KEY: z.string().min(1).default(localQstashSigningKeys.next),
  ADMIN_USERNAME: z.string().min(1).default("admin"),
  ADMIN_PASSWORD: z.string().min(1).default(localAdminPassword),
  // Read-only: a Prometheus scraper holding it cannot retry or delete jobs in Bull Board.
  METRICS_TOKEN: z.string().min(1).default(localMetricsToken),
  SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).default(25_000),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  // MercadoLibre: without an app id and token keys the container runs, but ML jobs cannot call ML.
  ML_API_URL: urlWithProtocol(["http", "https"]).default("https://api.mercadolibre.com"),
  ML_APP_ID: z.string().regex(/^\d+$/, "must be ML's numeric application id").optional(),
  ML_CLIENT_SECRET: z.string().min(1).optional(),
  TOKEN_ENCRYPTION_KEYS: z.string().min(1).optional(),
  ML_ACCOUNT_CONCURRENCY: integer(1, 64).default(4),
  // ML limits calls per application, not per seller, and publishes no number; 5/s is the
  // max_requests_per_hour (18,000) its /applications examples show. The rate adapts to ML's 429s
  // between min and max (docs/webhooks.md, "ML call budget").
  ML_APP_RATE_PER_SECOND: integer(1, 100_000).default(5),
  ML_APP_RATE_MIN_PER_SECOND: integer(1, 100_000).default(1),
  ML_APP_RATE_MAX_PER_SECOND: integer(1, 100_000).default(1_000),
  // Tiny ERP (docs/tiny.md): without the client id/secret and token keys Tiny jobs fail permanently.
  TINY_API_URL: urlWithProtocol(["http", "https"]).default("https://api.tiny.com.br/public-api/v3"),
  TINY_AUTH_URL: urlWithProtocol(["http", "https"]).default("https://accounts.tiny.com.br/realms/tiny/protocol/openid-connect"),
  TINY_CLIENT_ID: z.string().min(1).optional(),
  TINY_CLIENT_SECRET: z.string().min(1).optional(),
  TINY_QUOTA_READS_PER_MINUTE: integer(1, 100_000).default(30),
  TINY_QUOTA_WRITES_PER_MINUTE: integer(1, 100_000).default(30),
  TINY_QUOTA_BURST_PER_SECOND: integer(1, 10_000).default(3),
  // Jobs wait out a quota window (Tiny's is one minute) rather than fail and retry.
  TINY_QUOTA_MAX_WAIT_MS: integer(0, 600_000).default(65_000),
  // Processed and skipped ML notifications older than this are deleted daily; failed ones stay.
  RETENTION_WEBHOOK_EVENTS_DAYS: integer(1, 3_650).default(90),
  // Sentry (docs/security.md, "Error reports"): final job failures and crashes; unset, the SDK is never loaded.
  SENTRY_DSN: urlWithProtocol(["http", "https"]).optional(),
});

type Problem = { variable: string; message: string };

function loopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    // An unparseable URL is reported by the schema; treat it as exposed so the secrets are checked too.
    return false;
  }
}

/**
 * Where anyone but this machine can reach the container, the published local keys and passwords
 * let them sign deliveries, open Bull Board or read sealed tokens. NODE_ENV is not trusted to
 * say so (`docker run --env-file` overrides the image's), so where the container listens and where
 * QStash reaches it decide. Checked on the raw values, so reported with any other invalid variable.
 */
function exposedProblems(raw: Record<string, string>): Problem[] {
  const production = raw.NODE_ENV === "production";
  const exposed = production || !loopbackUrl(raw.JOBS_PUBLIC_URL ?? "http://127.0.0.1") || !isLoopbackHost(raw.JOBS_HOST ?? "127.0.0.1") || !isLoopbackHost(raw.JOBS_ADMIN_HOST ?? "127.0.0.1");
  if (!exposed) return [];
  const where = production ? "in production" : "when the container is reachable beyond loopback";
  const problems: Problem[] = [];
  if (production && !raw.JOBS_PUBLIC_URL) problems.push({ variable: "JOBS_PUBLIC_URL", message: "required in production (the URL QStash delivers to)" });
  const adminPassword = raw.ADMIN_PASSWORD ?? localAdminPassword;
  if (adminPassword === localAdminPassword || adminPassword.length < minSecretLength) {
    problems.push({ variable: "ADMIN_PASSWORD", message: `must be at least ${minSecretLength} characters and not the local default ${where}` });
  }
  const metricsToken = raw.METRICS_TOKEN ?? localMetricsToken;
  if (metricsToken === localMetricsToken || metricsToken.length < minSecretLength || metricsToken === adminPassword) {
    problems.push({ variable: "METRICS_TOKEN", message: `must be at least ${minSecretLength} characters, not the local default and not ADMIN_PASSWORD ${where}` });
  }
  if ((raw.QSTASH_CURRENT_SIGNING_KEY ?? localQstashSigningKeys.current) === localQstashSigningKeys.current) {
    problems.push({ variable: "QSTASH_CURRENT_SIGNING_KEY", message: `the public local key is not allowed ${where}` });
  }
  if ((raw.QSTASH_NEXT_SIGNING_KEY ?? localQstashSigningKeys.next) === localQstashSigningKeys.next) {
    problems.push({ variable: "QSTASH_NEXT_SIGNING_KEY", message: `the public local key is not allowed ${where}` });
  }
  if (raw.TOKEN_ENCRYPTION_KEYS && includesPublishedTokenKey(raw.TOKEN_ENCRYPTION_KEYS)) {
    problems.push({ variable: "TOKEN_ENCRYPTION_KEYS", message: `the published example key is not allowed ${where}` });
  }
  return problems;
}

function rangeProblems(env: z.infer<typeof schema>): Problem[] {
  const { ML_APP_RATE_MIN_PER_SECOND: min, ML_APP_RATE_PER_SECOND: initial, ML_APP_RATE_MAX_PER_SECOND: max } = env;
  return min <= initial && initial <= max ? [] : [{ variable: "ML_APP_RATE_PER_SECOND", message: `must lie between ML_APP_RATE_MIN_PER_SECOND (${min}) and ML_APP_RATE_MAX_PER_SECOND (${max})` }];
}

export interface JobsEnv {
  nodeEnv: "development" | "test" | "production";
  databaseUrl: string;
  databasePoolMax: number;
  redisUrl: string;
  redisKeyPrefix: string;
  host: string;
  port: number;
  /** Bull Board and /metrics listen here, never on host:port. */
  admin: { host: string; port: number; username: string; password: string };
  /** Bearer token that opens /metrics only. */
  metricsToken: string;
  /** Base URL QStash delivers to, without a trailing slash; signatures are checked against it. */
  publicUrl: string;
  qstash: { currentSigningKey: string; nextSigningKey: string };
  shutdownTimeoutMs: number;
  logLevel: LogLevel;
  ml: {
    apiUrl: string;
    appId: string | null;
    clientSecret: string | null;
    tokenKeys: string | null;
    accountConcurrency: number;
    appRate: { initial: number; min: number; max: number };
  };
  tiny: {
    apiUrl: string;
    authUrl: string;
    clientId: string | null;
    clientSecret: string | null;
    quota: { readsPerMinute: number; writesPerMinute: number; burstPerSecond: number; maxWaitMs: number };
  };
  retention: { webhookEventsDays: number };
  /** Where error reports go; null sends none. */
  sentryDsn: string | null;
}

export class EnvError extends Error {
  readonly problems: ReadonlyArray<Problem>;

  constructor(problems: ReadonlyArray<Problem>) {
    // Names and reasons only: values may be secrets.
    super(`Invalid jobs configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join("\n")}`);
    this.name = "EnvError";
    this.problems = problems;
  }
}

export function parseJobsEnv(record: Readonly<Record<string, string | undefined>>): JobsEnv {
  // Docker env files and CI often set a variable to "" to mean "unset".
  const cleaned = Object.fromEntries(Object.entries(record).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ""));
  const result = schema.safeParse(cleaned);
  const problems = [
    ...(result.success ? [] : result.error.issues.map((issue) => ({ variable: String(issue.path[0]), message: issue.message }))),
    ...(result.success ? rangeProblems(result.data) : []),
    ...exposedProblems(cleaned),
  ];
  if (!result.success || problems.length > 0) throw new EnvError(problems);
  const env = result.data;
  return {
    nodeEnv: env.NODE_ENV,
    databaseUrl: env.DATABASE_URL,
    databasePoolMax: env.DATABASE_POOL_MAX,
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    host: env.JOBS_HOST,
    port: env.JOBS_PORT,
    publicUrl: (env.JOBS_PUBLIC_URL ?? `http://127.0.0.1:${env.JOBS_PORT}`).replace(/\/+$/, ""),
    qstash: { currentSigningKey: env.QSTASH_CURRENT_SIGNING_KEY, nextSigningKey: env.QSTASH_NEXT_SIGNING_KEY },
    admin: { host: env.JOBS_ADMIN_HOST, port: env.JOBS_ADMIN_PORT, username: env.ADMIN_USERNAME, password: env.ADMIN_PASSWORD },
    metricsToken: env.METRICS_TOKEN,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    logLevel: env.LOG_LEVEL,
    ml: {
      apiUrl: env.ML_API_URL.replace(/\/+$/, ""),
      appId: env.ML_APP_ID ?? null,
      clientSecret: env.ML_CLIENT_SECRET ?? null,
      tokenKeys: env.TOKEN_ENCRYPTION_KEYS ?? null,
      accountConcurrency: env.ML_ACCOUNT_CONCURRENCY,
      appRate: { initial: env.ML_APP_RATE_PER_SECOND, min: env.ML_APP_RATE_MIN_PER_SECOND, max: env.ML_APP_RATE_MAX_PER_SECOND },
    },
    tiny: {
      apiUrl: env.TINY_API_URL.replace(/\/+$/, ""),
      authUrl: env.TINY_AUTH_URL.replace(/\/+$/, ""),
      clientId: env.TINY_CLIENT_ID ?? null,
      clientSecret: env.TINY_CLIENT_SECRET ?? null,
      quota: {
        readsPerMinute: env.TINY_QUOTA_READS_PER_MINUTE,
        writesPerMinute: env.TINY_QUOTA_WRITES_PER_MINUTE,
        burstPerSecond: env.TINY_QUOTA_BURST_PER_SECOND,
        maxWaitMs: env.TINY_QUOTA_MAX_WAIT_MS,
      },
    },
    retention: { webhookEventsDays: env.RETENTION_WEBHOOK_EVENTS_DAYS },
    sentryDsn: env.SENTRY_DSN ?? null,
  };
}

export function loadJobsEnv(): JobsEnv {
  return parseJobsEnv(process.env);
}

/** Read by the deploy tooling (dev/deploy/): the variable table in docs/deploy.md and `npm run env:check`. */
export { schema as jobsEnvSchema };
