import type { Context } from "hono";
import type { Config } from "../env";
import type { AppEnv } from "../lib/types";
import { enforceRateLimits, type RateLimitCheck, type RateLimitRule } from "../services/rate-limit";

interface ProviderRoute {
  method: string;
  /** Hono's route pattern, as c.req.routePath gives it. */
  path: string;
  /** For routes that reach the provider only when asked to (refresh=true, named products). */
  when?: (c: Context<AppEnv>) => boolean;
}

const asksFor = (name: string) => (c: Context<AppEnv>) => {
  const value = c.req.query(name);
  return value !== undefined && value !== "false";
};

/**
 * Routes that spend MercadoLibre's or Tiny's quota on the seller's behalf: a live read or write,
 * a token refresh, or a job (sync, push, replay) that will. ML throttles the whole application's
 * client id and Tiny the whole company, so one user's loop must run out of our budget first.
 * A test checks that each of these is still a route of the API.
 */
export const PROVIDER_ROUTES: readonly ProviderRoute[] = [
  { method: "POST", path: "/ml/auth/complete" },
  { method: "POST", path: "/tinyerp/auth/complete" },
  { method: "POST", path: "/ml/accounts/:id/sync" },
  { method: "POST", path: "/ml/accounts/:id/refresh" },
  { method: "GET", path: "/ml/listings/:id", when: asksFor("refresh") },
  { method: "GET", path: "/ml/shipments/:id", when: asksFor("refresh") },
  { method: "GET", path: "/ml/shipments/:id/label" },
  { method: "POST", path: "/ml/questions/:id/answer" },
  { method: "POST", path: "/webhooks/events/:id/replay" },
  { method: "GET", path: "/tinyerp/products" },
  { method: "POST", path: "/tinyerp/products/sync" },
  { method: "PUT", path: "/tinyerp/product-links" },
  { method: "GET", path: "/tinyerp/inventory", when: asksFor("productIds") },
  { method: "POST", path: "/tinyerp/inventory/sync" },
  { method: "GET", path: "/tinyerp/customers" },
  { method: "GET", path: "/tinyerp/customers/ml/:buyerId" },
  { method: "POST", path: "/tinyerp/customers/sync" },
  { method: "GET", path: "/tinyerp/receivables" },
  { method: "GET", path: "/tinyerp/orders/:id/receivables" },
  { method: "POST", path: "/tinyerp/orders" },
  { method: "POST", path: "/tinyerp/orders/:id/resend" },
  { method: "GET", path: "/tinyerp/orders/:id" },
  { method: "GET", path: "/tinyerp/shipping-groups" },
  { method: "GET", path: "/tinyerp/orders/:id/shipping-label" },
];

function spendsProviderQuota(c: Context<AppEnv>): boolean {
  const route = PROVIDER_ROUTES.find((candidate) => candidate.method === c.req.method && candidate.path === c.req.routePath);
  return route !== undefined && (route.when?.(c) ?? true);
}

const apiRule = (config: Config): RateLimitRule => ({ name: "api-user", limit: config.API_RATE_LIMIT_PER_MINUTE, windowSeconds: 60 });
const providerRule = (config: Config): RateLimitRule => ({ name: "api-user-provider", limit: config.API_PROVIDER_RATE_LIMIT_PER_MINUTE, windowSeconds: 60 });

/**
 * Every authenticated request counts against its user's budget, and one that spends a provider's
 * quota against a tighter one too, so one user cannot starve the others (429 with Retry-After).
 */
export async function limitUserRequests(c: Context<AppEnv>): Promise<void> {
  const services = c.get("services");
  const subject = c.get("principal").userId;
  const checks: RateLimitCheck[] = [{ rule: apiRule(services.config), subject }];
  if (spendsProviderQuota(c)) checks.push({ rule: providerRule(services.config), subject });
  await enforceRateLimits(services, checks);
}
