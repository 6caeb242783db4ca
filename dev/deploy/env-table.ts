import type { z } from "zod";
import { jobsEnvSchema } from "../../jobs/src/env";
import { workerConfigSchema } from "../../worker/src/env";
import { required, wranglerVars } from "./env-check";

/**
 * docs/deploy.md's table of every variable, generated from the two zod schemas (which variables exist,
 * on which side, their local defaults) and the deploy rules (what production needs, where it is set).
 * `npm run docs:env` rewrites it; test/config/env-table.test.ts fails when the page, the schemas or the
 * meanings below disagree, so a variable cannot be added without showing up here.
 */

/** One line each. The schemas say what is valid; this says what it is for. */
export const meanings: Record<string, string> = {
  APP_ENV: "`production` turns on the Worker's refusals of unsafe values",
  NODE_ENV: "`production` turns on the container's refusals (so does any non-loopback listener)",
  LOG_LEVEL: "JSON log lines at or above this level",
  DATABASE_URL: "Neon Postgres; `?sslmode=require`. Worker: any URL of the branch; jobs: the pooled (`-pooler`) one",
  DATABASE_POOL_MAX: "connections in the jobs container's Postgres pool",
  NEON_HTTP_ENDPOINT: "local stand-in for Neon's SQL over HTTP; must be unset in production",
  NEON_WS_PROXY: "local stand-in for Neon's WebSocket proxy; must be unset in production",
  UPSTASH_REDIS_REST_URL: "Upstash Redis REST URL (rate limits, OAuth state, caches, the Tiny quota)",
  UPSTASH_REDIS_REST_TOKEN: "Upstash Redis REST token",
  REDIS_URL: "BullMQ's Redis: the Worker's Upstash database over TCP, `rediss://default:<password>@<endpoint>:6379`",
  REDIS_KEY_PREFIX: "prefix of every Redis key; the same on both sides (the Tiny quota keys)",
  JWT_SECRET: "HS256 key of access tokens, ≥ 32 characters",
  JWT_ISSUER: "`iss` of access tokens",
  JWT_AUDIENCE: "`aud` of access tokens",
  ACCESS_TOKEN_TTL_SECONDS: "access token lifetime",
  REFRESH_TOKEN_TTL_SECONDS: "session (refresh-token family) lifetime",
  BCRYPT_COST: "bcrypt cost, 10–15",
  CORS_ORIGINS: "the dashboard's origins, comma-separated",
  MAX_BODY_BYTES: "larger request bodies get 413",
  LOGIN_RATE_LIMIT_WINDOW_SECONDS: "window of the login, sign-up and password-check limits",
  LOGIN_RATE_LIMIT_PER_IP: "failed logins (and sign-ups) per client address per window",
  LOGIN_RATE_LIMIT_PER_EMAIL: "failed logins per (email, address) per window",
  LOGIN_RATE_LIMIT_PER_ACCOUNT: "failed logins per email from all addresses per window",
  PASSWORD_CHECK_RATE_LIMIT: "current-password checks per user per window",
  API_RATE_LIMIT_PER_MINUTE: "requests per user per minute on authenticated routes",
  API_PROVIDER_RATE_LIMIT_PER_MINUTE: "per user per minute on routes that spend ML's or Tiny's quota",
  WEBHOOK_RATE_LIMIT_PER_MINUTE: "webhook calls per source address per minute",
  HEALTH_CHECK_TIMEOUT_MS: "deadline of each `/health` probe",
  SENTRY_DSN: "Sentry project DSN; unset, nothing is sent",
  API_PUBLIC_URL: "the Worker's public https origin; Tiny webhook URLs are built on it",
  QSTASH_URL: "QStash API",
  QSTASH_TOKEN: "QStash publish token",
  QSTASH_CURRENT_SIGNING_KEY: "verifies QStash deliveries",
  QSTASH_NEXT_SIGNING_KEY: "verifies QStash deliveries after a key rotation",
  JOBS_PUBLIC_URL: "where QStash delivers (`https://<JOBS_DOMAIN>`); signatures are checked against it",
  JOBS_HOST: "the container's public listener (`/health`, `/qstash/*`); the image sets `0.0.0.0`",
  JOBS_PORT: "its port",
  JOBS_ADMIN_HOST: "the admin listener (Bull Board, `/metrics`); the image sets `0.0.0.0`, compose publishes it on loopback",
  JOBS_ADMIN_PORT: "its port",
  ADMIN_USERNAME: "Bull Board basic-auth user",
  ADMIN_PASSWORD: "Bull Board basic-auth password, ≥ 16 characters",
  METRICS_TOKEN: "bearer token of `/metrics` only, ≥ 16 characters, not the admin password",
  SHUTDOWN_TIMEOUT_MS: "how long SIGTERM waits for running jobs (compose's stop_grace_period is 35 s)",
  TOKEN_ENCRYPTION_KEYS: "`kid:base64(32 bytes)[,older…]`, AES-256-GCM keys of stored ML/Tiny tokens; the same list on both sides",
  ML_API_URL: "MercadoLibre API",
  ML_AUTH_URL: "ML authorization host (per site)",
  ML_APP_ID: "the ML application's id",
  ML_CLIENT_SECRET: "the ML application's secret",
  ML_REDIRECT_URI: "`https://<api>/ml/auth/callback`, registered in the ML application",
  ML_DASHBOARD_URL: "where the ML callback sends the browser",
  ML_TIMEOUT_MS: "per-call timeout to ML",
  ML_MAX_ATTEMPTS: "attempts per ML call",
  ML_TOKEN_REFRESH_MARGIN_SECONDS: "refresh an ML token this close to expiry",
  ML_OAUTH_STATE_TTL_SECONDS: "lifetime of a one-time ML connect `state`",
  ML_ACCOUNT_CONCURRENCY: "webhook jobs of one ML account running at once, across containers",
  ML_APP_RATE_PER_SECOND: "starting ML call rate of the application, adapted to ML's 429s",
  ML_APP_RATE_MIN_PER_SECOND: "lowest adapted ML call rate",
  ML_APP_RATE_MAX_PER_SECOND: "highest adapted ML call rate",
  WEBHOOK_QSTASH_RETRIES: "QStash retries per notification",
  WEBHOOK_MAX_BODY_BYTES: "larger notifications get 413",
  WEBHOOK_ACCOUNT_CACHE_SECONDS: 'edge cache of "this seller is ours"',
  WEBHOOK_UNKNOWN_ACCOUNT_CACHE_SECONDS: 'edge cache of "not ours"',
  WEBHOOK_IP_ALLOWLIST: "allowed notification sources; `ml` = ML's documented addresses",
  ML_WEBHOOK_SECRET: "checks a Mercado Pago-style `x-signature` when present",
  WEBHOOK_SIGNATURE_TOLERANCE_SECONDS: "allowed clock distance of that signature",
  TINY_API_URL: "Tiny API v3",
  TINY_AUTH_URL: "Tiny's OpenID Connect realm",
  TINY_CLIENT_ID: "the Tiny application's client id",
  TINY_CLIENT_SECRET: "the Tiny application's secret",
  TINY_REDIRECT_URI: "`https://<api>/tinyerp/auth/callback`, registered in the Tiny application",
  TINY_DASHBOARD_URL: "where the Tiny callback sends the browser",
  TINY_TIMEOUT_MS: "per-call timeout to Tiny",
  TINY_MAX_ATTEMPTS: "attempts per Tiny call",
  TINY_TOKEN_REFRESH_MARGIN_SECONDS: "refresh a Tiny token this close to expiry",
  TINY_OAUTH_STATE_TTL_SECONDS: "lifetime of a one-time Tiny connect `state`",
  TINY_QUOTA_READS_PER_MINUTE: "our share of the ERP company's read quota, shared by both sides through Redis",
  TINY_QUOTA_WRITES_PER_MINUTE: "our share of its write quota",
  TINY_QUOTA_BURST_PER_SECOND: "our share of its burst",
  TINY_QUOTA_MAX_WAIT_MS: "longest wait for quota (the Worker then answers 429; jobs wait longer)",
  RETENTION_WEBHOOK_EVENTS_DAYS: "processed and skipped webhook events older than this are deleted daily",
};

export const tableStart = "<!-- env-table:start (generated by `npm run docs:env` from the zod schemas; do not edit) -->";
export const tableEnd = "<!-- env-table:end -->";

/** The local default a schema gives when the variable is unset, "required" when it has none and refuses unset. */
function localDefault(schema: z.ZodObject, variable: string): string {
  const field = schema.shape[variable] as z.ZodType | undefined;
  if (!field) return "";
  const parsed = field.safeParse(undefined);
  if (!parsed.success) return "required";
  if (parsed.data === undefined) return "unset";
  const value = Array.isArray(parsed.data) ? parsed.data.join(",") : String(parsed.data);
  return value === "" ? "empty" : `\`${value}\``;
}

export function renderEnvTable(): string {
  const tomlVars = new Set(Object.keys(wranglerVars("production")));
  const worker = Object.keys(workerConfigSchema.shape);
  const jobs = Object.keys(jobsEnvSchema.shape);
  const names = [...new Set([...worker, ...jobs])].sort();
  const missing = names.filter((name) => !meanings[name]);
  if (missing.length > 0) throw new Error(`No meaning for ${missing.join(", ")}: add one to dev/deploy/env-table.ts.`);
  const production = (name: string) => {
    const where: string[] = [];
    if (worker.includes(name)) {
      if (tomlVars.has(name)) where.push("wrangler.toml");
      else if (required.worker.includes(name)) where.push("**secret**");
    }
    if (jobs.includes(name) && required.jobs.includes(name)) where.push(name === "JOBS_PUBLIC_URL" ? "compose (from `JOBS_DOMAIN`)" : "**jobs.env**");
    return where.join(", ");
  };
  const cell = (text: string) => text.replaceAll("|", "\\|");
  const rows = names.map((name) =>
    [
      `\`${name}\``,
      worker.includes(name) ? cell(localDefault(workerConfigSchema, name)) : "—",
      jobs.includes(name) ? cell(localDefault(jobsEnvSchema, name)) : "—",
      production(name),
      cell(meanings[name]!),
    ].join(" | "),
  );
  return [tableStart, "| Variable | Worker default | Jobs default | Set in production | Meaning |", "|---|---|---|---|---|", ...rows.map((row) => `| ${row} |`), tableEnd].join("\n");
}

/** The page with its table replaced by a fresh one. */
export function withFreshTable(page: string): string {
  const start = page.indexOf(tableStart);
  const end = page.indexOf(tableEnd);
  if (start < 0 || end < start) throw new Error(`docs/deploy.md has no ${tableStart} … ${tableEnd} block.`);
  return `${page.slice(0, start)}${renderEnvTable()}${page.slice(end + tableEnd.length)}`;
}
