import { z } from "zod";

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
});

export type Config = z.infer<typeof ConfigSchema>;

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
