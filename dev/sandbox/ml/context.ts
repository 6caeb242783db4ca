import type { Clock, FaultInjector, WebhookDeliverer } from "../common";
import type { Notifier } from "./notifications";
import type { AppRateLimiter } from "./rate-limit";
import type { MlState } from "./state";

export interface MlConfig {
  appId: string;
  clientSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  authCodeTtlSeconds: number;
  /** null accepts any redirect_uri (sandbox convenience); a list enforces ML's exact match. */
  redirectUris: string[] | null;
  /** ML's "Use PKCE" app checkbox: when on, code_challenge is mandatory. */
  requirePkce: boolean;
  /** Apps without offline_access get no refresh_token. */
  offlineAccess: boolean;
}

/** Shared by every route module. `state` is swapped on reset/seed, so read it per request. */
export interface MlContext {
  state: MlState;
  config: MlConfig;
  clock: Clock;
  faults: FaultInjector;
  webhooks: WebhookDeliverer;
  notify: Notifier;
  /** ML's per-application call limit (off unless asked for). */
  rateLimit: AppRateLimiter;
}
