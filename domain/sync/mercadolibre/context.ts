import type { ForeignResourceError } from "#db/queries/ml-data";
import type { DomainContext } from "../../context";

/**
 * What a sync run is given by the job that works it, beyond the common parts: the job's
 * shutdown signal and progress, and the account-wide pieces that live with the jobs (the ML
 * call budget every pipeline of an account shares, the foreign-resource count in /metrics).
 */
export interface MlSyncContext extends Pick<DomainContext, "db" | "log" | "enqueue"> {
  /** Aborted when the container shuts down: the run stops and resumes from its cursor. */
  signal: AbortSignal;
  /** The job's progress, for Bull Board and the runs list. */
  progress(report: Record<string, unknown>): Promise<void>;
  /** Counts one ML call against the account's per-second budget; ms to wait when it is spent, else 0. */
  takeCall(accountId: string): Promise<number>;
  /** True when `error` is a resource our store refused as another seller's, already logged and counted; false for any other error. */
  noteForeign(accountId: string, error: unknown): error is ForeignResourceError;
}
