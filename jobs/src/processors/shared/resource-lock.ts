import type { JobServices } from "../types";

/**
 * One fetch per ML resource at a time, across containers. The second notification of a burst
 * does not wait on a worker slot: it is deferred, and when it runs again it usually finds that
 * the first fetch started after it was enqueued, and is done without calling ML at all.
 */
const lockMs = 60_000;

const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export function resourceLock(services: Pick<JobServices, "redis" | "keyPrefix">, accountId: string, resourceKey: string, owner: string) {
  const key = `${services.keyPrefix}:ml-resource-lock:${accountId}:${resourceKey}`;
  return {
    async tryAcquire(): Promise<boolean> {
      return (await services.redis.set(key, owner, "PX", lockMs, "NX")) === "OK";
    },
    async release(): Promise<void> {
      await services.redis.eval(releaseScript, 1, key, owner);
    },
  };
}
