import { Redis, type RedisOptions } from "ioredis";
import { errorFields, type Logger } from "#core/log";

/**
 * Two kinds of Redis connection, following BullMQ's "going to production" guide:
 *
 * - consumer (Workers): `maxRetriesPerRequest: null`, so blocking commands wait through a
 *   Redis restart and the worker resumes by itself. BullMQ refuses anything else here.
 * - producer (Queues used by HTTP handlers, health, Bull Board): `enableOfflineQueue: false`
 *   plus a command timeout, so during an outage a command fails at once and the handler
 *   answers 503 (QStash retries later) instead of holding the request open.
 *
 * Both reconnect forever with capped, jittered backoff: a container that gives up on Redis
 * needs a restart to recover, one that keeps trying heals when Redis does.
 */

function retryStrategy(times: number): number {
  const capped = Math.min(200 * 2 ** Math.min(times, 7), 10_000);
  return Math.round(capped / 2 + Math.random() * (capped / 2));
}

function baseOptions(name: string): RedisOptions {
  return {
    connectionName: name,
    retryStrategy,
    connectTimeout: 5_000,
  };
}

export function createConsumerConnection(url: string, log: Logger): Redis {
  return watch(new Redis(url, { ...baseOptions("autoecom-jobs:consumer"), maxRetriesPerRequest: null }), "consumer", log);
}

export function createProducerConnection(url: string, log: Logger): Redis {
  return watch(
    new Redis(url, {
      ...baseOptions("autoecom-jobs:producer"),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 2_000,
    }),
    "producer",
    log,
  );
}

/** True when commands can be sent now; the producer checks it to fail fast instead of waiting. */
export function isRedisReady(connection: Redis): boolean {
  return connection.status === "ready";
}

/**
 * Resolves once the first connection attempt has an outcome (or after `timeoutMs`), so the
 * server does not start answering 503 for a Redis that is merely still connecting.
 * It never rejects: a Redis that is down at boot is reported by /health, not fatal.
 */
export async function firstConnectAttempt(connection: Redis, timeoutMs: number): Promise<boolean> {
  if (connection.status === "ready") return true;
  return new Promise<boolean>((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      connection.off("ready", onReady);
      connection.off("error", onError);
      resolve(ready);
    };
    const onReady = () => done(true);
    const onError = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    connection.once("ready", onReady);
    connection.once("error", onError);
  });
}

/** Logs state changes once, not every reconnect attempt (that would be one line per backoff tick). */
function watch(connection: Redis, role: string, log: Logger): Redis {
  let down = false;
  connection.on("ready", () => {
    if (down) log.info("redis reconnected", { role });
    down = false;
  });
  connection.on("error", (error) => {
    if (down) return;
    down = true;
    log.warn("redis connection error", { role, ...errorFields(error) });
  });
  return connection;
}

/** QUIT lets in-flight replies arrive; a connection that never came up has nothing to wait for. */
export async function closeRedis(connection: Redis, timeoutMs = 2_000): Promise<void> {
  if (connection.status === "end") return;
  if (connection.status !== "ready") {
    connection.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      connection.quit(),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          connection.disconnect();
          resolve();
        }, timeoutMs);
      }),
    ]);
  } catch {
    connection.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
