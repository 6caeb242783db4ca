import { z } from "zod";
import { AppError, type FieldError } from "#core/errors";
import { parseTokenKeys } from "#core/token-cipher";
import { includesPublishedTokenKey, isLoopbackHost, localSecrets } from "#core/unsafe-config";

/** Bindings as wrangler hands them over: vars from wrangler.toml, secrets from `wrangler secret put`/.dev.vars. */
export type Bindings = Record<string, string | undefined>;

const int = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const list = z
  .string()
  .default("")
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  );

const ConfigSchema = z.object({
  APP_ENV: z.enum(["development", "test", "production"]).default("development"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  DATABASE_URL: z.string().url(),
  NEON_HTTP_ENDPOINT: z.string().url().optional(),
  UPSTASH_REDIS_REST_URL: z.string().url(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1),
  REDIS_KEY_PREFIX: z.string().min(1).default("autoecom"),
  JWT_SECRET: z.string().min(32, "JWT_SECRET must be at least 32 characters"),
  JWT_ISSUER: z.string().min(1).default("autoecom"),
  JWT_AUDIENCE: z.string().min(1).default("autoecom-api"),
  ACCESS_TOKEN_TTL_SECONDS: int(900),
  REFRESH_TOKEN_TTL_SECONDS: int(60 * 60 * 24 * 30),
  BCRYPT_COST: z.coerce.number().int().min(10).max(15).default(10),
  CORS_ORIGINS: list,
  MAX_BODY_BYTES: int(64 * 1024),
  LOGIN_RATE_LIMIT_WINDOW_SECONDS: int(900),
  LOGIN_RATE_LIMIT_PER_IP: int(30),
  LOGIN_RATE_LIMIT_PER_EMAIL: int(10),
  LOGIN_RATE_LIMIT_PER_ACCOUNT: int(100),
  PASSWORD_CHECK_RATE_LIMIT: int(10),
  // Per user and minute (README "Rate limits"): every authenticated request, and those that spend a provider's quota.
  API_RATE_LIMIT_PER_MINUTE: int(300),
  API_PROVIDER_RATE_LIMIT_PER_MINUTE: int(30),
  WEBHOOK_RATE_LIMIT_PER_MINUTE: int(1200),
  HEALTH_CHECK_TIMEOUT_MS: int(1500),
  // Sentry (docs/security.md, "Error reports"): 5xx answers are reported when set; nothing is loaded or sent when unset.
  SENTRY_DSN: z.string().url().optional(),
  // Local only: the WebSocket proxy standing in for Neon's (dev/neon); interactive transactions go through it.
  NEON_WS_PROXY: z.string().min(1).optional(),
  // MercadoLibre. Without ML_APP_ID/ML_CLIENT_SECRET/ML_REDIRECT_URI/TOKEN_ENCRYPTION_KEYS the /ml routes answer 503.
  ML_API_URL: z.string().url().default("https://api.mercadolibre.com"),
  ML_AUTH_URL: z.string().url().optional(),
  ML_APP_ID: z.string().min(1).optional(),
  ML_CLIENT_SECRET: z.string().min(1).optional(),
  ML_REDIRECT_URI: z.string().url().optional(),
  ML_DASHBOARD_URL: z.string().url().default("http://localhost:3000/settings/mercadolibre"),
  ML_TIMEOUT_MS: int(10_000),
  ML_MAX_ATTEMPTS: int(3),
  ML_TOKEN_REFRESH_MARGIN_SECONDS: int(300),
  ML_OAUTH_STATE_TTL_SECONDS: int(600),
  // This Worker's public origin, as the outside world reaches it. Read through apiPublicUrl().
  API_PUBLIC_URL: z.string().url().optional(),
  // Webhooks (docs/webhooks.md): ML → this Worker → QStash → the jobs container.
  QSTASH_URL: z.string().url().default("https://qstash.upstash.io"),
  QSTASH_TOKEN: z.string().min(1).optional(),
  JOBS_PUBLIC_URL: z.string().url().optional(),
  WEBHOOK_QSTASH_RETRIES: z.coerce.number().int().min(0).max(20).default(5),
  WEBHOOK_MAX_BODY_BYTES: int(8 * 1024),
  WEBHOOK_ACCOUNT_CACHE_SECONDS: int(300),
  WEBHOOK_UNKNOWN_ACCOUNT_CACHE_SECONDS: int(60),
  WEBHOOK_IP_ALLOWLIST: list,
  ML_WEBHOOK_SECRET: z.string().min(1).optional(),
  WEBHOOK_SIGNATURE_TOLERANCE_SECONDS: int(300),
  // Tiny ERP (docs/tiny.md). Without TINY_CLIENT_ID/TINY_CLIENT_SECRET/TINY_REDIRECT_URI/TOKEN_ENCRYPTION_KEYS the /tinyerp routes answer 503.
  TINY_API_URL: z.string().url().default("https://api.tiny.com.br/public-api/v3"),
  TINY_AUTH_URL: z.string().url().default("https://accounts.tiny.com.br/realms/tiny/protocol/openid-connect"),
  TINY_CLIENT_ID: z.string().min(1).optional(),
  TINY_CLIENT_SECRET: z.string().min(1).optional(),
  TINY_REDIRECT_URI: z.string().url().optional(),
  TINY_DASHBOARD_URL: z.string().url().default("http://localhost:3000/settings/tiny"),
  TINY_TIMEOUT_MS: int(15_000),
  TINY_MAX_ATTEMPTS: int(3),
  TINY_TOKEN_REFRESH_MARGIN_SECONDS: int(300),
  TINY_OAUTH_STATE_TTL_SECONDS: int(600),
  TINY_QUOTA_READS_PER_MINUTE: int(30),
  TINY_QUOTA_WRITES_PER_MINUTE: int(30),
  TINY_QUOTA_BURST_PER_SECOND: int(3),
  // A request holds its caller while it waits for Tiny's budget, so the Worker waits briefly and answers 429 beyond.
  TINY_QUOTA_MAX_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(2_000),
  TOKEN_ENCRYPTION_KEYS: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      if (value === undefined) return;
      try {
        parseTokenKeys(value);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
      }
    }),
});

export type Config = z.infer<typeof ConfigSchema>;

/**
 * Where URLs we hand out (a Tiny webhook URL) point. Locally the Worker's own port; production
 * has no default, because Tiny could never reach a loopback URL given to a seller.
 */
export function apiPublicUrl(config: Config): string | null {
  const url = config.API_PUBLIC_URL ?? (config.APP_ENV === "production" ? null : "http://127.0.0.1:8787");
  return url === null ? null : url.replace(/\/+$/, "");
}

/**
 * Every request answers 500 `bad_environment` while the configuration is invalid or unsafe. The
 * problem names each variable and why, never its value (it may be a secret).
 */
export class ConfigError extends AppError {
  constructor(fields: FieldError[]) {
    super("bad_environment", `The Worker's configuration is invalid or unsafe: ${[...new Set(fields.map((field) => field.path.replace(/^env\./, "")))].join(", ")}.`, {
      fields,
    });
    this.name = "ConfigError";
  }
}

// Every URL the Worker calls or hands out; DATABASE_URL is a postgres:// URL and checked on its own.
const publicUrlVariables = [
  "UPSTASH_REDIS_REST_URL",
  "QSTASH_URL",
  "JOBS_PUBLIC_URL",
  "API_PUBLIC_URL",
  "ML_API_URL",
  "ML_AUTH_URL",
  "ML_REDIRECT_URI",
  "ML_DASHBOARD_URL",
  "TINY_API_URL",
  "TINY_AUTH_URL",
  "TINY_REDIRECT_URI",
  "TINY_DASHBOARD_URL",
  "SENTRY_DSN",
] as const satisfies readonly (keyof Config)[];

const loopbackUrl = (url: string) => isLoopbackHost(new URL(url).hostname);

/**
 * What is fine on a laptop and a hole in production: secrets published in this repository, the
 * local stand-ins (NEON_WS_PROXY also turns TLS off), plain-http URLs and a CORS list that admits
 * a local page. Checked on the parsed values, so a default that only suits local runs is caught too.
 */
function productionProblems(config: Config): FieldError[] {
  if (config.APP_ENV !== "production") return [];
  const problems: FieldError[] = [];
  const refuse = (variable: string, message: string) => problems.push({ path: `env.${variable}`, message, code: "unsafe_in_production" });
  if (config.JWT_SECRET === localSecrets.jwtSecret) refuse("JWT_SECRET", "is the published example secret");
  if (config.TOKEN_ENCRYPTION_KEYS && includesPublishedTokenKey(config.TOKEN_ENCRYPTION_KEYS)) {
    refuse("TOKEN_ENCRYPTION_KEYS", "contains the published example key");
  }
  if (config.QSTASH_TOKEN === localSecrets.qstashToken) refuse("QSTASH_TOKEN", "is the local QStash dev token");
  if (config.UPSTASH_REDIS_REST_TOKEN === localSecrets.redisRestToken) refuse("UPSTASH_REDIS_REST_TOKEN", "is the local stand-in's token");
  if (config.NEON_HTTP_ENDPOINT !== undefined) refuse("NEON_HTTP_ENDPOINT", "points at the local Neon stand-in; unset it in production");
  if (config.NEON_WS_PROXY !== undefined) refuse("NEON_WS_PROXY", "points at the local Neon stand-in (without TLS); unset it in production");
  if (loopbackUrl(config.DATABASE_URL)) refuse("DATABASE_URL", "points at this machine");
  for (const variable of publicUrlVariables) {
    const value = config[variable];
    if (value === undefined) continue;
    if (new URL(value).protocol !== "https:") refuse(variable, "must be an https:// URL in production");
    else if (loopbackUrl(value)) refuse(variable, "points at this machine");
  }
  if (config.CORS_ORIGINS.length === 0) refuse("CORS_ORIGINS", "must list the dashboard's origins in production");
  else if (config.CORS_ORIGINS.some((origin) => origin === "*" || !URL.canParse(origin) || loopbackUrl(origin))) {
    refuse("CORS_ORIGINS", "must not contain '*' or a local origin in production");
  }
  return problems;
}

const cache = new WeakMap<object, Config>();

/** Parsed once per isolate: bindings do not change while it lives. */
export function readConfig(bindings: Bindings): Config {
  const cached = cache.get(bindings);
  if (cached) return cached;
  const parsed = ConfigSchema.safeParse(bindings);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => ({ path: `env.${issue.path.join(".")}`, message: issue.message, code: issue.code })));
  }
  const problems = productionProblems(parsed.data);
  if (problems.length > 0) throw new ConfigError(problems);
  cache.set(bindings, parsed.data);
  return parsed.data;
}

/** Read by the deploy tooling (dev/deploy/): the variable table in docs/deploy.md and `npm run env:check`. */
export { ConfigSchema as workerConfigSchema };
