import { callSettingsFromEnv, type ClientCallSettings, type ClientCallSettingsEnv } from "#core/http/config";

/** Where and as whom the product talks to MercadoLibre; both runtimes build it from their env. */
export interface MlConfig extends ClientCallSettings {
  /** REST base, https://api.mercadolibre.com in production (also serves /oauth/token). */
  apiUrl: string;
  /**
   * Overrides the per-site authorization host (the sandbox serves /authorization itself).
   * Unset in production, where the seller's country picks the host.
   */
  authUrl?: string | undefined;
  appId: string;
  clientSecret: string;
  /** Registered byte-for-byte in the ML app; context travels in `state`, never here. */
  redirectUri: string;
}

export const mlDefaults = {
  apiUrl: "https://api.mercadolibre.com",
  timeoutMs: 10_000,
  maxAttempts: 3,
  refreshMarginSeconds: 300,
} as const;

/** Authorization hosts per site (official SDK list); the API host is the same for every site. */
export const mlAuthHosts = {
  MLA: "https://auth.mercadolibre.com.ar",
  MLB: "https://auth.mercadolivre.com.br",
  MCO: "https://auth.mercadolibre.com.co",
  MLM: "https://auth.mercadolibre.com.mx",
  MLU: "https://auth.mercadolibre.com.uy",
  MLC: "https://auth.mercadolibre.cl",
  MCR: "https://auth.mercadolibre.com.cr",
  MEC: "https://auth.mercadolibre.com.ec",
  MLV: "https://auth.mercadolibre.com.ve",
  MPA: "https://auth.mercadolibre.com.pa",
  MPE: "https://auth.mercadolibre.com.pe",
  MRD: "https://auth.mercadolibre.com.do",
  MBO: "https://auth.mercadolibre.com.bo",
  MPY: "https://auth.mercadolibre.com.py",
} as const;

export type MlSiteId = keyof typeof mlAuthHosts;
export const mlSiteIds = Object.keys(mlAuthHosts) as [MlSiteId, ...MlSiteId[]];
export const defaultMlSite: MlSiteId = "MLB";

/**
 * Both runtimes name the variables alike; this reads them from a parsed env object.
 * Undefined when the app credentials or redirect URI are missing (ML not configured).
 */
export function mlConfigFromEnv(
  env: {
    ML_API_URL?: string | undefined;
    ML_AUTH_URL?: string | undefined;
    ML_APP_ID?: string | undefined;
    ML_CLIENT_SECRET?: string | undefined;
    ML_REDIRECT_URI?: string | undefined;
  } & ClientCallSettingsEnv<"ML">,
): MlConfig | undefined {
  if (!env.ML_APP_ID || !env.ML_CLIENT_SECRET || !env.ML_REDIRECT_URI) return undefined;
  return {
    apiUrl: env.ML_API_URL ?? mlDefaults.apiUrl,
    authUrl: env.ML_AUTH_URL,
    appId: env.ML_APP_ID,
    clientSecret: env.ML_CLIENT_SECRET,
    redirectUri: env.ML_REDIRECT_URI,
    ...callSettingsFromEnv("ML", env, mlDefaults),
  };
}
