import { callSettingsFromEnv, type ClientCallSettings, type ClientCallSettingsEnv } from "#core/http/config";

/** Where and as which app the product talks to Tiny ERP (API v3); both runtimes build it from their env. */
export interface TinyConfig extends ClientCallSettings {
  /** API v3 base, without a trailing slash. */
  apiUrl: string;
  /** The Keycloak realm's OpenID Connect base; `/auth` and `/token` hang off it. */
  authUrl: string;
  clientId: string;
  clientSecret: string;
  /** Registered in the Tiny app ("URL de redirecionamento"); context travels in `state`. */
  redirectUri: string;
  quota: TinyQuotaSettings;
}

/**
 * Our share of the account's per-minute quota. Tiny's budget belongs to the ERP company and is
 * shared with every other app it runs, so the defaults stay under the smallest paid plan
 * (30/min) and under the measured burst bucket (4/s); the response headers correct the rest.
 */
export interface TinyQuotaSettings {
  readsPerMinute: number;
  writesPerMinute: number;
  burstPerSecond: number;
  /** How long a caller may wait for budget before it gets a 429 instead (the Worker keeps this short). */
  maxWaitMs: number;
}

export const tinyDefaults = {
  apiUrl: "https://api.tiny.com.br/public-api/v3",
  authUrl: "https://accounts.tiny.com.br/realms/tiny/protocol/openid-connect",
  timeoutMs: 15_000,
  maxAttempts: 3,
  refreshMarginSeconds: 300,
  quota: { readsPerMinute: 30, writesPerMinute: 30, burstPerSecond: 3, maxWaitMs: 2_000 },
} as const;

/** Variables both runtimes read (same names in wrangler vars and the jobs env). */
export interface TinyEnv extends ClientCallSettingsEnv<"TINY"> {
  TINY_API_URL?: string | undefined;
  TINY_AUTH_URL?: string | undefined;
  TINY_CLIENT_ID?: string | undefined;
  TINY_CLIENT_SECRET?: string | undefined;
  TINY_REDIRECT_URI?: string | undefined;
  TINY_QUOTA_READS_PER_MINUTE?: number | undefined;
  TINY_QUOTA_WRITES_PER_MINUTE?: number | undefined;
  TINY_QUOTA_BURST_PER_SECOND?: number | undefined;
  TINY_QUOTA_MAX_WAIT_MS?: number | undefined;
}

/** Undefined while the app credentials are missing: the integration is then off, not half-configured. */
export function tinyConfigFromEnv(env: TinyEnv): TinyConfig | undefined {
  if (!env.TINY_CLIENT_ID || !env.TINY_CLIENT_SECRET || !env.TINY_REDIRECT_URI) return undefined;
  return {
    apiUrl: (env.TINY_API_URL ?? tinyDefaults.apiUrl).replace(/\/+$/, ""),
    authUrl: (env.TINY_AUTH_URL ?? tinyDefaults.authUrl).replace(/\/+$/, ""),
    clientId: env.TINY_CLIENT_ID,
    clientSecret: env.TINY_CLIENT_SECRET,
    redirectUri: env.TINY_REDIRECT_URI,
    ...callSettingsFromEnv("TINY", env, tinyDefaults),
    quota: {
      readsPerMinute: env.TINY_QUOTA_READS_PER_MINUTE ?? tinyDefaults.quota.readsPerMinute,
      writesPerMinute: env.TINY_QUOTA_WRITES_PER_MINUTE ?? tinyDefaults.quota.writesPerMinute,
      burstPerSecond: env.TINY_QUOTA_BURST_PER_SECOND ?? tinyDefaults.quota.burstPerSecond,
      maxWaitMs: env.TINY_QUOTA_MAX_WAIT_MS ?? tinyDefaults.quota.maxWaitMs,
    },
  };
}
