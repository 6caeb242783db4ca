export { DEFAULT_ALLOWED_ADDRESSES } from "./allowlist";
export { localNeonConfig, type LocalNeonConfig, type LocalNeonEndpoints } from "./config";
export { neonOptionsFromEnv } from "./env";
export { DEFAULT_HTTP_PORT, startNeonHttpServer, type NeonHttpServerOptions } from "./sql-http";
export { DEFAULT_WS_PORT, startNeonWsProxy, type NeonWsProxy, type NeonWsProxyOptions, type NeonWsProxyStats } from "./ws-proxy";
