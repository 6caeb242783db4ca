import type { LogFields, Logger } from "#core/log";

/**
 * During a Redis outage BullMQ emits the same error for every reconnect attempt of every
 * queue and worker; one line per source and message per interval says as much.
 */
export function throttledWarn(log: Logger, intervalMs = 30_000) {
  const last = new Map<string, number>();
  return (source: string, msg: string, fields: LogFields) => {
    const key = `${source}\n${String(fields.error)}`;
    const now = Date.now();
    if (now - (last.get(key) ?? -Infinity) < intervalMs) return;
    last.set(key, now);
    log.warn(msg, fields);
  };
}
