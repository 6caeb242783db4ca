import { envNumber, envString } from "../lib/cli";
import { DEFAULT_BACKOFF_SCALE, DEFAULT_PORT, DEV_SIGNING_KEYS, DEV_TOKEN } from "./defaults";
import type { QStashServerOptions } from "./server";

/**
 * Server options from QSTASH_PORT, QSTASH_HOST, QSTASH_TOKEN, QSTASH_CURRENT_SIGNING_KEY,
 * QSTASH_NEXT_SIGNING_KEY and QSTASH_LOCAL_BACKOFF_SCALE. The token and keys use the
 * same names the app reads, so one .env configures both ends.
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
  };
}
