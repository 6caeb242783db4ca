import { ZodError } from "zod";
import { AppError } from "#core/errors";
import { sleep } from "#core/timeout";
import { describeParseFailure } from "#core/parse-failure";
import { describeError, redactText } from "#core/redact";
import { backoffDelay } from "#core/http/retry";
import { MlApiError, type MlClient, type MlMethod, type MlRequestOptions, type MlResponse } from "#integrations/mercadolibre";
import type { MlCaller } from "#integrations/mercadolibre/wire";
import { saveSyncProgress } from "#db/queries/ml-sync";
import type { MlSyncRun, SyncCursor, SyncPhase, SyncPhaseCounts, SyncRunError } from "#db/schema";
import type { MlSyncContext } from "./context";

/** Knobs tests and benchmarks turn; production uses the defaults. */
export interface SyncOptions {
  /** Extra tries of one ML call after the client's own retries gave up on a 429/5xx. */
  callRetries: number;
  retryBaseMs: number;
  retryCapMs: number;
  /** Orders are synced from this far back on a full run (ML keeps 12 months). */
  ordersWindowDays: number;
  /** Orders are searched in date windows this long, so offsets stay small. */
  ordersSliceDays: number;
  /** Records upserted at once: the pool's connections, not ML, bound this. */
  upsertConcurrency: number;
  /** Called after every committed page; tests throw here to simulate a crash mid-run. */
  afterPage?: (phase: SyncPhase, page: number) => void | Promise<void>;
}

export const defaultSyncOptions: SyncOptions = {
  callRetries: 6,
  retryBaseMs: 1_000,
  retryCapMs: 30_000,
  ordersWindowDays: 365,
  ordersSliceDays: 30,
  upsertConcurrency: 8,
};

const emptyCounts = (): SyncPhaseCounts => ({ seen: 0, applied: 0, stale: 0, failed: 0 });

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  });
  await Promise.all(workers);
  return results;
}

/**
 * One run's state while a job works on it: the cursor, counters and the ML call path. Every
 * ML call goes through `call`, which takes a slot from the account's shared per-second budget
 * (the same one the webhook pipeline draws from) and gives 429/5xx a few more jittered tries
 * beyond the client's own, so a rate-limit storm slows a sync down instead of failing it.
 */
export class SyncSession {
  readonly phases: SyncPhase[];
  cursor: SyncCursor;
  counts: Partial<Record<SyncPhase, SyncPhaseCounts>>;
  apiCalls: number;
  private pendingErrors: SyncRunError[] = [];
  private pages = 0;
  /** The endpoint modules' view of `call`: the run's account, budget and retries on every call. */
  readonly caller: MlCaller = { request: (method, path, options) => this.call(method, path, options) };

  constructor(
    readonly ctx: MlSyncContext,
    readonly ml: MlClient,
    readonly run: MlSyncRun,
    readonly account: { id: string; mlUserId: number },
    readonly options: SyncOptions,
  ) {
    this.phases = run.kind === "all" ? ["listings", "orders", "questions", "claims"] : [run.kind];
    this.cursor = run.cursor ?? { phase: this.phases[0]! };
    this.counts = { ...run.counts };
    this.apiCalls = run.apiCalls;
  }

  get startedAt(): Date {
    return this.run.startedAt ?? new Date();
  }

  countsOf(phase: SyncPhase): SyncPhaseCounts {
    return (this.counts[phase] ??= emptyCounts());
  }

  error(phase: SyncPhase, message: string, extra: { code?: string; ids?: string[] } = {}): void {
    // Shown to the seller with the run: masked like any error text that leaves the process.
    this.pendingErrors.push({ at: new Date().toISOString(), phase, message: redactText(message).slice(0, 500), ...extra });
  }

  async call<T>(method: MlMethod, path: string, options: MlRequestOptions = {}): Promise<MlResponse<T>> {
    for (let attempt = 1; ; attempt++) {
      if (this.ctx.signal.aborted) throw new AppError("unavailable", "The sync was interrupted by shutdown; it resumes from its cursor.");
      for (;;) {
        const wait = await this.ctx.takeCall(this.account.id);
        if (wait <= 0) break;
        await sleep(wait, this.ctx.signal);
      }
      this.apiCalls++;
      try {
        return await this.ml.request<T>(this.account.id, method, path, { ...options, signal: this.ctx.signal });
      } catch (error) {
        const transient = error instanceof MlApiError && error.retryable && (error.mlStatus === undefined || error.mlStatus === 429 || error.mlStatus >= 500);
        if (!transient || attempt > this.options.callRetries) throw error;
        const delay = backoffDelay(attempt, this.options.retryBaseMs, this.options.retryCapMs);
        this.ctx.log.info("ml call failed transiently; retrying within the sync", { path: error.endpoint, mlStatus: error.mlStatus, attempt, delayMs: Math.round(delay) });
        await sleep(delay, this.ctx.signal);
      }
    }
  }

  /** Percent of the whole run, from the current phase's own fraction. */
  percent(phase: SyncPhase, fraction: number): number {
    const weights: Record<SyncPhase, number> = { listings: 50, orders: 40, questions: 5, claims: 5 };
    const total = this.phases.reduce((sum, p) => sum + weights[p], 0);
    let before = 0;
    for (const p of this.phases) {
      if (p === phase) break;
      before += weights[p];
    }
    const clamped = Math.max(0, Math.min(1, fraction));
    return ((before + weights[phase] * clamped) / total) * 100;
  }

  /** Persists the cursor after a committed page, then reports it as the job's progress. */
  async commit(phase: SyncPhase, fraction: number): Promise<void> {
    const percent = this.percent(phase, fraction);
    const newErrors = this.pendingErrors;
    this.pendingErrors = [];
    await saveSyncProgress(this.ctx.db, this.run.id, { cursor: this.cursor, counts: this.counts, percent, apiCalls: this.apiCalls, newErrors, now: new Date() });
    await this.ctx.progress({ runId: this.run.id, phase, percent: Math.floor(percent), counts: this.counts, apiCalls: this.apiCalls }).catch((error: unknown) => {
      // Progress is informational: a Redis hiccup must not fail a run whose position is already stored.
      this.ctx.log.warn("job progress not reported", { error: (error as Error).message });
    });
    this.pages++;
    await this.options.afterPage?.(phase, this.pages);
  }

  /** Records an upsert outcome. */
  tally(phase: SyncPhase, applied: boolean): void {
    const counts = this.countsOf(phase);
    counts.seen++;
    if (applied) counts.applied++;
    else counts.stale++;
  }

  /**
   * One ML record read into our row, or undefined when our model refuses it: the record is counted
   * failed with the fields it broke (a redacted excerpt goes to the log, to fix the model from) and
   * the run goes on.
   */
  read<T>(phase: SyncPhase, raw: unknown, transform: (raw: unknown) => T, id = String((raw as { id?: unknown } | null)?.id ?? "?")): T | undefined {
    try {
      return transform(raw);
    } catch (error) {
      let reason = describeError(error);
      if (error instanceof ZodError) {
        const failure = describeParseFailure(error, raw);
        this.ctx.log.warn("ml answered an unexpected body", { phase, id, paths: failure.paths, sample: failure.sample });
        reason = failure.summary;
      }
      this.fail(phase, [id], `${phase} record ${id} could not be read: ${reason}`.slice(0, 500), "unreadable");
      return undefined;
    }
  }

  /**
   * One upsert, tallied. A resource the upsert refuses as another seller's is counted as failed
   * with its id, never stored, and the run goes on: one odd record must not stop a sync.
   */
  async store(phase: SyncPhase, id: string | number, write: () => Promise<boolean>): Promise<void> {
    try {
      this.tally(phase, await write());
    } catch (error) {
      if (!this.ctx.noteForeign(this.account.id, error)) throw error;
      this.fail(phase, [String(id)], error.message, "foreign_resource");
    }
  }

  fail(phase: SyncPhase, ids: string[], message: string, code?: string): void {
    const counts = this.countsOf(phase);
    counts.seen += ids.length;
    counts.failed += ids.length;
    this.error(phase, message, { ids, ...(code ? { code } : {}) });
  }
}
