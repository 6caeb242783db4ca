import { createClock, type Clock } from "../common/clock";
import type { CallCounters } from "../common/counters";
import type { FaultInjector } from "../common/faults";
import { createPersister, createSnapshotStore, type Persister } from "../common/persistence";
import { listen, type RunningServer } from "../common/server";
import type { WebhookDeliverer } from "../common/webhooks";
import { API_BASE, buildTinyApp, type ResetOptions } from "./app";
import { REALM_PATH, type AuthMode, type TokenResponse } from "./oauth";
import type { QuotaSettings, QuotaTracker } from "./quotas";
import { DEFAULT_PRODUCTS, DEFAULT_SEED, buildSeedState, defaultSkuFor, type SeedOptions } from "./seed";
import { fromSnapshot, toSnapshot, type TinyState } from "./state";

// Entry point: start a stateful Tiny ERP (API v3 + Keycloak OAuth) on loopback. Integration tests,
// benchmarks and the local demo all go through this function.

export const DEFAULT_PORT = 8792;
export const DEFAULT_CLIENT_ID = "autoecom-sandbox";
export const DEFAULT_CLIENT_SECRET = "autoecom-sandbox-secret";

export interface TinySandboxOptions {
  /** Default 8792; 0 picks a free port (tests). */
  port?: number;
  host?: string;
  seed?: number;
  /** Number of seeded products (SKU-1..SKU-n). */
  products?: number;
  skuFor?: (n: number) => string;
  /** Exact SKUs to seed (e.g. the ML sandbox demo seller's); overrides products/skuFor. */
  skus?: string[];
  clientId?: string;
  clientSecret?: string;
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  /** Authorization page behaviour: approve at once (default), deny, or show a page with both links. */
  authMode?: AuthMode;
  redirectUris?: string[];
  /** Webhook delay multiplier: real delay = Tiny's nominal delay × timeScale (0.001 → 5 min becomes 0.3 s). */
  timeScale?: number;
  webhookUrl?: string;
  /** With a URL the account is snapshotted to Postgres (JSONB) and restored on the next start. */
  databaseUrl?: string;
  snapshotName?: string;
  /** Ignore a stored snapshot and start from the seed (the snapshot is overwritten). */
  freshState?: boolean;
  quotas?: Partial<QuotaSettings>;
  /** Largest honoured `limit` (default 100). */
  maxLimit?: number;
  /** Duplicate-order window in seconds (default 30 min; observed ≥ 21 min). */
  duplicateWindowSeconds?: number;
  clock?: Clock;
}

export interface TinySandbox extends RunningServer {
  /** `${url}/public-api/v3` */
  apiUrl: string;
  authUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  clock: Clock;
  faults: FaultInjector;
  counters: CallCounters;
  quotas: QuotaTracker;
  webhooks: WebhookDeliverer;
  /** Live state (read it, do not keep it across reset()). */
  state(): TinyState;
  /** Tokens for a fresh session, skipping the browser step. */
  issueTokens(): Promise<TokenResponse>;
  setWebhookUrl(url: string | null): void;
  reset(opts?: ResetOptions): void;
  /** Writes the snapshot now (no-op without databaseUrl). */
  flush(): Promise<void>;
  startupMs: number;
}

export async function startTinySandbox(opts: TinySandboxOptions = {}): Promise<TinySandbox> {
  const started = performance.now();
  const clock = opts.clock ?? createClock();
  const seed: SeedOptions = { seed: opts.seed ?? DEFAULT_SEED, products: opts.products ?? DEFAULT_PRODUCTS, skuFor: opts.skuFor ?? defaultSkuFor, ...(opts.skus ? { skus: opts.skus } : {}) };

  let persister: Persister | null = null;
  let state: TinyState | null = null;
  if (opts.databaseUrl) {
    const store = await createSnapshotStore({ databaseUrl: opts.databaseUrl, name: opts.snapshotName ?? "tiny" });
    const saved = await store.load<unknown>();
    if (saved && !opts.freshState) state = fromSnapshot(saved);
    persister = createPersister({ store, snapshot: () => toSnapshot(tiny.ctx.state), intervalMs: 2_000 });
  }
  state ??= buildSeedState(seed);
  seed.seed = state.seed;

  const settings = { maxLimit: opts.maxLimit ?? 100, duplicateWindowMs: (opts.duplicateWindowSeconds ?? 30 * 60) * 1000, baseUrl: "" };
  const clientId = opts.clientId ?? DEFAULT_CLIENT_ID;
  const clientSecret = opts.clientSecret ?? DEFAULT_CLIENT_SECRET;
  const tiny = buildTinyApp({
    state,
    seed,
    clock,
    settings,
    oauth: {
      clientId,
      clientSecret,
      accessTokenTtlSeconds: opts.accessTokenTtlSeconds ?? 4 * 3600,
      refreshTokenTtlSeconds: opts.refreshTokenTtlSeconds ?? 24 * 3600,
      mode: opts.authMode ?? "approve",
      redirectUris: opts.redirectUris ?? [],
    },
    quotas: opts.quotas,
    webhookUrl: opts.webhookUrl ?? null,
    timeScale: opts.timeScale ?? 1,
    onChange: () => persister?.markDirty(),
  });
  // A fresh seed is worth persisting at once, so a restart finds the same account.
  persister?.markDirty();

  const server = await listen(tiny.app.fetch, { port: opts.port ?? DEFAULT_PORT, host: opts.host ?? "127.0.0.1" });
  settings.baseUrl = server.url;

  let closed: Promise<void> | undefined;
  return {
    url: server.url,
    host: server.host,
    port: server.port,
    apiUrl: `${server.url}${API_BASE}`,
    authUrl: `${server.url}${REALM_PATH}/auth`,
    tokenUrl: `${server.url}${REALM_PATH}/token`,
    clientId,
    clientSecret,
    clock,
    faults: tiny.faults,
    counters: tiny.counters,
    quotas: tiny.quotas,
    webhooks: tiny.webhooks.deliverer,
    state: () => tiny.ctx.state,
    issueTokens: () => tiny.oauth.issueTokens(),
    setWebhookUrl: (url) => tiny.webhooks.setUrl(url),
    reset: (r) => tiny.reset(r),
    flush: async () => {
      await persister?.flush();
    },
    startupMs: Math.round(performance.now() - started),
    close() {
      closed ??= (async () => {
        tiny.faults.releaseHangs();
        await tiny.webhooks.deliverer.close();
        await server.close();
        await persister?.close();
      })();
      return closed;
    },
  };
}

export type { TokenResponse } from "./oauth";
export type { QuotaSettings } from "./quotas";
export { TINY_RETRY_SCHEDULE_MS } from "./webhooks";
