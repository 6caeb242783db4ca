import { envNumber, envString } from "../lib/cli";
import { DEFAULT_BACKOFF_SCALE, DEFAULT_PORT, DEV_SIGNING_KEYS, DEV_TOKEN } from "./defaults";
import type { QStashServerOptions } from "./server";

/**
 * Server options from QSTASH_PORT, QSTASH_HOST, QSTASH_TOKEN, QSTASH_CURRENT_SIGNING_KEY,
 * QSTASH_NEXT_SIGNING_KEY, QSTASH_LOCAL_BACKOFF_SCALE and QSTASH_LOCAL_HOLD. The token and keys
 * use the same names the app reads, so one .env configures both ends.
 */
export function qstashOptionsFromEnv(env: Record<string, string | undefined> = process.env): QStashServerOptions {
  return {
    port: envNumber(env, "QSTASH_PORT", DEFAULT_PORT),
    host: envString(env, "QSTASH_HOST", "127.0.0.1"),
    token: envString(env, "QSTASH_TOKEN", DEV_TOKEN),
    signingKeys: {
      current: envString(env, "QSTASH_CURRENT_SIGNING_KEY", DEV_SIGNING_KEYS.current),
      next: envString(env, "QSTASH_NEXT_SIGNING_KEY", DEV_SIGNING_KEYS.next),
    },
    backoffScale: envNumber(env, "QSTASH_LOCAL_BACKOFF_SCALE", DEFAULT_BACKOFF_SCALE),
    hold: qstashHoldFromEnv(env),
  };
}

/** QSTASH_LOCAL_HOLD: `1`/`true` holds every delivery until `POST /v2/local/release`; unset, `0` or `false` delivers as usual. */
export function qstashHoldFromEnv(env: Record<string, string | undefined> = process.env): boolean {
  const raw = env.QSTASH_LOCAL_HOLD?.trim().toLowerCase() ?? "";
  if (raw === "" || raw === "0" || raw === "false") return false;
  if (raw === "1" || raw === "true") return true;
  throw new Error(`QSTASH_LOCAL_HOLD must be 1, true, 0 or false, got ${JSON.stringify(env.QSTASH_LOCAL_HOLD)}`);
}
