import { AppError } from "#core/errors";
import { findTinyAccountOfUser, listTinyAccountsOfUser, type TinyAccountSummary } from "#db/queries/tiny";
import { findProductSyncRunOfUser } from "#db/queries/tiny-product-sync";
import { requestProductSyncRun } from "#domain/sync/runs";
import type { TinyProductSyncRun } from "#db/schema";
import type { Principal } from "../lib/types";
import type { Services } from ".";
import { actingContext } from "./domain-context";
import { requirePublisher } from "./publish-job";

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

/** The account must be the caller's and work must be queueable before the run is recorded. */
export async function requestProductSync(services: Services, principal: Principal, input: { accountId?: string | undefined }, traceId: string): Promise<{ run: TinyProductSyncRun; jobId: string }> {
  const account = await syncAccount(services, principal, input.accountId);
  const unavailable = "Syncs cannot be started right now.";
  if (account.status === "active") requirePublisher(services, unavailable);
  const ctx = actingContext(services, principal, { traceId, unavailable, failed: "The sync could not be queued; try again." });
  return requestProductSyncRun({ ctx, input: { account } });
}

export async function getProductSyncRun(services: Services, principal: Principal, id: string): Promise<TinyProductSyncRun> {
  const run = await findProductSyncRunOfUser(services.db, principal.userId, id);
  if (!run) throw new AppError("not_found", "No such product sync run.");
  return run;
}
