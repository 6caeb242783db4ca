import type { Context, MiddlewareHandler } from "hono";
import type { Clock } from "../common/clock";

// Tiny limits each ERP account (all apps and tokens together) per minute, with separate read (GET)
// and write buckets, plus a short burst bucket measured at 4 requests/second. A 429 has an empty
// body and no Retry-After; only X-RateLimit-Reset (seconds, not an epoch) says when to retry.

export interface QuotaSettings {
  enabled: boolean;
  readPerMinute: number;
  writePerMinute: number;
  /** null disables the burst bucket. */
  burstPerSecond: number | null;
}

/** Plan "Evoluir" numbers plus the burst bucket measured on a real account. */
export const defaultQuotaSettings: QuotaSettings = { enabled: true, readPerMinute: 60, writePerMinute: 60, burstPerSecond: 4 };

interface Window {
  start: number;
  used: number;
}

export interface QuotaDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetSeconds: number;
}

export interface QuotaTracker {
  settings(): QuotaSettings;
  configure(patch: Partial<QuotaSettings>): QuotaSettings;
  /** Consumes one request of the given kind for the account, or refuses it. */
  take(account: string, kind: "read" | "write"): QuotaDecision;
  /** Current state without consuming, for the control endpoint. */
  peek(account: string): Record<"read" | "write", { limit: number; used: number; resetSeconds: number }>;
  reset(): void;
  middleware(accountOf: (c: Context) => string | undefined): MiddlewareHandler;
}

export function createQuotaTracker(clock: Clock, initial: Partial<QuotaSettings> = {}): QuotaTracker {
  let settings: QuotaSettings = { ...defaultQuotaSettings, ...initial };
  let windows = new Map<string, Window>();

  const current = (key: string, lengthMs: number, now: number): Window => {
    let w = windows.get(key);
    if (!w || now >= w.start + lengthMs) {
      w = { start: now, used: 0 };
      windows.set(key, w);
    }
    return w;
  };
  const secondsLeft = (w: Window, lengthMs: number, now: number) => Math.max(1, Math.ceil((w.start + lengthMs - now) / 1000));

  const take: QuotaTracker["take"] = (account, kind) => {
    const now = clock.now();
    const perMinute = kind === "read" ? settings.readPerMinute : settings.writePerMinute;
    const minute = current(`${account}:${kind}:m`, 60_000, now);
    if (!settings.enabled) return { allowed: true, limit: perMinute, remaining: perMinute, resetSeconds: secondsLeft(minute, 60_000, now) };
    if (minute.used >= perMinute) return { allowed: false, limit: perMinute, remaining: 0, resetSeconds: secondsLeft(minute, 60_000, now) };
    if (settings.burstPerSecond !== null) {
      const burst = current(`${account}:${kind}:s`, 1_000, now);
      if (burst.used >= settings.burstPerSecond) return { allowed: false, limit: settings.burstPerSecond, remaining: 0, resetSeconds: 1 };
      burst.used += 1;
    }
    minute.used += 1;
    return { allowed: true, limit: perMinute, remaining: perMinute - minute.used, resetSeconds: secondsLeft(minute, 60_000, now) };
  };

  return {
    settings: () => ({ ...settings }),
    configure(patch) {
      settings = { ...settings, ...patch };
      return { ...settings };
    },
    take,
    peek(account) {
      const now = clock.now();
      const view = (kind: "read" | "write") => {
        const w = windows.get(`${account}:${kind}:m`);
        const live = w && now < w.start + 60_000 ? w : undefined;
        return { limit: kind === "read" ? settings.readPerMinute : settings.writePerMinute, used: live?.used ?? 0, resetSeconds: live ? secondsLeft(live, 60_000, now) : 60 };
      };
      return { read: view("read"), write: view("write") };
    },
    reset() {
      windows = new Map();
    },
    middleware(accountOf) {
      return async (c, next) => {
        const account = accountOf(c);
        if (account === undefined) return next();
        const decision = take(account, c.req.method === "GET" || c.req.method === "HEAD" ? "read" : "write");
        const headers = {
          "X-RateLimit-Limit": String(decision.limit),
          "X-RateLimit-Remaining": String(decision.remaining),
          "X-RateLimit-Reset": String(decision.resetSeconds),
        };
        if (!decision.allowed) return new Response(null, { status: 429, headers });
        await next();
        for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
      };
    },
  };
}
