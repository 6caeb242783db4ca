import { randomUUID } from "node:crypto";
import { Hono, type Context, type ErrorHandler } from "hono";
import type { Clock } from "../common/clock";
import { createCallCounters, type CallCounters } from "../common/counters";
import { createFaultInjector, type FaultInjector, type FaultRenderInput } from "../common/faults";
import { registerContactRoutes } from "./contacts";
import type { TinyContext, TinySettings } from "./context";
import { registerControlRoutes } from "./control";
import { registerFinanceRoutes } from "./finance";
import { TinyError, errorResponse } from "./http";
import { registerInvoiceRoutes } from "./invoices";
import { registerLookupRoutes } from "./lookups";
import { createOAuthServer, type OAuthServer, type OAuthSettings } from "./oauth";
import { registerOrderRoutes } from "./orders";
import { registerProductRoutes } from "./products";
import { createQuotaTracker, type QuotaSettings, type QuotaTracker } from "./quotas";
import { buildSeedState, formatCnpj, type SeedOptions } from "./seed";
import { registerShippingRoutes } from "./shipping";
import type { TinyState } from "./state";
import { ReservationIndex, registerStockRoutes } from "./stock";
import { createTinyWebhooks, type TinyWebhooks } from "./webhooks";

// Wires the Tiny account, its API (/public-api/v3), the Keycloak endpoints and the /_sandbox
// control surface into one Hono app. Middleware order matters: counters see everything, faults
// come before auth (a flaky gateway fails before checking tokens), quotas come after auth
// (they are per account, and only a valid token names the account).

export const API_BASE = "/public-api/v3";

export interface TinyAppOptions {
  state: TinyState;
  seed: SeedOptions;
  clock: Clock;
  oauth: OAuthSettings;
  quotas?: Partial<QuotaSettings>;
  settings: TinySettings;
  webhookUrl?: string | null;
  timeScale?: number;
  onChange?: () => void;
}

export interface TinyApp {
  app: Hono;
  ctx: TinyContext;
  oauth: OAuthServer;
  quotas: QuotaTracker;
  faults: FaultInjector;
  counters: CallCounters;
  webhooks: TinyWebhooks;
  reset(opts?: ResetOptions): void;
}

export interface ResetOptions {
  seed?: number;
  products?: number;
  skus?: string[];
}

/** Tiny's failure bodies: 500 carries {mensagem}, 429 and gateway errors come back empty. */
function renderFault(quotas: QuotaTracker) {
  return ({ kind, status }: FaultRenderInput): Response => {
    if (kind === "rate_limit") {
      const q = quotas.settings();
      return new Response(null, { status, headers: { "X-RateLimit-Limit": String(q.readPerMinute), "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "60" } });
    }
    if (kind === "error" && status === 500) return Response.json({ mensagem: "Internal Server Error" }, { status });
    return new Response(null, { status });
  };
}

export function buildTinyApp(opts: TinyAppOptions): TinyApp {
  const webhooks = createTinyWebhooks({ url: opts.webhookUrl ?? null, timeScale: opts.timeScale ?? 1, seed: opts.seed.seed, now: () => opts.clock.now() });
  const ctx: TinyContext = {
    state: opts.state,
    clock: opts.clock,
    settings: opts.settings,
    reservations: new ReservationIndex(),
    events: { stockChanged: () => undefined, orderCreated: () => undefined, orderUpdated: () => undefined },
    changed: () => opts.onChange?.(),
  };
  ctx.events = webhooks.events(ctx);

  const quotas = createQuotaTracker(opts.clock, opts.quotas);
  const counters = createCallCounters();
  const faults = createFaultInjector({
    seed: opts.seed.seed,
    accountOf: (c) => (c.req.path.startsWith(API_BASE) ? ctx.state.account.id : undefined),
    render: renderFault(quotas),
  });
  const oauth = createOAuthServer(ctx, opts.oauth);

  const onError: ErrorHandler = (err, c) => {
    if (err instanceof TinyError) return errorResponse(c, err);
    console.error("[tiny-sandbox] unhandled error:", err);
    return c.json({ mensagem: "Internal Server Error" }, 500);
  };

  const api = new Hono();
  api.use("*", async (c, next) => {
    await next();
    c.res.headers.set("X-Request-Id", randomUUID());
  });
  api.use("*", oauth.requireBearer);
  api.use(
    "*",
    quotas.middleware(() => ctx.state.account.id),
  );
  api.get("/info", (c) => {
    const a = ctx.state.account;
    return c.json({
      razaoSocial: a.razaoSocial,
      cpfCnpj: formatCnpj(a.cnpj),
      fantasia: a.fantasia,
      enderecoEmpresa: { ...a.endereco },
      fone: a.fone,
      email: a.email,
      inscricaoEstadual: a.inscricaoEstadual,
      regimeTributario: a.regimeTributario,
    });
  });
  registerProductRoutes(api, ctx);
  registerStockRoutes(api, ctx);
  registerContactRoutes(api, ctx);
  registerOrderRoutes(api, ctx);
  registerInvoiceRoutes(api, ctx, faults);
  registerShippingRoutes(api, ctx);
  registerFinanceRoutes(api, ctx);
  registerLookupRoutes(api, ctx);
  api.notFound((c: Context) => c.json({ mensagem: "Recurso não encontrado" }, 404));
  api.onError(onError);

  const app = new Hono();
  app.use("*", counters.middleware);
  app.use("*", faults.middleware);
  oauth.register(app);
  app.route(API_BASE, api);

  const reset = (r: ResetOptions = {}) => {
    const prev = ctx.state;
    // A new product count or SKU list replaces the previous one; otherwise the start-up choice holds.
    if (r.seed !== undefined) opts.seed.seed = r.seed;
    if (r.skus !== undefined) opts.seed.skus = r.skus;
    else if (r.products !== undefined) {
      opts.seed.products = r.products;
      delete opts.seed.skus;
    }
    const next = buildSeedState(opts.seed);
    // Same seed = same account: keep OAuth sessions so connected clients need not re-authorise.
    if (next.seed === prev.seed) {
      next.oauthSessions = prev.oauthSessions;
      next.oauthCodes = prev.oauthCodes;
    }
    ctx.state = next;
    ctx.reservations.invalidate();
    quotas.reset();
    counters.reset();
    faults.clear();
    webhooks.deliverer.clearLog();
    ctx.changed();
  };

  registerControlRoutes(app, { ctx, oauth, quotas, faults, counters, webhooks, clock: opts.clock, reset });
  app.notFound((c) => c.json({ error: "not_found", message: `${c.req.method} ${c.req.path} is not a Tiny endpoint` }, 404));
  app.onError(onError);

  return { app, ctx, oauth, quotas, faults, counters, webhooks, reset };
}
