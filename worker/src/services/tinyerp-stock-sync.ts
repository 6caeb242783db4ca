import { requestTinyStockSync } from "#domain/stock/request-sync";
import type { Principal } from "../lib/types";
import { actingContext } from "./domain-context";
import { configurableAccount, resolveAccount } from "./tinyerp";
import type { Services } from ".";

export interface StockSyncRequest {
  accountId?: string | undefined;
  productIds?: number[] | undefined;
}

/**
 * The account is the one named (409 if disconnected) or the only active one; the rule refuses
 * anything the job could not do before queueing it (domain/stock/request-sync.ts). QStash being
 * unconfigured is found when the job is queued, after those checks, as it always was.
 */
export async function requestStockSync(services: Services, principal: Principal, input: StockSyncRequest, traceId: string): Promise<{ jobId: string; products: number }> {
  const account = input.accountId ? await configurableAccount(services, principal, input.accountId) : await resolveAccount(services, principal, undefined, "body");
  return requestTinyStockSync({ ctx: actingContext(services, principal, { traceId }), input: { account, productIds: input.productIds } });
}
