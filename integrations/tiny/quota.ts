import type { TinyQuotaSettings } from "./config";
import { TinyApiError, rateLimitResetSeconds } from "./errors";

/**
 * Tiny meters each ERP company per minute, reads (GET) and writes separately, plus a burst
 * bucket of about 4 requests a second; every app of the company draws from the same budget.
 * Exceeding it earns a 429 with an empty body and no Retry-After. So every caller of one
 * company (all jobs, all Worker requests, even two AutoEcom users sharing the company) takes
 * a slot from one shared store before calling, and what Tiny reports back in
 * `X-RateLimit-Remaining/Reset` — which also counts the other apps — closes the window for
 * everyone until it resets.
 */
export type TinyCallKind = "read" | "write";

export interface TakeResult {
  granted: boolean;
  /** When not granted: how long until a slot can exist. */
  waitMs: number;
}

export interface TinyQuotaStore {
  take(input: { key: string; kind: TinyCallKind; nowMs: number; perMinute: number; perSecond: number }): Promise<TakeResult>;
  /** No call of this kind before `untilMs` (only ever moves the mark later). */
  block(input: { key: string; kind: TinyCallKind; nowMs: number; untilMs: number }): Promise<void>;
}

/**
 * Tiny's windows start wherever Tiny starts them (measured: at the first request), so fixed
 * windows aligned to our clock would let up to twice the budget into one of Tiny's. A sliding
 * log does not: no window of this length, wherever it starts, ever holds more than the budget.
 * The margins absorb latency jitter between our clock and Tiny's arrival times.
 */
export const MINUTE_WINDOW_MS = 61_000;
export const SECOND_WINDOW_MS = 1_100;

/**
 * One round trip per slot: honour a block mark, then check and record the call in a sliding
 * log per window (sorted sets bounded by the budget). Runs unchanged on Redis (jobs, ioredis)
 * and Upstash (Worker, REST EVAL).
 */
export const TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
local blocked = tonumber(redis.call('GET', KEYS[1]) or '0')
if blocked > now then return {0, blocked - now} end
local windows = { {KEYS[2], tonumber(ARGV[2]), tonumber(ARGV[5])}, {KEYS[3], tonumber(ARGV[3]), tonumber(ARGV[6])} }
for _, w in ipairs(windows) do
  redis.call('ZREMRANGEBYSCORE', w[1], '-inf', now - w[3])
  if redis.call('ZCARD', w[1]) >= w[2] then
    local oldest = redis.call('ZRANGE', w[1], 0, 0, 'WITHSCORES')
    return {0, tonumber(oldest[2]) + w[3] - now + 1}
  end
end
for _, w in ipairs(windows) do
  redis.call('ZADD', w[1], now, ARGV[4])
  redis.call('PEXPIRE', w[1], w[3] + 1000)
end
return {1, 0}
`;

export const BLOCK_SCRIPT = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local untilMs = tonumber(ARGV[1])
if untilMs > cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', math.max(1, untilMs - tonumber(ARGV[2])))
end
return 1
`;

/** `EVAL script keys args` as each Redis client spells it (ioredis and @upstash/redis differ). */
export type RedisEval = (script: string, keys: string[], args: string[]) => Promise<unknown>;

/** `prefix` is the deployment's key prefix, e.g. "autoecom:tiny-quota". */
export function createRedisQuotaStore(evalScript: RedisEval, prefix: string): TinyQuotaStore {
  const base = (key: string, kind: TinyCallKind) => `${prefix}:${key}:${kind}`;
  return {
    async take({ key, kind, nowMs, perMinute, perSecond }) {
      const result = (await evalScript(
        TAKE_SCRIPT,
        [`${base(key, kind)}:block`, `${base(key, kind)}:m`, `${base(key, kind)}:s`],
        [String(nowMs), String(perMinute), String(perSecond), `${nowMs}:${crypto.randomUUID()}`, String(MINUTE_WINDOW_MS), String(SECOND_WINDOW_MS)],
      )) as [number | string, number | string];
      return { granted: Number(result[0]) === 1, waitMs: Math.max(1, Number(result[1])) };
    },
    async block({ key, kind, nowMs, untilMs }) {
      await evalScript(BLOCK_SCRIPT, [`${base(key, kind)}:block`], [String(Math.ceil(untilMs)), String(nowMs)]);
    },
  };
}

/** Same semantics in process memory: for a single process without Redis, and for tests of the logic. */
export function createMemoryQuotaStore(): TinyQuotaStore {
  const logs = new Map<string, number[]>();
  const blocks = new Map<string, number>();
  return {
    async take({ key, kind, nowMs, perMinute, perSecond }) {
      const k = `${key}:${kind}`;
      const blocked = blocks.get(k) ?? 0;
      if (blocked > nowMs) return { granted: false, waitMs: blocked - nowMs };
      const windows: Array<[string, number, number]> = [
        [`${k}:m`, perMinute, MINUTE_WINDOW_MS],
        [`${k}:s`, perSecond, SECOND_WINDOW_MS],
      ];
      for (const [name, limit, length] of windows) {
        const log = (logs.get(name) ?? []).filter((t) => t > nowMs - length);
        logs.set(name, log);
        if (log.length >= limit) return { granted: false, waitMs: log[0]! + length - nowMs + 1 };
      }
      for (const [name] of windows) logs.get(name)!.push(nowMs);
      return { granted: true, waitMs: 0 };
    },
    async block({ key, kind, untilMs }) {
      const k = `${key}:${kind}`;
      if (untilMs > (blocks.get(k) ?? 0)) blocks.set(k, untilMs);
    },
  };
}

export interface TinyQuota {
  /**
   * Waits for a slot (up to `maxWaitMs`, default from the settings). Beyond that it throws a
   * retryable 429 TinyApiError carrying how long to wait, so jobs back off and the Worker
   * answers 429 with Retry-After instead of holding the request.
   */
  acquire(key: string, kind: TinyCallKind, options?: { maxWaitMs?: number; signal?: AbortSignal }): Promise<void>;
  /** Feeds Tiny's answer back: a 429, or a window Tiny says is exhausted, blocks every caller until its reset. */
  observe(key: string, kind: TinyCallKind, status: number, headers: Headers): Promise<void>;
}

export interface TinyQuotaDeps {
  store: TinyQuotaStore;
  settings: TinyQuotaSettings;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      },
      { once: true },
    );
  });

export function createTinyQuota(deps: TinyQuotaDeps): TinyQuota {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const { settings } = deps;
  return {
    async acquire(key, kind, options = {}) {
      const maxWaitMs = options.maxWaitMs ?? settings.maxWaitMs;
      const perMinute = kind === "read" ? settings.readsPerMinute : settings.writesPerMinute;
      const started = now();
      for (;;) {
        const result = await deps.store.take({ key, kind, nowMs: now(), perMinute, perSecond: settings.burstPerSecond });
        if (result.granted) return;
        const waited = now() - started;
        if (waited + result.waitMs > maxWaitMs) {
          throw new TinyApiError("rate_limited", `Tiny's ${kind} quota for this account is used up; retry in ${Math.ceil(result.waitMs / 1000)} s.`, {
            endpoint: `quota:${kind}`,
            retryable: true,
            retryAfterSeconds: Math.max(1, Math.ceil(result.waitMs / 1000)),
          });
        }
        // A few ms past the window edge, so the retry lands in the new window.
        await sleep(result.waitMs + 5, options.signal);
      }
    },
    async observe(key, kind, status, headers) {
      const reset = rateLimitResetSeconds(headers);
      const remaining = headers.get("x-ratelimit-remaining");
      const exhausted = status === 429 || (remaining !== null && Number(remaining.trim()) <= 0);
      if (!exhausted) return;
      const nowMs = now();
      await deps.store.block({ key, kind, nowMs, untilMs: nowMs + Math.max(1, reset ?? 60) * 1000 });
    },
  };
}
