import type { Hono } from "hono";
import {
  createCallCounters,
  createClock,
  createFaultInjector,
  createPersister,
  createSnapshotStore,
  createWebhookDeliverer,
  listen,
  type CallCounters,
  type FaultInjector,
  type Persister,
  type RunningServer,
  type WebhookDeliverer,
  type WebhookSettings,
} from "../common";
import { accountOfRequest } from "./auth";
import { buildMlApp } from "./app";
import type { MlConfig, MlContext } from "./context";
import { issueTokens } from "./oauth";
import { createNotifier, ML_ACK_DEADLINE_MS, ML_RETRY_SCHEDULE_MS, recordMissedFeed } from "./notifications";
import { createAppRateLimiter, ML_DOCUMENTED_APP_RATE_PER_SECOND } from "./rate-limit";
import { clearScrolls } from "./scroll";
import { defaultSeedParams, seedState } from "./seed";
import { applySnapshot, DEMO_SELLER_ID, SECOND_SELLER_ID, toSnapshot, type MlSnapshot, type MlState, type SeedParams } from "./state";

export { DEMO_SELLER_ID, SECOND_SELLER_ID, OPERATOR_USER_ID } from "./state";
export { ML_DOCUMENTED_APP_RATE_PER_SECOND } from "./rate-limit";
export type { MlContext } from "./context";

export const ML_DEFAULT_PORT = 8791;

/** Every SKU a seller's listings carry (SELLER_SKU, item or variation level), e.g. to seed an ERP with the same catalogue. */
export function sellerSkus(sb: { ctx: MlContext }, sellerId: number = DEMO_SELLER_ID): string[] {
  const state = sb.ctx.state;
  const out = new Set<string>();
  for (const id of state.sellerItems.get(sellerId) ?? []) {
    const item = state.items.get(id);
    if (!item) continue;
    if (item.sku) out.add(item.sku);
    for (const v of item.variations ?? []) if (v.sku) out.add(v.sku);
  }
  return [...out];
}

export interface MlSandboxOptions {
  port?: number;
  host?: string;
  seed?: number;
  /** Demo seller listings (default 500, up to 100,000). */
  listings?: number;
  /** Demo seller orders (default 60). */
  orders?: number;
  questions?: number;
  claims?: number;
  secondSellerListings?: number;
  /** Fixed "now" for seed timestamps; default is the current hour, so reruns in the same hour match. */
  anchor?: number;
  /** Where notifications are POSTed (ML's app callback URL). */
  callbackUrl?: string;
  /** Subscribed topics; default all. */
  topics?: string[];
  appId?: string;
  clientSecret?: string;
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  redirectUris?: string[];
  requirePkce?: boolean;
  offlineAccess?: boolean;
  /** Multiplies the notification retry schedule (0.001 = one hour of retries in 3.6 s). */
  timeScale?: number;
  /** Override any webhook delivery setting (ack deadline, schedule, drop/duplicate/reorder rates). */
  webhooks?: Partial<WebhookSettings>;
  /** Persist state to Postgres (JSONB snapshot) so a demo survives restarts. */
  databaseUrl?: string;
  /** Ignore a stored snapshot and start from the seed. */
  freshState?: boolean;
  persistIntervalMs?: number;
  /**
   * ML's per-application rate limit (docs/sandbox.md, "Rate limit"): `{}` turns it on at the
   * documented 5 calls/s; off by default, so tests and the local stack are never throttled.
   */
  rateLimit?: { perSecond?: number; retryAfter?: boolean };
}

export interface MlSandbox extends RunningServer {
  app: Hono;
  appId: string;
  clientSecret: string;
  sellers: { demo: { id: number; nickname: string }; second: { id: number; nickname: string } };
  /** Live context (state, clock, faults, webhooks) for tests that need to look inside. */
  ctx: MlContext;
  counters: CallCounters;
  faults: FaultInjector;
  webhooks: WebhookDeliverer;
  /** Mint a token pair for a user without the browser OAuth flow. */
  issueToken(userId?: number): { access_token: string; refresh_token?: string; user_id: number; expires_in: number };
  reset(): void;
  /** Write the snapshot now (no-op without databaseUrl). */
  flush(): Promise<void>;
  startupMs: number;
}

export async function startMlSandbox(opts: MlSandboxOptions = {}): Promise<MlSandbox> {
  const started = performance.now();
  const clock = createClock();
  const seed = opts.seed ?? 1;
  const initialParams: SeedParams = {
    ...defaultSeedParams(opts.anchor ?? Math.floor(clock.now() / 3600_000) * 3600_000),
    seed,
    ...(opts.listings !== undefined ? { listings: opts.listings } : {}),
    ...(opts.orders !== undefined ? { orders: opts.orders } : {}),
    ...(opts.questions !== undefined ? { questions: opts.questions } : {}),
    ...(opts.claims !== undefined ? { claims: opts.claims } : {}),
    ...(opts.secondSellerListings !== undefined ? { secondSellerListings: opts.secondSellerListings } : {}),
  };
  const config: MlConfig = {
    appId: opts.appId ?? "5503910054141466",
    clientSecret: opts.clientSecret ?? "sandbox-client-secret",
    accessTokenTtlSeconds: opts.accessTokenTtlSeconds ?? 21_600,
    refreshTokenTtlSeconds: opts.refreshTokenTtlSeconds ?? 180 * 24 * 3600,
    authCodeTtlSeconds: 600,
    redirectUris: opts.redirectUris ?? null,
    requirePkce: opts.requirePkce ?? false,
    offlineAccess: opts.offlineAccess ?? true,
  };
  const applicationId = Number(config.appId);

  let persister: Persister | undefined;
  const fresh = (params: SeedParams): MlState => {
    const s = seedState(params);
    s.callback = { url: opts.callbackUrl ?? null, topics: opts.topics ?? null };
    s.onChange = () => persister?.markDirty();
    return s;
  };

  const store = opts.databaseUrl ? await createSnapshotStore({ databaseUrl: opts.databaseUrl, name: "ml" }) : undefined;
  let state: MlState;
  const snap = store && !opts.freshState ? await store.load<MlSnapshot>() : null;
  if (snap && snap.version === 1) {
    state = fresh(snap.params);
    applySnapshot(state, snap);
    state.onChange = () => persister?.markDirty();
  } else {
    state = fresh(initialParams);
  }
  const startParams = state.params;

  // ctx is filled in below; the deliverer and fault injector only reach it at request time.
  const ctx = {} as MlContext;
  const webhooks = createWebhookDeliverer({
    seed,
    retrySchedule: ML_RETRY_SCHEDULE_MS,
    attemptTimeoutMs: ML_ACK_DEADLINE_MS,
    timeScale: opts.timeScale ?? 1,
    ...opts.webhooks,
    now: clock.now,
    isSuccess: (status) => status === 200,
    onExhausted: (d) => recordMissedFeed(ctx.state, d, applicationId, clock.now()),
  });
  const faults = createFaultInjector({
    seed,
    accountOf: (c) => accountOfRequest(ctx, c),
    render: ({ kind, status, c }) =>
      c.json(
        kind === "rate_limit"
          ? { message: "Too many requests", error: "local_rate_limited", status, cause: [] }
          : kind === "hang"
            ? { message: "Gateway timeout", error: "gateway_timeout", status, cause: [] }
            : { message: "Internal server error", error: "internal_error", status, cause: [] },
        status as 429,
      ),
  });
  const counters = createCallCounters();
  Object.assign(ctx, {
    state,
    config,
    clock,
    faults,
    webhooks,
    notify: createNotifier({ getState: () => ctx.state, webhooks, clock, applicationId }),
    rateLimit: createAppRateLimiter({ perSecond: opts.rateLimit ? (opts.rateLimit.perSecond ?? ML_DOCUMENTED_APP_RATE_PER_SECOND) : null, retryAfter: opts.rateLimit?.retryAfter ?? false }, clock),
  } satisfies MlContext);

  const reset = () => {
    ctx.state = fresh(startParams);
    clearScrolls(ctx);
    faults.clear();
    ctx.rateLimit.reset();
    counters.reset();
    webhooks.clearLog();
    clock.reset();
    persister?.markDirty();
  };
  const app = buildMlApp(ctx, counters, {
    reset,
    reseed(patch) {
      ctx.state = fresh({ ...ctx.state.params, ...patch });
      clearScrolls(ctx);
      persister?.markDirty();
    },
  });

  if (store) {
    persister = createPersister({ store, snapshot: () => toSnapshot(ctx.state), intervalMs: opts.persistIntervalMs ?? 5_000 });
    if (!snap) persister.markDirty();
  }

  const server = await listen(app.fetch, { port: opts.port ?? ML_DEFAULT_PORT, host: opts.host ?? "127.0.0.1" });
  const nickname = (id: number) => ctx.state.users.get(id)?.nickname ?? "";
  let closed: Promise<void> | undefined;
  return {
    url: server.url,
    host: server.host,
    port: server.port,
    app,
    appId: config.appId,
    clientSecret: config.clientSecret,
    sellers: { demo: { id: DEMO_SELLER_ID, nickname: nickname(DEMO_SELLER_ID) }, second: { id: SECOND_SELLER_ID, nickname: nickname(SECOND_SELLER_ID) } },
    ctx,
    counters,
    faults,
    webhooks,
    issueToken: (userId = DEMO_SELLER_ID) => issueTokens(ctx, userId, config.appId, ctx.state.rng.uuid()),
    reset,
    flush: () => persister?.flush() ?? Promise.resolve(),
    startupMs: performance.now() - started,
    close() {
      closed ??= (async () => {
        faults.releaseHangs();
        await webhooks.close();
        await server.close();
        await persister?.close();
        if (!persister) await store?.close();
      })();
      return closed;
    },
  };
}
