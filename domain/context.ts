import type { JobName, Payload } from "../core/jobs/catalog";
import type { Logger } from "../core/log";
import type { Database } from "../db/database";

/**
 * What a business rule is given by the adapter that calls it (a Worker handler or a job
 * processor): the database, a logger and a way to start follow-up work. Rules take the parts
 * they need (`Pick<DomainContext, …>`), so a caller never builds more than that.
 */
export interface DomainContext {
  db: Database;
  log: Logger;
  /** Adds a job: BullMQ inside the jobs container, QStash from the Worker. */
  enqueue: <K extends JobName>(name: K, payload: Payload<K>) => Promise<unknown>;
}
