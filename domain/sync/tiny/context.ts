import type { MlClient } from "#integrations/mercadolibre";
import type { TinyClient } from "#integrations/tiny";
import type { DomainContext } from "../../context";

/**
 * What a product sync run is given by the job that works it, beyond the common parts: the
 * job's shutdown signal and progress, the provider clients, and the ML call budget every
 * pipeline of an account shares (it lives with the jobs).
 */
export interface TinyProductSyncContext extends Pick<DomainContext, "db" | "log" | "now"> {
  /** Aborted when the container shuts down: the run stops and resumes from its cursor. */
  signal: AbortSignal;
  /** The job's progress, for Bull Board and the runs list. */
  progress(report: Record<string, unknown>): Promise<void>;
  tiny: TinyClient;
  /** Null when the jobs container has no MercadoLibre configuration: new products cannot get their description. */
  ml: MlClient | null;
  /** Counts one ML call against the account's per-second budget; ms to wait when it is spent, else 0. */
  takeCall(accountId: string): Promise<number>;
}
