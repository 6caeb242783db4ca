import { AppError } from "../../../core/errors";
import { findTinyAccountOfUser, listTinyAccountsOfUser, type TinyAccountSummary } from "../../../db/queries/tiny";
import { claimProductSyncRun, finishProductSyncRun, findProductSyncRunOfUser } from "../../../db/queries/tiny-product-sync";
import type { TinyProductSyncRun } from "../../../db/schema";
import type { Principal } from "../lib/types";
import type { Services } from ".";
import { publishJob, requirePublisher } from "./publish-job";

/** A live run of the account exists; the route answers 409 naming it. */
export class ProductSyncRunningError extends AppError {
  constructor(readonly run: TinyProductSyncRun) {
    super("conflict", `A product sync of this Tiny account is already ${run.status} (run ${run.id}).`, { retryable: false });
  }
}

/** The named account, or the user's only active one; never a guess between several. */
async function syncAccount(services: Services, principal: Principal, accountId: string | undefined): Promise<TinyAccountSummary> {
  if (accountId) {
    const account = await findTinyAccountOfUser(services.db, principal.userId, accountId);
    if (!account) throw new AppError("not_found", "No such Tiny ERP account.");
    return account;
  }
  const active = (await listTinyAccountsOfUser(services.db, principal.userId)).filter((a) => a.status === "active");
  if (active.length === 1) return active[0]!;
  if (active.length === 0) throw new AppError("not_found", "No Tiny ERP account is connected.");
  throw new AppError("validation_failed", "You have several Tiny ERP accounts; name one.", {
    fields: [{ path: "body.accountId", message: "required when several Tiny accounts are connected", code: "required" }],
  });
}

/**
 * Records the run, then hands it to the jobs container through QStash (the Worker cannot
 * spend hours of Tiny quota inside a request). A run whose publish fails is failed at once,
 * so it never blocks the next request.
 */
export async function requestProductSync(services: Services, principal: Principal, input: { accountId?: string | undefined }, traceId: string): Promise<{ run: TinyProductSyncRun; jobId: string }> {
  const account = await syncAccount(services, principal, input.accountId);
  if (account.status !== "active") throw new AppError("conflict", `The Tiny account is ${account.status}; reconnect it before syncing.`);
  const unavailable = "Syncs cannot be started right now.";
  requirePublisher(services, unavailable);
  const claimed = await claimProductSyncRun(services.db, { userId: principal.userId, tinyAccountId: account.id, trigger: "api", requestedBy: principal.userId, now: services.now() });
  if (!claimed.created) throw new ProductSyncRunningError(claimed.running);
  try {
    const { jobId } = await publishJob(services, "tinyerp.products.sync", { runId: claimed.run.id }, traceId, {
      deduplicationId: `tinyproductsync-${claimed.run.id}`,
      unavailable,
      failed: "The sync could not be queued; try again.",
    });
    return { run: claimed.run, jobId };
  } catch (error) {
    await finishProductSyncRun(services.db, claimed.run.id, { status: "failed", lastError: "The run could not be queued.", now: services.now() });
    throw error;
  }
}

export async function getProductSyncRun(services: Services, principal: Principal, id: string): Promise<TinyProductSyncRun> {
  const run = await findProductSyncRunOfUser(services.db, principal.userId, id);
  if (!run) throw new AppError("not_found", "No such product sync run.");
  return run;
}
