import { z } from "zod";
import { parseTokenKeys } from "../../core/token-cipher";

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
  HEALTH_CHECK_TIMEOUT_MS: int(1500),
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

export class ConfigError extends Error {}

const cache = new WeakMap<object, Config>();

/** Parsed once per isolate: bindings do not change while it lives. */
export function readConfig(bindings: Bindings): Config {
  const cached = cache.get(bindings);
  if (cached) return cached;
  const parsed = ConfigSchema.safeParse(bindings);
  if (!parsed.success) {
    const names = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new ConfigError(`invalid Worker configuration: ${names}`);
  }
  cache.set(bindings, parsed.data);
  return parsed.data;
}
