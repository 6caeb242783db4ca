import type { ActingContext, DomainContext } from "#domain/context";
import type { Principal } from "../lib/types";
import { publishJob } from "./publish-job";
import type { Services } from ".";

export interface EnqueueMessages {
  /** The request's trace id, carried to the job so its logs join the request's. */
  traceId: string;
  /** The 503's detail when nothing can be queued (QStash not configured). */
  unavailable?: string;
  /** The 503's detail when QStash refused or could not be reached. */
  failed?: string;
}

/**
 * The domain's view of a request's services: the one place the Worker turns what
 * `buildServices` made into what a rule takes. Jobs go out through QStash (`publishJob`).
 */
export function domainContext(services: Services, messages: EnqueueMessages = { traceId: "" }): DomainContext {
  return {
    db: services.db,
    transaction: services.transaction,
    log: services.logger,
    now: services.now,
    enqueue: (name, payload, options) =>
      publishJob(services, name, payload, messages.traceId, { deduplicationId: options?.deduplicationId, unavailable: messages.unavailable, failed: messages.failed }),
    ml: services.ml,
    tiny: services.tiny,
  };
}

/** The same, acting for the signed-in seller. */
export function actingContext(services: Services, principal: Principal, messages?: EnqueueMessages): ActingContext {
  return { ...domainContext(services, messages), actor: { userId: principal.userId } };
}
