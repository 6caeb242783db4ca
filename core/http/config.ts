/**
 * The settings every provider's client is tuned by, read under one naming convention
 * (<PREFIX>_TIMEOUT_MS, <PREFIX>_MAX_ATTEMPTS, <PREFIX>_TOKEN_REFRESH_MARGIN_SECONDS), so an
 * operator who knows one integration's variables knows the next one's.
 */
export interface ClientCallSettings {
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts per call, including the first (which failures are retried is the provider's rule). */
  maxAttempts: number;
  /** An access token closer than this to expiry is refreshed before use. */
  refreshMarginSeconds: number;
}

export type ClientCallSettingsEnv<P extends string> = {
  [K in `${P}_TIMEOUT_MS` | `${P}_MAX_ATTEMPTS` | `${P}_TOKEN_REFRESH_MARGIN_SECONDS`]?: number | undefined;
};

export function callSettingsFromEnv<P extends string>(prefix: P, env: ClientCallSettingsEnv<P>, defaults: ClientCallSettings): ClientCallSettings {
  return {
    timeoutMs: env[`${prefix}_TIMEOUT_MS`] ?? defaults.timeoutMs,
    maxAttempts: env[`${prefix}_MAX_ATTEMPTS`] ?? defaults.maxAttempts,
    refreshMarginSeconds: env[`${prefix}_TOKEN_REFRESH_MARGIN_SECONDS`] ?? defaults.refreshMarginSeconds,
  };
}
