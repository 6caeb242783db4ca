import type { JobName, Payload } from "#core/jobs/catalog";
import type { Logger } from "#core/log";
import type { Database, RunInTransaction } from "#db/database";
import type { MlServices } from "#integrations/mercadolibre";
import type { TinyServices } from "#integrations/tiny";

export interface EnqueueOptions {
  /** Collapses repeats of the same work while the first is queued (QStash's dedup id, BullMQ's key). */
  deduplicationId?: string;
}

/**
 * What a business rule is given by the adapter that calls it (a Worker handler or a job
 * processor). Rules take the parts they need (`Pick<DomainContext, …>`), so a caller never
 * builds more than that, and a test can hand a rule exactly what it reads.
 */
export interface DomainContext {
  db: Database;
  /** An interactive transaction, for rules that hold a row lock across statements. */
  transaction: RunInTransaction;
  log: Logger;
  /** The rule's clock: timestamps it writes come from here, never from `new Date()` inline. */
  now: () => Date;
  /** Adds a job: BullMQ inside the jobs container, QStash from the Worker. */
  enqueue: <K extends JobName>(name: K, payload: Payload<K>, options?: EnqueueOptions) => Promise<{ jobId: string }>;
  /** The providers' clients, opened on first use; `unavailable` when the provider is not configured. */
  ml: () => Promise<MlServices>;
  tiny: () => Promise<TinyServices>;
}

/** The signed-in seller a rule acts for: every row it reads or writes must be theirs. */
export interface Actor {
  userId: string;
}

/** A rule run on a seller's behalf (a dashboard request): the context and who asked. */
export interface ActingContext extends DomainContext {
  actor: Actor;
}
