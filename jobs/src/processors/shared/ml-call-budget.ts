import type { Redis } from "ioredis";

/**
 * One budget of ML calls for the whole application, shared by every jobs container through Redis.
 *
 * ML limits calls per application (client id) and endpoint, not per seller, and publishes no number
 * (docs/webhooks.md, "ML call budget"). So the budget is:
 * - an app-wide token bucket at the current rate, holding at most one second of calls;
 * - a fair share of it per seller: each seller active in the last second earns credit at rate / n
 *   (n = active sellers), and a call needs an app token and a credit. Credit nobody uses stays in the
 *   app bucket, and once the bucket is more than half full anyone may take from it, so a seller alone
 *   (or beside light ones) gets all the idle capacity;
 * - an adaptive rate (AIMD): while calls are being refused for lack of app tokens, the rate grows each
 *   second, doubling up to the last rate ML refused; beyond it, it probes gently: only after 5 s without
 *   a 429, and by 5 % of the rate (at most one call/s) per second. Each 429 from ML (at most one per
 *   second, since the calls already in flight answer alike) multiplies it by 0.9, and a Retry-After stops
 *   every call until it has passed. The caller owns the 429 (ML client calls made under this budget are
 *   not retried in the call): a refused call costs one token and a deferred job, so a probe just past
 *   ML's limit is cheap and a steep decrease would only leave capacity unused.
 * No library does this (rate-limiter-flexible, Bottleneck and @upstash/ratelimit keep independent
 * per-key limits with fixed rates), so it is two short Lua scripts: each call is one atomic round trip,
 * correct with any number of containers. Times come from the caller's clock, injectable for tests;
 * containers' clocks are NTP-synced far below the one-second granularity this works at.
 */
export interface MlAppRate {
  /** Calls/s before ML has said anything (and again after an hour with no calls). */
  initial: number;
  min: number;
  max: number;
}

export interface MlCallBudget {
  /**
   * Takes one call for the account: 0 when granted, else how long to wait (ms) before asking again.
   * A caller that waits out of process (a deferred job) passes a ticket, its job id: it then gets a
   * place in the account's line instead of a retry at the next token.
   */
  take(accountId: string, ticket?: string): Promise<number>;
  /** ML answered 429: slow the whole application down, and stop until Retry-After when ML sent one. */
  noteRateLimited(retryAfterMs?: number): Promise<void>;
  /** The shared state: what the rate has learned and who is calling (tests, diagnostics). */
  state(): Promise<{ rate: number; ssthresh: number; pausedUntil: number; activeAccounts: number }>;
}

/** A second of calls; also the window a seller counts as active after its last call. */
const windowMs = 1000;
/** Multiplicative decrease on a 429: gentle, because ML answers 429 at its limit, not far beyond it. */
const decrease = 0.9;
/** Additive increase past the last refused rate, calls/s per second of contention: at most this... */
const increase = 1;
/** ...and at most this fraction of the rate, so a small rate (ML's default 5/s) creeps up on its limit. */
const probeFraction = 0.05;
/** Past the last refused rate, probing waits this long after a 429: each probe over the limit costs refused calls. */
const quietMs = 5_000;
/** A 429 is remembered this long: then doubling may probe again (ML's limit may have been raised). */
const memoryMs = 60_000;
/** The learned rate outlives a quiet hour, not a day: an old value may no longer match ML. */
const appTtlMs = 3_600_000;

const takeScript = `
local now = tonumber(ARGV[1])
local account = ARGV[2]
local initial, minRate, maxRate = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local windowMs, increase, memoryMs, appTtl = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local probeFraction, quietMs = tonumber(ARGV[11]), tonumber(ARGV[12])
local staleMs = 30000

local s = redis.call('HMGET', KEYS[1], 'rate', 'tokens', 'ts', 'ssthresh', 'paused_until', 'contended_at', 'changed_at', 'decreased_at')
local rate = math.min(maxRate, math.max(minRate, tonumber(s[1]) or initial))
local tokens = tonumber(s[2]) or math.max(1, rate)
local ts = tonumber(s[3]) or now
local ssthresh = tonumber(s[4]) or maxRate
local pausedUntil = tonumber(s[5]) or 0
local contendedAt = tonumber(s[6]) or -1
local changedAt = tonumber(s[7]) or now
local decreasedAt = tonumber(s[8]) or -memoryMs

-- Another container's clock may lag by a few ms: time never runs backwards here.
local elapsed = math.max(0, now - ts)
ts = math.max(ts, now)
tokens = math.min(math.max(1, rate), tokens + elapsed * rate / 1000)

if now - decreasedAt >= memoryMs then ssthresh = maxRate end
if contendedAt >= now - windowMs and now - changedAt >= windowMs then
  if rate < ssthresh then
    rate = math.min(maxRate, ssthresh, rate * 2)
    changedAt = now
  elseif now - decreasedAt >= quietMs then
    rate = math.min(maxRate, rate + math.min(increase, rate * probeFraction))
    changedAt = now
  end
end
local capacity = math.max(1, rate)

redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local active = redis.call('ZCARD', KEYS[2])
if not redis.call('ZSCORE', KEYS[2], account) then active = active + 1 end
local share = rate / active
local shareCap = math.max(1, share)

local a = redis.call('HMGET', KEYS[3], 'credit', 'ts', 'head')
local credit = tonumber(a[1]) or shareCap
local ats = tonumber(a[2]) or now
local head = tonumber(a[3]) or now
local ticket = ARGV[10]
credit = math.min(shareCap, credit + math.max(0, now - ats) * share / 1000)
ats = math.max(ats, now)

local granted = 0
local wait = 0
if now < pausedUntil then
  wait = pausedUntil - now
elseif tokens >= 1 and (credit >= 1 or tokens >= capacity / 2 + 1) then
  granted = 1
  tokens = tokens - 1
  if credit >= 1 then credit = credit - 1 end
  if ticket ~= '' then redis.call('ZREM', KEYS[4], ticket) end
else
  local appWait = 0
  if tokens < 1 then
    appWait = (1 - tokens) * 1000 / rate
    -- Only a full second of contention earns an increase: idle time is no evidence that more would pass.
    if contendedAt < now - windowMs then changedAt = now end
    contendedAt = now
  end
  local creditWait = 0
  if credit < 1 then
    creditWait = math.min((1 - credit) * 1000 / share, (capacity / 2 + 1 - tokens) * 1000 / rate)
  end
  wait = math.max(appWait, creditWait)
  if ticket ~= '' then
    -- A caller that waits out of process (a deferred job) holds a place in its account's line, so a
    -- backlog of thousands comes back spread over time instead of all retrying at the next token.
    -- Places are 0.4 of the fair interval apart: some come back with nothing left to call (their
    -- resource was fetched meanwhile).
    -- While the rate is still doubling, later places are spaced at the rate it will have by then.
    redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - staleMs)
    if redis.call('ZSCORE', KEYS[4], ticket) then
      -- Refused at its turn: it joins the callers already refused at theirs, 0.4 of the fair interval apart
      -- like new places. A full interval apart wasted about a third of the rate (flash-sale bench): many
      -- come back with nothing to call (each sale notifies twice; the second coalesces), leaving their
      -- place's token to overflow the one-second bucket.
      head = math.max(head, now) + 400 * active / rate
      wait = math.max(wait, head - now)
    else
      local last = redis.call('ZREVRANGE', KEYS[4], 0, 0, 'WITHSCORES')
      local tail = math.max(now, tonumber(last[2]) or now)
      local projected = rate
      if rate < ssthresh then projected = math.min(ssthresh, rate * 2 ^ ((tail - now) / windowMs)) end
      wait = math.max(wait, tail + 400 * active / projected - now)
    end
    redis.call('ZADD', KEYS[4], now + wait, ticket)
    redis.call('PEXPIRE', KEYS[4], math.ceil(wait + staleMs))
  end
end
wait = math.ceil(wait)
if granted == 0 and wait < 1 then wait = 1 end

-- A seller whose calls wait for its share is still active while it waits.
redis.call('ZADD', KEYS[2], 'GT', now + wait + windowMs, account)
redis.call('PEXPIRE', KEYS[2], 60000)
redis.call('HSET', KEYS[3], 'credit', credit, 'ts', ats, 'head', head)
redis.call('PEXPIRE', KEYS[3], math.ceil(math.max(60000, head - now + staleMs)))
redis.call('HSET', KEYS[1], 'rate', rate, 'tokens', tokens, 'ts', ts, 'ssthresh', ssthresh, 'paused_until', pausedUntil, 'contended_at', contendedAt, 'changed_at', changedAt, 'decreased_at', decreasedAt)
redis.call('PEXPIRE', KEYS[1], appTtl)
return { granted, wait }
`;

const rateLimitedScript = `
local now = tonumber(ARGV[1])
local retryAfter = tonumber(ARGV[2])
local initial, minRate, maxRate = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local windowMs, decrease, appTtl = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local s = redis.call('HMGET', KEYS[1], 'rate', 'tokens', 'decreased_at', 'paused_until')
local rate = math.min(maxRate, math.max(minRate, tonumber(s[1]) or initial))
local tokens = tonumber(s[2]) or math.max(1, rate)
local decreasedAt = tonumber(s[3])
local pausedUntil = tonumber(s[4]) or 0
if not decreasedAt or now - decreasedAt >= windowMs then
  rate = math.max(minRate, rate * decrease)
  tokens = math.min(tokens, math.max(1, rate))
  redis.call('HSET', KEYS[1], 'rate', rate, 'tokens', tokens, 'ssthresh', rate, 'decreased_at', now, 'changed_at', now)
end
if retryAfter >= 0 then
  redis.call('HSET', KEYS[1], 'paused_until', math.max(pausedUntil, now + retryAfter))
end
redis.call('PEXPIRE', KEYS[1], appTtl)
return tostring(rate)
`;

export function mlCallBudget(deps: { redis: Redis; keyPrefix: string; rate: MlAppRate; now?: () => number }): MlCallBudget {
  const { redis, rate } = deps;
  const now = deps.now ?? Date.now;
  const appKey = `${deps.keyPrefix}:ml-app:budget`;
  const activeKey = `${deps.keyPrefix}:ml-app:active`;
  const accountKey = (accountId: string) => `${deps.keyPrefix}:ml-app:account:${accountId}`;
  return {
    async take(accountId, ticket = "") {
      const keys = [appKey, activeKey, accountKey(accountId), `${accountKey(accountId)}:line`];
      const args = [now(), accountId, rate.initial, rate.min, rate.max, windowMs, increase, memoryMs, appTtlMs, ticket, probeFraction, quietMs];
      const [granted, wait] = (await redis.eval(takeScript, keys.length, ...keys, ...args)) as [number, number];
      return granted === 1 ? 0 : wait;
    },
    async noteRateLimited(retryAfterMs) {
      await redis.eval(rateLimitedScript, 1, appKey, now(), retryAfterMs ?? -1, rate.initial, rate.min, rate.max, windowMs, decrease, appTtlMs);
    },
    async state() {
      const [values, active] = await Promise.all([redis.hmget(appKey, "rate", "ssthresh", "paused_until"), redis.zcount(activeKey, `(${now()}`, "+inf")]);
      const [current, ssthresh, pausedUntil] = values.map((value) => (value === null ? undefined : Number(value)));
      return { rate: current ?? rate.initial, ssthresh: ssthresh ?? rate.max, pausedUntil: pausedUntil ?? 0, activeAccounts: active };
    },
  };
}
