import type { NeonConfig } from "@neondatabase/serverless";

/**
 * Settings that point @neondatabase/serverless at the local stand-ins, for
 * tests and dev scripts (Node or workerd: no Node imports here). Production
 * code does not use this; its database setup lives with the app.
 *
 *   Object.assign(neonConfig, localNeonConfig({ httpPort, wsPort }));
 *
 * On runtimes without a global WebSocket also set `neonConfig.webSocketConstructor`.
 */
export interface LocalNeonEndpoints {
  /** Where the stand-ins listen. Default 127.0.0.1 (not `localhost`, which may resolve to ::1). */
  host?: string;
  /** The SQL-over-HTTP server. Default 4444. */
  httpPort?: number;
  /** The WebSocket proxy. Default 5488. */
  wsPort?: number;
}

export type LocalNeonConfig = Pick<NeonConfig, "fetchEndpoint" | "wsProxy" | "useSecureWebSocket" | "pipelineConnect" | "pipelineTLS">;

export function localNeonConfig(endpoints: LocalNeonEndpoints = {}): LocalNeonConfig {
  const host = endpoints.host ?? "127.0.0.1";
  const httpPort = endpoints.httpPort ?? 4444;
  const wsPort = endpoints.wsPort ?? 5488;
  return {
    fetchEndpoint: `http://${host}:${httpPort}/sql`,
    wsProxy: (pgHost, pgPort) => `${host}:${wsPort}/v2?address=${pgHost}:${pgPort}`,
    // Plain ws:// to the proxy, and no pipelined cleartext-password auth:
    // local Postgres uses trust or SCRAM, not Neon's cleartext handshake.
    useSecureWebSocket: false,
    pipelineConnect: false,
    pipelineTLS: false,
  };
}
