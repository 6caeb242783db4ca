import { createServer } from "node:http";
import { jsonErrors } from "../lib/http";
import { listen, type RunningServer } from "../lib/server";
import { DEDUP_WINDOW_MS, DEFAULT_BACKOFF_SCALE, DEFAULT_DELIVERY_TIMEOUT_MS, DEFAULT_PORT, DEFAULT_RETRIES, DEV_SIGNING_KEYS, DEV_TOKEN, MAX_BODY_BYTES, MAX_EVENTS } from "./defaults";
import { QStashEngine } from "./engine";
import { qstashHandler } from "./routes";
import type { QStashEvent, QStashStats, SigningKeys } from "./types";

export interface QStashServerOptions {
  /** Default 8080 (what `QSTASH_DEV` expects); use 0 in tests. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: the SDK's dev token. */
  token?: string;
  /** Default: the SDK's dev signing keys. Deliveries are signed with `current`. */
  signingKeys?: SigningKeys;
  /** Multiplies QStash's default backoff (not explicit Upstash-Retry-Delay). Default 0.001; 1 = real timing. */
  backoffScale?: number;
  /** Upstash-Retries when the publisher sends none. Default 3. */
  defaultRetries?: number;
  /** Per-attempt HTTP timeout when no Upstash-Timeout is sent. Default 30 s. */
  deliveryTimeoutMs?: number;
  /** How long a deduplication id is remembered. Default 10 minutes. */
  dedupWindowMs?: number;
  /** Largest accepted publish/batch body. Default 10 MiB. */
  maxBodyBytes?: number;
  /** Size of the in-memory event log. Default 10 000. */
  maxEvents?: number;
  /**
   * Accept and store messages (signature, deduplication, retries as usual) but deliver none until
   * `POST /v2/local/release` or `release()`. Measures the publisher alone, as production sees it.
   */
  hold?: boolean;
}

export interface QStashServer extends RunningServer {
  token: string;
  signingKeys: SigningKeys;
  /** Delivery log, oldest first (also served newest-first at GET /v2/events). */
  events(): QStashEvent[];
  stats(): QStashStats;
  /** Resolves when no message (or callback) is waiting or in flight. */
  settled(timeoutMs?: number): Promise<void>;
  /** Ends the hold (see `hold`): delivers what was held, and later messages at once. Returns how many were held. */
  release(): number;
}

/**
 * Starts an in-memory QStash that the official @upstash/qstash Client and
 * Receiver use unchanged. State lives in this process: a restart loses all
 * pending messages and the DLQ.
 */
export async function startQStashServer(opts: QStashServerOptions = {}): Promise<QStashServer> {
  const token = opts.token ?? DEV_TOKEN;
  const signingKeys = opts.signingKeys ?? DEV_SIGNING_KEYS;
  const backoffScale = opts.backoffScale ?? DEFAULT_BACKOFF_SCALE;
  if (!(backoffScale >= 0)) throw new Error(`backoffScale must be >= 0, got ${backoffScale}`);
  const engine = new QStashEngine({
    signingKeys,
    backoffScale,
    dedupWindowMs: opts.dedupWindowMs ?? DEDUP_WINDOW_MS,
    maxEvents: opts.maxEvents ?? MAX_EVENTS,
    hold: opts.hold ?? false,
  });
  const handler = qstashHandler({
    engine,
    token,
    signingKeys,
    defaultRetries: opts.defaultRetries ?? DEFAULT_RETRIES,
    defaultTimeoutMs: opts.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
    maxBodyBytes: opts.maxBodyBytes ?? MAX_BODY_BYTES,
  });
  const server = createServer(jsonErrors(handler, "qstash"));
  const running = await listen(server, { port: opts.port ?? DEFAULT_PORT, host: opts.host }, () => engine.stop());
  return {
    ...running,
    token,
    signingKeys,
    events: () => engine.events(),
    stats: () => engine.stats(),
    settled: (timeoutMs) => engine.settled(timeoutMs),
    release: () => engine.release(),
  };
}
