import { parseTokenKeys } from "./token-cipher";

/**
 * Secrets published in this repository (.dev.vars.example, .env.example, the local stack) and in
 * the QStash SDK. Fine on a laptop; anywhere reachable they are no secret at all, so the Worker and
 * the jobs container refuse them there.
 */
export const localSecrets = {
  jwtSecret: "local-dev-secret-change-me-0123456789abcdef",
  tokenEncryptionKeys: "local1:bG9jYWwtb25seS10b2tlbi1rZXktMzItYnl0ZXMhISE",
  redisRestToken: "local-redis-rest-token",
  /** The QStash SDK's dev-server credentials (its DEV_CREDENTIALS). */
  qstashToken: "eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=",
  qstashSigningKeys: { current: "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r", next: "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs" },
  jobsAdminPassword: "autoecom-local-admin",
  jobsMetricsToken: "autoecom-local-metrics",
} as const;

const publishedKeys = parseTokenKeys(localSecrets.tokenEncryptionKeys).map((entry) => entry.key.join(","));

/** Hosts only this machine can reach: a URL naming one is a local stand-in, never a production service. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return bare === "localhost" || bare.endsWith(".localhost") || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** Compares key bytes, so the published key under another id or base64 spelling is caught too. */
export function includesPublishedTokenKey(spec: string): boolean {
  try {
    return parseTokenKeys(spec).some((entry) => publishedKeys.includes(entry.key.join(",")));
  } catch {
    // A malformed keyring is reported by the keyring's own validation.
    return false;
  }
}
