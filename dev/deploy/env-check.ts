import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import pg from "pg";
import { unstable_readConfig } from "wrangler";
import type { z } from "zod";
import { isLoopbackHost } from "#core/unsafe-config";
import { EnvError, jobsEnvSchema, parseJobsEnv } from "../../jobs/src/env";
import { ConfigError, readConfig, workerConfigSchema } from "../../worker/src/env";

/**
 * `npm run env:check`: the production configuration of both runtimes, checked before the first deploy
 * (docs/deploy.md). The rules the runtimes enforce themselves come from their own parsers
 * (worker/src/env.ts, jobs/src/env.ts, over core/unsafe-config.ts); what is added here is what only a
 * deploy can see: variables optional locally but needed in production, credentials still equal to the
 * published examples, values the two sides must share, and whether QStash, Neon and Upstash answer.
 * A refusal names the variable and the fix, never the value.
 */

export type Side = "worker" | "jobs";
export interface Refusal {
  side: Side;
  variable: string;
  problem: string;
  fix: string;
}

export interface ProductionEnv {
  /** What the Worker will see: wrangler.toml's [env.production.vars] plus the secrets to `wrangler secret put`. */
  worker: Record<string, string>;
  /** What the container will see: jobs.env plus what deploy/compose.yml sets. */
  jobs: Record<string, string>;
  /** Worker variables set in wrangler.toml (the others are secrets): decides where a fix goes. */
  workerVarsInToml: ReadonlySet<string>;
}

const root = new URL("../../", import.meta.url);

/** KEY=value lines as docker's --env-file and wrangler's .dev.vars read them; "" means unset. */
export function parseEnvFile(text: string): Record<string, string> {
  const entries: Array<[string, string]> = [];
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    const value = match[2]!.trim().replace(/^(['"])(.*)\1$/, "$2");
    if (value !== "") entries.push([match[1]!, value]);
  }
  return Object.fromEntries(entries);
}

const readEnvFile = (path: string | URL) => parseEnvFile(readFileSync(path, "utf8"));

/** wrangler.toml's variables for one environment (undefined: the local top level). */
export function wranglerVars(env?: string): Record<string, string> {
  const config = unstable_readConfig({ config: new URL("wrangler.toml", root).pathname, ...(env ? { env } : {}) }, { hideWarnings: true });
  return Object.fromEntries(Object.entries(config.vars ?? {}).map(([name, value]) => [name, String(value)]));
}

/**
 * Assembles both sides from the operator's files. compose.yml sets NODE_ENV=production and derives
 * JOBS_PUBLIC_URL from JOBS_DOMAIN in its .env, overriding jobs.env, so the check does the same.
 */
export function loadProductionEnv(files: { workerSecrets: string; jobsEnv: string; composeEnv?: string | undefined }): ProductionEnv {
  const tomlVars = wranglerVars("production");
  const jobs = readEnvFile(files.jobsEnv);
  if (files.composeEnv) {
    const compose = readEnvFile(files.composeEnv);
    if (compose.JOBS_DOMAIN) jobs.JOBS_PUBLIC_URL = `https://${compose.JOBS_DOMAIN}`;
  }
  return { worker: { ...tomlVars, ...readEnvFile(files.workerSecrets) }, jobs: { ...jobs, NODE_ENV: "production" }, workerVarsInToml: new Set(Object.keys(tomlVars)) };
}

/** Needed in production although the schemas let them be unset locally (a feature then answers 503 or fails). */
export const required: Record<Side, readonly string[]> = {
  worker: [
    "DATABASE_URL",
    "UPSTASH_REDIS_REST_URL",
    "UPSTASH_REDIS_REST_TOKEN",
    "QSTASH_TOKEN",
    "JOBS_PUBLIC_URL",
    "API_PUBLIC_URL",
    "JWT_SECRET",
    "TOKEN_ENCRYPTION_KEYS",
    "ML_APP_ID",
    "ML_CLIENT_SECRET",
    "ML_REDIRECT_URI",
    "TINY_CLIENT_ID",
    "TINY_CLIENT_SECRET",
    "TINY_REDIRECT_URI",
  ],
  jobs: [
    "DATABASE_URL",
    "REDIS_URL",
    "JOBS_PUBLIC_URL",
    "QSTASH_CURRENT_SIGNING_KEY",
    "QSTASH_NEXT_SIGNING_KEY",
    "ADMIN_PASSWORD",
    "METRICS_TOKEN",
    "TOKEN_ENCRYPTION_KEYS",
    "ML_APP_ID",
    "ML_CLIENT_SECRET",
    "TINY_CLIENT_ID",
    "TINY_CLIENT_SECRET",
  ],
};

/** Credentials: equal to a value published in this repository means a local default was copied. */
const credentials = [
  "JWT_SECRET",
  "TOKEN_ENCRYPTION_KEYS",
  "QSTASH_TOKEN",
  "UPSTASH_REDIS_REST_TOKEN",
  "QSTASH_CURRENT_SIGNING_KEY",
  "QSTASH_NEXT_SIGNING_KEY",
  "ADMIN_PASSWORD",
  "METRICS_TOKEN",
  "ML_APP_ID",
  "ML_CLIENT_SECRET",
  "ML_WEBHOOK_SECRET",
  "TINY_CLIENT_ID",
  "TINY_CLIENT_SECRET",
];

/** Read and written by both runtimes, so they must agree. */
const shared = ["TOKEN_ENCRYPTION_KEYS", "ML_APP_ID", "ML_CLIENT_SECRET", "ML_API_URL", "TINY_CLIENT_ID", "TINY_CLIENT_SECRET", "TINY_API_URL", "TINY_AUTH_URL", "JOBS_PUBLIC_URL", "REDIS_KEY_PREFIX"];

/** Where each value comes from, prefixed to where it is set. */
const hints: Record<string, string> = {
  DATABASE_URL: "Neon console → Connection details, with ?sslmode=require (docs/deploy.md, Neon)",
  UPSTASH_REDIS_REST_URL: "Upstash console → your Redis database → REST API",
  UPSTASH_REDIS_REST_TOKEN: "Upstash console → your Redis database → REST API",
  REDIS_URL: "the same Upstash database's TCP endpoint, rediss://default:<password>@<endpoint>:6379 (docs/deploy.md, Upstash)",
  REDIS_KEY_PREFIX: "the same prefix on both sides: the Tiny quota keys live under it",
  QSTASH_TOKEN: "Upstash console → QStash → QSTASH_TOKEN",
  QSTASH_URL: "Upstash console → QStash → QSTASH_URL",
  QSTASH_CURRENT_SIGNING_KEY: "Upstash console → QStash → Signing keys (current)",
  QSTASH_NEXT_SIGNING_KEY: "Upstash console → QStash → Signing keys (next)",
  JOBS_PUBLIC_URL: "https://<JOBS_DOMAIN>, the address Caddy serves (the same on both sides)",
  API_PUBLIC_URL: "the Worker's https origin, e.g. https://api.example.com",
  JWT_SECRET: "generate one: openssl rand -base64 48",
  TOKEN_ENCRYPTION_KEYS: "generate one: node -e \"console.log('k1:'+require('crypto').randomBytes(32).toString('base64'))\" (the same list on both sides)",
  ADMIN_PASSWORD: "generate one: openssl rand -base64 24",
  METRICS_TOKEN: "generate one: openssl rand -base64 24 (not the admin password)",
  ML_APP_ID: "your application at developers.mercadolibre.com → Your apps",
  ML_CLIENT_SECRET: "your application at developers.mercadolibre.com → Your apps",
  ML_REDIRECT_URI: "https://<api>/ml/auth/callback, registered in the ML application byte for byte",
  TINY_CLIENT_ID: "your Tiny application (Configurações → Aplicativos)",
  TINY_CLIENT_SECRET: "your Tiny application (Configurações → Aplicativos)",
  TINY_REDIRECT_URI: "https://<api>/tinyerp/auth/callback, registered in the Tiny application",
  CORS_ORIGINS: "the dashboard's https origins, comma-separated",
  NEON_HTTP_ENDPOINT: "remove it: local stand-in only",
  NEON_WS_PROXY: "remove it: local stand-in only",
};

function fixFor(env: ProductionEnv, side: Side, variable: string): string {
  const where =
    side === "jobs"
      ? `set ${variable} in jobs.env on the VPS`
      : env.workerVarsInToml.has(variable)
        ? `set ${variable} under [env.production.vars] in wrangler.toml`
        : `npx wrangler secret put ${variable} --env production`;
  const hint = hints[variable];
  return hint ? `${hint}; ${where}` : where;
}

/** The value a runtime ends up with: the raw value, or its schema's default. */
function effective(schema: z.ZodObject, raw: Record<string, string>, variable: string): string | undefined {
  const field = schema.shape[variable] as z.ZodType | undefined;
  const parsed = field?.safeParse(raw[variable]);
  return parsed?.success && parsed.data !== undefined ? String(parsed.data) : raw[variable];
}

const https = (value: string) => URL.canParse(value) && new URL(value).protocol === "https:";
const loopback = (value: string) => URL.canParse(value) && isLoopbackHost(new URL(value).hostname);
const withoutTrailingSlash = (value: string) => value.replace(/\/+$/, "");
/** Neon's pooled host is the direct one with -pooler on its first label. */
const neonHost = (url: string) => new URL(url).hostname.replace(/^([^.]+)-pooler\./, "$1.");

function publishedValues(): Map<string, Set<string>> {
  const values = new Map<string, Set<string>>();
  for (const source of [readEnvFile(new URL(".dev.vars.example", root)), readEnvFile(new URL(".env.example", root)), wranglerVars()]) {
    for (const [name, value] of Object.entries(source)) values.set(name, (values.get(name) ?? new Set()).add(value));
  }
  return values;
}

/** Everything that can be checked without the network. */
export function checkProductionEnv(env: ProductionEnv): Refusal[] {
  const refusals: Refusal[] = [];
  const refuse = (side: Side, variable: string, problem: string) => {
    if (!refusals.some((r) => r.side === side && r.variable === variable)) refusals.push({ side, variable, problem, fix: fixFor(env, side, variable) });
  };
  const sides = { worker: env.worker, jobs: env.jobs };

  // Required first: "not set" says more than the parser's "expected string, received undefined".
  for (const side of ["worker", "jobs"] as const) {
    for (const variable of required[side]) if (!sides[side][variable]) refuse(side, variable, "is not set; production needs it");
  }

  try {
    readConfig({ ...env.worker, APP_ENV: "production" });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const field of error.fields) refuse("worker", field.path.replace(/^env\./, ""), field.message);
  }
  try {
    parseJobsEnv({ ...env.jobs, NODE_ENV: "production" });
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    for (const problem of error.problems) refuse("jobs", problem.variable, problem.message);
  }

  const published = publishedValues();
  for (const side of ["worker", "jobs"] as const) {
    for (const variable of credentials) {
      const value = sides[side][variable];
      if (value !== undefined && published.get(variable)?.has(value)) refuse(side, variable, "is the local default published in this repository");
    }
  }

  // The jobs side's URLs: the container itself allows http (local runs); production does not.
  for (const variable of ["JOBS_PUBLIC_URL", "ML_API_URL", "TINY_API_URL", "TINY_AUTH_URL"]) {
    const value = effective(jobsEnvSchema, env.jobs, variable);
    if (value === undefined || !URL.canParse(value)) continue;
    if (!https(value)) refuse("jobs", variable, "must be an https:// URL in production");
    else if (loopback(value)) refuse("jobs", variable, "points at this machine");
  }
  const redisUrl = env.jobs.REDIS_URL;
  if (redisUrl && URL.canParse(redisUrl)) {
    if (new URL(redisUrl).protocol !== "rediss:") refuse("jobs", "REDIS_URL", "must be a rediss:// (TLS) URL in production");
    else if (loopback(redisUrl)) refuse("jobs", "REDIS_URL", "points at this machine");
  }
  for (const side of ["worker", "jobs"] as const) {
    const databaseUrl = sides[side].DATABASE_URL;
    if (!databaseUrl || !URL.canParse(databaseUrl)) continue;
    if (loopback(databaseUrl)) refuse(side, "DATABASE_URL", "points at this machine");
    else if (!["require", "verify-ca", "verify-full"].includes(new URL(databaseUrl).searchParams.get("sslmode") ?? "")) {
      refuse(side, "DATABASE_URL", "must ask for TLS (?sslmode=require): Neon refuses plain connections");
    }
  }

  for (const variable of shared) {
    const worker = effective(workerConfigSchema, env.worker, variable);
    const jobs = effective(jobsEnvSchema, env.jobs, variable);
    if (worker !== undefined && jobs !== undefined && withoutTrailingSlash(worker) !== withoutTrailingSlash(jobs)) {
      refuse("jobs", variable, "differs from the Worker's; both runtimes must use the same value");
    }
  }
  // Both runtimes draw the Tiny quota from one Redis database: the Worker over REST, jobs over TCP.
  const restUrl = env.worker.UPSTASH_REDIS_REST_URL;
  if (redisUrl && restUrl && URL.canParse(redisUrl) && URL.canParse(restUrl) && new URL(redisUrl).hostname !== new URL(restUrl).hostname) {
    refuse("jobs", "REDIS_URL", "is not the Upstash database of the Worker's UPSTASH_REDIS_REST_URL (the shared Tiny quota needs one database)");
  }
  const workerDb = env.worker.DATABASE_URL;
  const jobsDb = env.jobs.DATABASE_URL;
  if (workerDb && jobsDb && URL.canParse(workerDb) && URL.canParse(jobsDb)) {
    if (neonHost(workerDb) !== neonHost(jobsDb) || new URL(workerDb).pathname !== new URL(jobsDb).pathname) {
      refuse("jobs", "DATABASE_URL", "is not the Worker's database (the pooled and direct URLs of one Neon branch are both fine)");
    }
  }
  return refusals;
}

const probeTimeoutMs = 5_000;

/** Why a connection failed, without the URL or credentials a message may quote. */
function reason(error: unknown): string {
  const code = (error as { code?: unknown; cause?: { code?: unknown } }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  if (typeof code === "string") return code;
  return error instanceof Error && error.name === "TimeoutError" ? "timeout" : error instanceof Error ? error.name : "error";
}

/** QStash answers with its signing keys: the token works, and the jobs side holds the keys it signs with. */
export async function probeQstash(options: { url: string; token: string; signingKeys?: { current?: string | undefined; next?: string | undefined } }): Promise<Omit<Refusal, "fix" | "side">[]> {
  let response: Response;
  try {
    response = await fetch(`${withoutTrailingSlash(options.url)}/v2/keys`, { headers: { authorization: `Bearer ${options.token}` }, signal: AbortSignal.timeout(probeTimeoutMs) });
  } catch (error) {
    return [{ variable: "QSTASH_URL", problem: `QStash did not answer (${reason(error)})` }];
  }
  if (response.status === 401 || response.status === 403) return [{ variable: "QSTASH_TOKEN", problem: `QStash refused the token (${response.status})` }];
  if (!response.ok) return [{ variable: "QSTASH_URL", problem: `QStash answered ${response.status}` }];
  const keys = (await response.json()) as { current?: string; next?: string };
  const problems: Omit<Refusal, "fix" | "side">[] = [];
  if (options.signingKeys?.current !== undefined && options.signingKeys.current !== keys.current) {
    problems.push({ variable: "QSTASH_CURRENT_SIGNING_KEY", problem: "is not the current signing key of the QStash account QSTASH_TOKEN belongs to" });
  }
  if (options.signingKeys?.next !== undefined && options.signingKeys.next !== keys.next) {
    problems.push({ variable: "QSTASH_NEXT_SIGNING_KEY", problem: "is not the next signing key of the QStash account QSTASH_TOKEN belongs to" });
  }
  return problems;
}

export async function probePostgres(databaseUrl: string): Promise<Omit<Refusal, "fix" | "side">[]> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: probeTimeoutMs, query_timeout: probeTimeoutMs });
  // A failed connect also emits "error"; without a listener it would crash the check.
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("select 1");
    return [];
  } catch (error) {
    return [{ variable: "DATABASE_URL", problem: `Postgres did not accept the connection (${reason(error)})` }];
  } finally {
    await client.end().catch(() => {});
  }
}

export async function probeUpstashRest(url: string, token: string): Promise<Omit<Refusal, "fix" | "side">[]> {
  try {
    const response = await fetch(`${withoutTrailingSlash(url)}/ping`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(probeTimeoutMs) });
    if (response.status === 401 || response.status === 403) return [{ variable: "UPSTASH_REDIS_REST_TOKEN", problem: `Upstash refused the token (${response.status})` }];
    return response.ok ? [] : [{ variable: "UPSTASH_REDIS_REST_URL", problem: `Upstash answered ${response.status}` }];
  } catch (error) {
    return [{ variable: "UPSTASH_REDIS_REST_URL", problem: `Upstash Redis REST did not answer (${reason(error)})` }];
  }
}

export async function probeRedis(redisUrl: string): Promise<Omit<Refusal, "fix" | "side">[]> {
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: probeTimeoutMs, commandTimeout: probeTimeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // connect() rejects with "Connection is closed"; the socket's own error says why.
  let socketError: unknown;
  redis.on("error", (error) => (socketError = error));
  try {
    await redis.connect();
    await redis.ping();
    return [];
  } catch (error) {
    return [{ variable: "REDIS_URL", problem: `Redis did not answer PING (${reason(socketError ?? error)})` }];
  } finally {
    redis.disconnect();
  }
}

/** Whether the managed services answer with these credentials. Only for variables that passed the offline check. */
export async function probeProductionEnv(env: ProductionEnv, offlineRefusals: readonly Refusal[] = []): Promise<Refusal[]> {
  const refused = (side: Side, ...variables: string[]) => variables.some((v) => !env[side][v] || offlineRefusals.some((r) => r.side === side && r.variable === v));
  const tasks: Array<Promise<Refusal[]>> = [];
  const on = (side: Side, probe: Promise<Omit<Refusal, "fix" | "side">[]>) => tasks.push(probe.then((list) => list.map((r) => ({ ...r, side, fix: fixFor(env, side, r.variable) }))));
  const qstashUrl = effective(workerConfigSchema, env.worker, "QSTASH_URL");
  if (qstashUrl && !refused("worker", "QSTASH_TOKEN")) {
    on("worker", probeQstash({ url: qstashUrl, token: env.worker.QSTASH_TOKEN! }));
    on(
      "jobs",
      probeQstash({ url: qstashUrl, token: env.worker.QSTASH_TOKEN!, signingKeys: { current: env.jobs.QSTASH_CURRENT_SIGNING_KEY, next: env.jobs.QSTASH_NEXT_SIGNING_KEY } }).then((list) =>
        list.filter((r) => r.variable.includes("SIGNING_KEY")),
      ),
    );
  }
  if (!refused("worker", "DATABASE_URL")) on("worker", probePostgres(env.worker.DATABASE_URL!));
  if (!refused("jobs", "DATABASE_URL")) on("jobs", probePostgres(env.jobs.DATABASE_URL!));
  if (!refused("worker", "UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN")) on("worker", probeUpstashRest(env.worker.UPSTASH_REDIS_REST_URL!, env.worker.UPSTASH_REDIS_REST_TOKEN!));
  if (!refused("jobs", "REDIS_URL")) on("jobs", probeRedis(env.jobs.REDIS_URL!));
  return (await Promise.all(tasks)).flat();
}
