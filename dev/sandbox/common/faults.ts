import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import { createRng, type Rng } from "./rng";

// Fault injection lets integration tests prove the client survives what real providers do
// (slow answers, 5xx bursts, 429 with and without Retry-After, requests that never finish)
// without patching the client. Decisions come from a seeded RNG so a failing run can be replayed.

export const faultRuleSchema = z.strictObject({
  id: z.string().optional(),
  /** Limit the rule to one method and/or path. Path: exact, or `*` for one segment, or a trailing `/**` for any suffix. */
  match: z
    .object({
      method: z.string().optional(),
      path: z.string().optional(),
    })
    .optional(),
  latencyMs: z.number().int().min(0).optional(),
  latencyJitterMs: z.number().int().min(0).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  errorStatus: z.number().int().min(500).max(599).optional(),
  rateLimitRate: z.number().min(0).max(1).optional(),
  /** Seconds for the Retry-After header; omit or null to send a 429 without it (as ML does). */
  retryAfterSeconds: z.number().int().min(0).nullable().optional(),
  hangRate: z.number().min(0).max(1).optional(),
  /** How long a hung request is held before a 504; the client is expected to time out first. */
  hangMs: z.number().int().min(0).optional(),
  /** Remove the rule after it has injected this many faults (e.g. "the next 2 calls get 429"). */
  times: z.number().int().min(1).optional(),
  /** Sandbox-specific knobs (for example ML's partial order responses); common code ignores them. */
  extra: z.record(z.string(), z.unknown()).optional(),
});

export type FaultRule = z.infer<typeof faultRuleSchema>;
export type FaultKind = "error" | "rate_limit" | "hang";

export interface FaultConfig {
  global: FaultRule[];
  accounts: Record<string, FaultRule[]>;
}

export interface FaultRenderInput {
  kind: FaultKind;
  status: number;
  retryAfterSeconds: number | null;
  rule: FaultRule;
  c: Context;
}

export interface FaultInjectorOptions {
  seed?: number | string;
  /** Map a request to an account key (seller id, API token owner); undefined means only global rules apply. */
  accountOf?: (c: Context) => string | undefined;
  /** Render the body of an injected failure the way the simulated provider would. */
  render?: (input: FaultRenderInput) => Response;
  /** Paths that never receive faults; control endpoints must stay reachable. Default: /_sandbox prefix. */
  bypass?: (path: string) => boolean;
}

export interface FaultInjector {
  middleware: MiddlewareHandler;
  config(): FaultConfig;
  set(scope: string | undefined, rules: FaultRule[]): FaultRule[];
  add(scope: string | undefined, rule: FaultRule): FaultRule;
  clear(scope?: string): void;
  /** Rules that apply to a request, account rules first; lets sandboxes read their own `extra` knobs. */
  rulesFor(account: string | undefined, method: string, path: string): FaultRule[];
  /** Count a rule as fired (for `times`) when sandbox code, not the middleware, applied it. */
  consume(rule: FaultRule): void;
  rng(): Rng;
  /** Release requests currently held by hang faults (called on server close). */
  releaseHangs(): void;
}

export function pathMatches(pattern: string, path: string): boolean {
  if (pattern === path || pattern === "*" || pattern === "/**") return true;
  const p = pattern.split("/");
  const s = path.split("/");
  for (let i = 0; i < p.length; i++) {
    const seg = p[i];
    if (seg === "**") return true;
    if (i >= s.length) return false;
    if (seg !== "*" && seg !== s[i]) return false;
  }
  return p.length === s.length;
}

function ruleMatches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.match?.method && rule.match.method.toUpperCase() !== method.toUpperCase()) return false;
  if (rule.match?.path && !pathMatches(rule.match.path, path)) return false;
  return true;
}

const GLOBAL = "global";

function defaultRender({ kind, status }: FaultRenderInput): Response {
  const error = kind === "rate_limit" ? "too_many_requests" : kind === "hang" ? "gateway_timeout" : "internal_error";
  return Response.json({ message: `sandbox injected ${kind}`, error, status }, { status });
}

export function createFaultInjector(opts: FaultInjectorOptions = {}): FaultInjector {
  let random = createRng(opts.seed ?? 1).fork("faults");
  const scopes = new Map<string, FaultRule[]>();
  const hangs = new Set<() => void>();
  let nextId = 1;
  const render = opts.render ?? defaultRender;
  const bypass = opts.bypass ?? ((path: string) => path.startsWith("/_sandbox"));

  const withId = (rule: FaultRule): FaultRule => ({ ...rule, id: rule.id ?? `fault_${nextId++}` });

  function consume(rule: FaultRule): void {
    if (rule.times === undefined) return;
    rule.times -= 1;
    if (rule.times > 0) return;
    for (const [scope, rules] of scopes) {
      const idx = rules.indexOf(rule);
      if (idx >= 0) {
        rules.splice(idx, 1);
        if (rules.length === 0) scopes.delete(scope);
      }
    }
  }

  function rulesFor(account: string | undefined, method: string, path: string): FaultRule[] {
    const out: FaultRule[] = [];
    if (account !== undefined) for (const r of scopes.get(`account:${account}`) ?? []) if (ruleMatches(r, method, path)) out.push(r);
    for (const r of scopes.get(GLOBAL) ?? []) if (ruleMatches(r, method, path)) out.push(r);
    return out;
  }

  function hold(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        hangs.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      hangs.add(done);
    });
  }

  const middleware: MiddlewareHandler = async (c, next) => {
    const path = c.req.path;
    if (bypass(path) || scopes.size === 0) return next();
    const account = opts.accountOf?.(c);
    const rules = rulesFor(account, c.req.method, path);
    if (rules.length === 0) return next();

    let latency = 0;
    for (const r of rules) {
      if (r.latencyMs !== undefined || r.latencyJitterMs !== undefined) {
        latency += (r.latencyMs ?? 0) + (r.latencyJitterMs ? random.int(0, r.latencyJitterMs) : 0);
      }
    }
    if (latency > 0) await hold(latency);

    for (const r of rules) {
      if (r.hangRate !== undefined && random.chance(r.hangRate)) {
        consume(r);
        await hold(r.hangMs ?? 120_000);
        return render({ kind: "hang", status: 504, retryAfterSeconds: null, rule: r, c });
      }
      if (r.errorRate !== undefined && random.chance(r.errorRate)) {
        consume(r);
        return render({ kind: "error", status: r.errorStatus ?? 500, retryAfterSeconds: null, rule: r, c });
      }
      if (r.rateLimitRate !== undefined && random.chance(r.rateLimitRate)) {
        consume(r);
        const retryAfter = r.retryAfterSeconds ?? null;
        const res = render({ kind: "rate_limit", status: 429, retryAfterSeconds: retryAfter, rule: r, c });
        if (retryAfter !== null) res.headers.set("Retry-After", String(retryAfter));
        return res;
      }
    }
    // Latency-only rules count each matching request as one firing.
    for (const r of rules) {
      if (r.errorRate === undefined && r.rateLimitRate === undefined && r.hangRate === undefined && r.extra === undefined) consume(r);
    }
    return next();
  };

  return {
    middleware,
    rulesFor,
    consume,
    rng: () => random,
    config() {
      const accounts: Record<string, FaultRule[]> = {};
      for (const [scope, rules] of scopes) if (scope !== GLOBAL) accounts[scope.slice("account:".length)] = rules.map((r) => ({ ...r }));
      return { global: (scopes.get(GLOBAL) ?? []).map((r) => ({ ...r })), accounts };
    },
    set(scope, rules) {
      const key = scope === undefined || scope === GLOBAL ? GLOBAL : `account:${scope}`;
      const stored = rules.map(withId);
      if (stored.length === 0) scopes.delete(key);
      else scopes.set(key, stored);
      return stored;
    },
    add(scope, rule) {
      const key = scope === undefined || scope === GLOBAL ? GLOBAL : `account:${scope}`;
      const stored = withId(rule);
      scopes.set(key, [...(scopes.get(key) ?? []), stored]);
      return stored;
    },
    clear(scope) {
      if (scope === undefined) {
        scopes.clear();
        random = createRng(opts.seed ?? 1).fork("faults");
      } else scopes.delete(scope === GLOBAL ? GLOBAL : `account:${scope}`);
    },
    releaseHangs() {
      for (const release of [...hangs]) release();
    },
  };
}
