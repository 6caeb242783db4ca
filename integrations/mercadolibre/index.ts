/**
 * MercadoLibre for both runtimes: configuration, OAuth helpers, the token manager (the one
 * source of access tokens) and the client every ML call goes through.
 */
import { createMlClient, type MlClient } from "./client";
import type { MlConfig } from "./config";
import type { MlTransportOptions } from "./transport";
import { createTokenManager, type TokenManager, type TokenManagerDeps } from "./tokens";

export * from "./client";
export * from "./config";
export * from "./errors";
export { classifyMlFailure, classifyOAuthFailure, mlTransport } from "./transport";
// Provider-neutral since they moved to core/http/retry.ts; still exported here for callers that import them with the ML client.
export type { MlRawResponse, MlTransportOptions, MlTransportRequest } from "./transport";
export * from "./oauth";
export * from "./tokens";

export interface MlServices {
  config: MlConfig;
  tokens: TokenManager;
  client: MlClient;
}

/** Wires the token manager and the client over one database and cipher; each runtime calls this once. */
export function createMlServices(deps: TokenManagerDeps & { transport?: Partial<MlTransportOptions> }): MlServices {
  const tokens = createTokenManager(deps);
  const client = createMlClient({ config: deps.config, tokens, log: deps.log, ...(deps.transport ? { transport: deps.transport } : {}) });
  return { config: deps.config, tokens, client };
}
