import { envList, envNumber, envString } from "../lib/cli";
import { DEFAULT_ALLOWED_ADDRESSES } from "./allowlist";
import { DEFAULT_HTTP_PORT, type NeonHttpServerOptions } from "./sql-http";
import { DEFAULT_WS_PORT, type NeonWsProxyOptions } from "./ws-proxy";

/**
 * Options for both Neon stand-ins from NEON_WS_PORT, NEON_HTTP_PORT,
 * NEON_LOCAL_HOST and NEON_LOCAL_ALLOW (comma-separated host:port list).
 */
export function neonOptionsFromEnv(env: Record<string, string | undefined> = process.env): {
  ws: NeonWsProxyOptions;
  http: NeonHttpServerOptions;
} {
  const host = envString(env, "NEON_LOCAL_HOST", "127.0.0.1");
  const allow = envList(env, "NEON_LOCAL_ALLOW", DEFAULT_ALLOWED_ADDRESSES);
  return {
    ws: { port: envNumber(env, "NEON_WS_PORT", DEFAULT_WS_PORT), host, allow },
    http: { port: envNumber(env, "NEON_HTTP_PORT", DEFAULT_HTTP_PORT), host, allow },
  };
}
