import { z } from "zod";
import type { LogLevel } from "../../core/log";

/**
 * The jobs container's configuration: the only module that reads process.env.
 * Everything else receives a parsed JobsEnv, so tests and the dev orchestrator can start
 * the container in-process with their own values.
 */

/** The local QStash keys (the SDK's dev-server constants); public, so never valid in production. */
export const localQstashSigningKeys = {
  current: "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r",
  next: "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs",
} as const;

export const localAdminPassword = "autoecom-local-admin";

const urlWithProtocol = (protocols: string[]) =>
  z.url({ protocol: new RegExp(`^(${protocols.join("|")})$`), error: `must be a ${protocols.join(" or ")} URL` });

const integer = (min: number, max: number) =>
  z.coerce.number({ error: `must be an integer from ${min} to ${max}` }).int().min(min).max(max);

const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  DATABASE_URL: urlWithProtocol(["postgres", "postgresql"]).default("postgres://postgres@127.0.0.1:5432/autoecom"),
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
  QSTASH_CURRENT_SIGNING_KEY: z.string().min(1).default(localQstashSigningKeys.current),
  QSTASH_NEXT_SIGNING_KEY: z.string().min(1).default(localQstashSigningKeys.next),
  ADMIN_USERNAME: z.string().min(1).default("admin"),
  ADMIN_PASSWORD: z.string().min(1).default(localAdminPassword),
  SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).default(25_000),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

type Problem = { variable: string; message: string };

/**
 * Defaults that are fine on a laptop are a hole on a public host. Checked on the raw
 * values, so these are reported together with any other invalid variable.
 */
function productionProblems(raw: Record<string, string>): Problem[] {
  if (raw.NODE_ENV !== "production") return [];
  const problems: Problem[] = [];
  if (!raw.JOBS_PUBLIC_URL) problems.push({ variable: "JOBS_PUBLIC_URL", message: "required in production (the URL QStash delivers to)" });
  if ((raw.ADMIN_PASSWORD ?? localAdminPassword) === localAdminPassword) {
    problems.push({ variable: "ADMIN_PASSWORD", message: "the local default is not allowed in production" });
  }
  if ((raw.QSTASH_CURRENT_SIGNING_KEY ?? localQstashSigningKeys.current) === localQstashSigningKeys.current) {
    problems.push({ variable: "QSTASH_CURRENT_SIGNING_KEY", message: "the public local key is not allowed in production" });
  }
  if ((raw.QSTASH_NEXT_SIGNING_KEY ?? localQstashSigningKeys.next) === localQstashSigningKeys.next) {
    problems.push({ variable: "QSTASH_NEXT_SIGNING_KEY", message: "the public local key is not allowed in production" });
  }
  return problems;
}

export interface JobsEnv {
  nodeEnv: "development" | "test" | "production";
  databaseUrl: string;
  redisUrl: string;
  redisKeyPrefix: string;
  host: string;
  port: number;
  /** Base URL QStash delivers to, without a trailing slash; signatures are checked against it. */
  publicUrl: string;
  qstash: { currentSigningKey: string; nextSigningKey: string };
  admin: { username: string; password: string };
  shutdownTimeoutMs: number;
  logLevel: LogLevel;
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
  const cleaned = Object.fromEntries(
    Object.entries(record).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ""),
  );
  const result = schema.safeParse(cleaned);
  const problems = [
    ...(result.success ? [] : result.error.issues.map((issue) => ({ variable: String(issue.path[0]), message: issue.message }))),
    ...productionProblems(cleaned),
  ];
  if (!result.success || problems.length > 0) throw new EnvError(problems);
  const env = result.data;
  return {
    nodeEnv: env.NODE_ENV,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    host: env.JOBS_HOST,
    port: env.JOBS_PORT,
    publicUrl: (env.JOBS_PUBLIC_URL ?? `http://127.0.0.1:${env.JOBS_PORT}`).replace(/\/+$/, ""),
    qstash: { currentSigningKey: env.QSTASH_CURRENT_SIGNING_KEY, nextSigningKey: env.QSTASH_NEXT_SIGNING_KEY },
    admin: { username: env.ADMIN_USERNAME, password: env.ADMIN_PASSWORD },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    logLevel: env.LOG_LEVEL,
  };
}

export function loadJobsEnv(): JobsEnv {
  return parseJobsEnv(process.env);
}
