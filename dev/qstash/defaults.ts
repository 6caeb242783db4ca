import type { SigningKeys } from "./types";

/**
 * The credentials @upstash/qstash hard-codes for its own dev server (DEV_CREDENTIALS).
 * Using the same values lets `QSTASH_DEV=true` find this stand-in through its
 * `/v2/keys` health check instead of trying to download the real binary.
 */
export const DEV_TOKEN = "eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=";
export const DEV_SIGNING_KEYS: SigningKeys = {
  current: "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r",
  next: "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs",
};

export const DEFAULT_PORT = 8080;
export const DEFAULT_RETRIES = 3;
/** Real QStash timing is minutes to hours; tests and local runs want milliseconds. */
export const DEFAULT_BACKOFF_SCALE = 0.001;
export const DEFAULT_DELIVERY_TIMEOUT_MS = 30_000;
export const DEDUP_WINDOW_MS = 10 * 60_000;
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
export const MAX_EVENTS = 10_000;
/** QStash caps each retry delay at one day. */
export const MAX_RETRY_DELAY_MS = 86_400_000;
