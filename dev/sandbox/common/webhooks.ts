import { createRng, type Rng } from "./rng";

// Outbound webhook delivery that behaves like a provider's notifier: strict ack deadline, a retry
// schedule, and the misbehaviour real receivers must tolerate (lost, duplicated and reordered
// messages). Each attempt is logged so tests can assert exactly what the receiver saw.

export interface WebhookSettings {
  /** Delays (nominal ms) before attempt 2, 3, ...; total attempts = length + 1. */
  retrySchedule: number[];
  /** Real delay = nominal delay × timeScale; 0.001 turns an hour of retries into 3.6 s. */
  timeScale: number;
  /** Deadline for one attempt, in real ms; a slower answer counts as a failure. */
  attemptTimeoutMs: number;
  /** Probability a message is silently never sent (receivers must reconcile by polling). */
  dropRate: number;
  /** Probability a delivered message is sent once more afterwards. */
  duplicateRate: number;
  /** Probability the first attempt is held back up to reorderMaxDelayMs, letting later messages overtake it. */
  reorderRate: number;
  reorderMaxDelayMs: number;
  /** Attempts kept in the log (oldest dropped first). */
  logLimit: number;
}

export const defaultWebhookSettings: WebhookSettings = {
  retrySchedule: [60_000, 300_000, 900_000],
  timeScale: 1,
  attemptTimeoutMs: 5_000,
  dropRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  reorderMaxDelayMs: 200,
  logLimit: 10_000,
};

export interface AttemptContext {
  /** 1-based attempt number of this delivery. */
  attempt: number;
  sentAt: Date;
}

export interface OutboundMessage {
  url: string;
  /** Fixed JSON body (strings are sent as-is). */
  body?: unknown;
  /** Per-attempt body, for fields such as an attempt counter or a sent timestamp; wins over body. */
  render?: (ctx: AttemptContext) => unknown;
  headers?: Record<string, string>;
  meta?: Record<string, unknown>;
}

export interface RecordedResponse {
  req_time: number;
  http_code: number | null;
  body: string;
  headers: Record<string, string>;
  error?: string;
}

export type DeliveryStatus = "pending" | "delivered" | "failed" | "dropped";

export interface Delivery {
  id: string;
  url: string;
  meta: Record<string, unknown>;
  status: DeliveryStatus;
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  duplicateOf: string | null;
  lastRequest: { url: string; headers: Record<string, string>; data: string } | null;
  lastResponse: RecordedResponse | null;
}

export interface AttemptLogEntry {
  deliveryId: string;
  attempt: number;
  url: string;
  at: string;
  durationMs: number;
  httpCode: number | null;
  ok: boolean;
  error: string | null;
  body: string;
  meta: Record<string, unknown>;
}

export interface WebhookDelivererOptions extends Partial<WebhookSettings> {
  seed?: number | string;
  fetch?: typeof fetch;
  now?: () => number;
  /** Which status codes acknowledge a message; ML wants exactly 200, most providers any 2xx. */
  isSuccess?: (status: number) => boolean;
  onExhausted?: (delivery: Delivery) => void;
  onDelivered?: (delivery: Delivery) => void;
}

export interface WebhookDeliverer {
  send(message: OutboundMessage): Delivery;
  settings(): WebhookSettings;
  configure(patch: Partial<WebhookSettings>): WebhookSettings;
  deliveries(filter?: { status?: DeliveryStatus }): Delivery[];
  attempts(): AttemptLogEntry[];
  clearLog(): void;
  /** Resolves once nothing is in flight or scheduled. */
  idle(): Promise<void>;
  pending(): number;
  close(): Promise<void>;
}

interface Job {
  delivery: Delivery;
  message: OutboundMessage;
}

export function createWebhookDeliverer(opts: WebhookDelivererOptions = {}): WebhookDeliverer {
  let settings: WebhookSettings = { ...defaultWebhookSettings, ...pickSettings(opts) };
  const rng: Rng = createRng(opts.seed ?? 1).fork("webhooks");
  const doFetch = opts.fetch ?? fetch;
  const now = opts.now ?? Date.now;
  const isSuccess = opts.isSuccess ?? ((s: number) => s >= 200 && s < 300);
  const all = new Map<string, Delivery>();
  let log: AttemptLogEntry[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const controllers = new Set<AbortController>();
  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];
  let seq = 0;
  let closed = false;

  const iso = (ms: number) => new Date(ms).toISOString();

  function checkIdle(): void {
    if (inFlight === 0 && timers.size === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  function schedule(fn: () => void, realMs: number): void {
    if (closed) return;
    const t = setTimeout(
      () => {
        timers.delete(t);
        fn();
        checkIdle();
      },
      Math.max(0, realMs),
    );
    timers.add(t);
  }

  function record(entry: AttemptLogEntry): void {
    log.push(entry);
    if (log.length > settings.logLimit) log = log.slice(log.length - settings.logLimit);
  }

  async function attempt(job: Job): Promise<void> {
    const { delivery, message } = job;
    if (closed) return;
    delivery.attempts += 1;
    const started = now();
    const sentAt = new Date(started);
    const body = message.render ? message.render({ attempt: delivery.attempts, sentAt }) : message.body;
    const data = typeof body === "string" ? body : JSON.stringify(body);
    const headers: Record<string, string> = {
      accept: "application/json",
      "content-type": "application/json",
      ...message.headers,
    };
    delivery.lastAttemptAt = iso(started);
    delivery.nextAttemptAt = null;
    delivery.lastRequest = { url: message.url, headers: { ...headers, "content-length": String(Buffer.byteLength(data)) }, data };

    const controller = new AbortController();
    controllers.add(controller);
    const deadline = setTimeout(() => controller.abort(new Error("attempt timeout")), settings.attemptTimeoutMs);
    inFlight += 1;
    let response: RecordedResponse;
    try {
      const res = await doFetch(message.url, { method: "POST", headers, body: data, signal: controller.signal });
      const text = await res.text();
      response = { req_time: now() - started, http_code: res.status, body: text, headers: Object.fromEntries(res.headers) };
    } catch (err) {
      const reason = controller.signal.aborted ? (closed ? "sandbox closed" : "timeout") : err instanceof Error ? err.message : String(err);
      response = { req_time: now() - started, http_code: null, body: "", headers: {}, error: reason };
    } finally {
      clearTimeout(deadline);
      controllers.delete(controller);
      inFlight -= 1;
    }
    delivery.lastResponse = response;
    const ok = response.http_code !== null && isSuccess(response.http_code);
    record({
      deliveryId: delivery.id,
      attempt: delivery.attempts,
      url: message.url,
      at: iso(started),
      durationMs: response.req_time,
      httpCode: response.http_code,
      ok,
      error: response.error ?? (ok ? null : `status ${response.http_code}`),
      body: data,
      meta: delivery.meta,
    });
    if (closed) return;

    if (ok) {
      delivery.status = "delivered";
      opts.onDelivered?.(delivery);
      if (delivery.duplicateOf === null && rng.chance(settings.duplicateRate)) {
        const dup = newDelivery(message, delivery.id);
        schedule(() => void attempt({ delivery: dup, message }), rng.int(0, settings.reorderMaxDelayMs));
      }
    } else {
      const delay = settings.retrySchedule[delivery.attempts - 1];
      if (delay === undefined) {
        delivery.status = "failed";
        opts.onExhausted?.(delivery);
      } else {
        const realDelay = delay * settings.timeScale;
        delivery.nextAttemptAt = iso(now() + realDelay);
        schedule(() => void attempt(job), realDelay);
      }
    }
    checkIdle();
  }

  function newDelivery(message: OutboundMessage, duplicateOf: string | null): Delivery {
    const d: Delivery = {
      id: `dlv_${++seq}`,
      url: message.url,
      meta: message.meta ?? {},
      status: "pending",
      attempts: 0,
      createdAt: iso(now()),
      lastAttemptAt: null,
      nextAttemptAt: null,
      duplicateOf,
      lastRequest: null,
      lastResponse: null,
    };
    all.set(d.id, d);
    return d;
  }

  return {
    send(message) {
      const delivery = newDelivery(message, null);
      if (rng.chance(settings.dropRate)) {
        delivery.status = "dropped";
        return delivery;
      }
      const hold = rng.chance(settings.reorderRate) ? rng.int(1, Math.max(1, settings.reorderMaxDelayMs)) : 0;
      schedule(() => void attempt({ delivery, message }), hold);
      return delivery;
    },
    settings: () => ({ ...settings, retrySchedule: [...settings.retrySchedule] }),
    configure(patch) {
      settings = { ...settings, ...pickSettings(patch) };
      return { ...settings };
    },
    deliveries(filter) {
      const list = [...all.values()];
      return filter?.status ? list.filter((d) => d.status === filter.status) : list;
    },
    attempts: () => [...log],
    clearLog() {
      log = [];
      for (const [id, d] of all) if (d.status !== "pending") all.delete(id);
    },
    idle() {
      if (inFlight === 0 && timers.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    pending: () => [...all.values()].filter((d) => d.status === "pending").length,
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const c of controllers) c.abort(new Error("sandbox closed"));
      checkIdle();
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    },
  };
}

function pickSettings(src: Partial<WebhookSettings>): Partial<WebhookSettings> {
  const out: Partial<WebhookSettings> = {};
  for (const key of Object.keys(defaultWebhookSettings) as Array<keyof WebhookSettings>) {
    if (src[key] !== undefined) (out as Record<string, unknown>)[key] = src[key];
  }
  return out;
}
