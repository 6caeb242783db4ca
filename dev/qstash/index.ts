export { DEV_SIGNING_KEYS, DEV_TOKEN } from "./defaults";
export { qstashOptionsFromEnv } from "./env";
export { startQStashServer, type QStashServer, type QStashServerOptions } from "./server";
export type { QStashEvent, QStashStats, SigningKeys } from "./types";
