import { retryDelayMs } from "./backoff";
import { attemptDelivery, isSuccess } from "./delivery";
import { newId } from "./ids";
import { callbackBody } from "./payload";
import { Scheduler } from "./scheduler";
import type { AttemptResult, CallbackSpec, DlqRecord, MessageRecord, MessageSpec, MessageState, QStashEvent, QStashStats, SigningKeys } from "./types";

export interface EngineOptions {
  signingKeys: SigningKeys;
  backoffScale: number;
  dedupWindowMs: number;
  maxEvents: number;
  /** Accept and store messages but start no delivery until release() (QSTASH_LOCAL_HOLD). */
  hold?: boolean;
}

export interface PublishResult {
  messageId: string;
  deduplicated?: true;
}

type Counters = Omit<QStashStats, "pending" | "held" | "dlq">;

/** In-memory QStash: accepts messages, delivers them concurrently, retries, dead-letters. */
export class QStashEngine {
  private readonly messages = new Map<string, MessageRecord>();
  private readonly dlq = new Map<string, DlqRecord>();
  private readonly dedup = new Map<string, { messageId: string; at: number }>();
  private readonly log: QStashEvent[] = [];
  private readonly scheduler = new Scheduler();
  private readonly shutdown = new AbortController();
  private readonly idleWaiters = new Set<() => void>();
  /** Ids of accepted messages whose first attempt waits for release(), in publish order. */
  private readonly held = new Set<string>();
  private holding: boolean;
  private readonly counters: Counters = {
    published: 0,
    deduplicated: 0,
    attempts: 0,
    delivered: 0,
    failed: 0,
    cancelled: 0,
  };

  constructor(private readonly opts: EngineOptions) {
    this.holding = opts.hold ?? false;
  }

  publish(spec: MessageSpec): PublishResult {
    const now = Date.now();
    if (spec.dedupKey) {
      const seen = this.dedup.get(spec.dedupKey);
      if (seen && now - seen.at < this.opts.dedupWindowMs) {
        this.counters.deduplicated++;
        return { messageId: seen.messageId, deduplicated: true };
      }
    }
    const msg: MessageRecord = { ...spec, messageId: newId("msg"), createdAt: now, retried: 0, state: "CREATED" };
    if (spec.dedupKey) this.remember(spec.dedupKey, msg.messageId, now);
    this.messages.set(msg.messageId, msg);
    this.counters.published++;
    this.record(msg, "CREATED");
    if (this.holding) this.held.add(msg.messageId);
    else this.scheduler.at(msg.messageId, msg.notBefore, () => void this.run(msg));
    return { messageId: msg.messageId };
  }

  /**
   * Ends the hold: every held message is scheduled as if just published (its delay still applies),
   * and later ones are delivered at once. Returns how many were held.
   */
  release(): number {
    this.holding = false;
    const ids = [...this.held];
    this.held.clear();
    for (const id of ids) {
      const msg = this.messages.get(id);
      if (msg) this.scheduler.at(id, msg.notBefore, () => void this.run(msg));
    }
    return ids.length;
  }

  /** Stops future attempts; an attempt already in flight finishes but is not retried. */
  cancel(messageId: string): boolean {
    const msg = this.messages.get(messageId);
    if (!msg) return false;
    this.scheduler.cancel(messageId);
    this.held.delete(messageId);
    this.finish(msg, "CANCELED");
    this.counters.cancelled++;
    return true;
  }

  /** Republishes dead-lettered messages as new messages with a fresh retry budget. */
  retryDlq(dlqIds: readonly string[]): PublishResult[] {
    return dlqIds.flatMap((id) => {
      const entry = this.dlq.get(id);
      if (!entry) return [];
      this.dlq.delete(id);
      const { messageId: _id, createdAt: _c, retried: _r, state: _s, dedupKey: _d, ...spec } = entry.message;
      return [this.publish({ ...spec, notBefore: Date.now() })];
    });
  }

  message(messageId: string): MessageRecord | undefined {
    return this.messages.get(messageId);
  }

  /** Waiting or in-flight messages, oldest first. */
  pendingMessages(): MessageRecord[] {
    return [...this.messages.values()];
  }

  dlqEntry(dlqId: string): DlqRecord | undefined {
    return this.dlq.get(dlqId);
  }

  /** Dead-lettered messages, newest first (the order QStash lists them). */
  dlqEntries(): DlqRecord[] {
    return [...this.dlq.values()].reverse();
  }

  deleteDlq(dlqId: string): boolean {
    return this.dlq.delete(dlqId);
  }

  events(): QStashEvent[] {
    return [...this.log];
  }

  stats(): QStashStats {
    return { ...this.counters, pending: this.messages.size, held: this.held.size, dlq: this.dlq.size };
  }

  /** Resolves once no message is waiting or in flight (callbacks included). */
  settled(timeoutMs = 10_000): Promise<void> {
    if (this.messages.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.idleWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.idleWaiters.delete(done);
        reject(new Error(`QStash still has ${this.messages.size} pending message(s) after ${timeoutMs}ms`));
      }, timeoutMs);
      this.idleWaiters.add(done);
    });
  }

  stop(): void {
    this.scheduler.clear();
    this.shutdown.abort();
  }

  private async run(msg: MessageRecord): Promise<void> {
    if (!this.messages.has(msg.messageId)) return;
    msg.state = "ACTIVE";
    this.record(msg, "ACTIVE");
    this.counters.attempts++;
    const result = await attemptDelivery(msg, this.opts.signingKeys.current, this.shutdown.signal);
    // A cancel during the attempt removed the message; its outcome no longer matters.
    if (this.shutdown.signal.aborted || !this.messages.has(msg.messageId)) return;
    if (msg.callback) this.publishCallback(msg, msg.callback, result);
    if (isSuccess(result)) {
      this.counters.delivered++;
      this.finish(msg, "DELIVERED", { responseStatus: result.status });
    } else if (msg.retried < msg.maxRetries) {
      this.scheduleRetry(msg, result);
    } else {
      this.deadLetter(msg, result);
    }
  }

  private scheduleRetry(msg: MessageRecord, result: AttemptResult): void {
    const at = Date.now() + retryDelayMs(msg.retried, msg.retryDelay, this.opts.backoffScale);
    this.record(msg, "ERROR", { responseStatus: result.status || undefined, error: result.error });
    msg.retried++;
    msg.state = "RETRY";
    this.record(msg, "RETRY", { nextDeliveryTime: at });
    this.scheduler.at(msg.messageId, at, () => void this.run(msg));
  }

  private deadLetter(msg: MessageRecord, result: AttemptResult): void {
    const dlqId = newId("dlq");
    this.dlq.set(dlqId, { dlqId, message: msg, movedAt: Date.now(), last: result });
    this.counters.failed++;
    if (msg.failureCallback) this.publishCallback(msg, msg.failureCallback, result, dlqId);
    this.finish(msg, "FAILED", { responseStatus: result.status || undefined, error: result.error, dlqId });
  }

  private publishCallback(source: MessageRecord, cb: CallbackSpec, result: AttemptResult, dlqId?: string): void {
    // Callbacks are ordinary messages that inherit the source's retry settings unless overridden.
    this.publish({
      url: cb.url,
      method: cb.method,
      body: Buffer.from(JSON.stringify(callbackBody(source, result, dlqId))),
      headers: { ...cb.headers, "content-type": "application/json" },
      notBefore: Date.now() + cb.delayMs,
      maxRetries: cb.maxRetries ?? source.maxRetries,
      retryDelay: cb.retryDelay ?? source.retryDelay,
      timeoutMs: cb.timeoutMs ?? source.timeoutMs,
      labels: [],
      callerIp: source.callerIp,
    });
  }

  private finish(msg: MessageRecord, state: MessageState, extra: Partial<QStashEvent> = {}): void {
    msg.state = state;
    this.record(msg, state, extra);
    this.messages.delete(msg.messageId);
    if (this.messages.size === 0) for (const wake of [...this.idleWaiters]) wake();
  }

  private record(msg: MessageRecord, state: MessageState, extra: Partial<QStashEvent> = {}): void {
    this.log.push({ time: Date.now(), state, messageId: msg.messageId, url: msg.url, retried: msg.retried, ...extra });
    if (this.log.length > this.opts.maxEvents) this.log.splice(0, this.log.length - this.opts.maxEvents);
  }

  private remember(key: string, messageId: string, now: number): void {
    this.dedup.set(key, { messageId, at: now });
    // Lazy sweep keeps a long-running dev server from growing without bound.
    if (this.dedup.size % 1000 === 0) {
      for (const [k, v] of this.dedup) if (now - v.at >= this.opts.dedupWindowMs) this.dedup.delete(k);
    }
  }
}
