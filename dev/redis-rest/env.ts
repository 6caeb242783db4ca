import { envNumber, envString } from "../lib/cli";
import { DEFAULT_PORT, DEFAULT_REDIS_URL, DEFAULT_TOKEN, type RedisRestServerOptions } from "./server";

/**
 * Server options from REDIS_REST_PORT, REDIS_REST_HOST, REDIS_REST_TOKEN (else
 * UPSTASH_REDIS_REST_TOKEN, so one .env serves both ends) and REDIS_URL.
 */
export function redisRestOptionsFromEnv(env: Record<string, string | undefined> = process.env): RedisRestServerOptions {
  return {
    port: envNumber(env, "REDIS_REST_PORT", DEFAULT_PORT),
    host: envString(env, "REDIS_REST_HOST", "127.0.0.1"),
    token: envString(env, "REDIS_REST_TOKEN", envString(env, "UPSTASH_REDIS_REST_TOKEN", DEFAULT_TOKEN)),
    redisUrl: envString(env, "REDIS_URL", DEFAULT_REDIS_URL),
  };
}
