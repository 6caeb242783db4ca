import { AppError } from "../../../core/errors";
import { countLinkedTinyProducts, findLinkedTinyProductIds } from "../../../db/queries/tiny-account-settings";
import type { Principal } from "../lib/types";
import { publishJob } from "./publish-job";
import { configurableAccount, resolveAccount } from "./tinyerp";
import type { Services } from ".";

export interface StockSyncRequest {
  accountId?: string | undefined;
  productIds?: number[] | undefined;
}

/**
 * Asks the jobs container to bring linked ML listings to Tiny's stock, for some products or
 * all the account's linked ones. Everything that would make the job a no-op or a failure is
 * refused here, before anything is published: only linked products have listings to update.
 */
export async function requestStockSync(services: Services, principal: Principal, input: StockSyncRequest, traceId: string): Promise<{ jobId: string; products: number }> {
  const account = input.accountId ? await configurableAccount(services, principal, input.accountId) : await resolveAccount(services, principal, undefined, "body");
  if (account.status !== "active") throw new AppError("conflict", `The Tiny account is ${account.status}; reconnect it before syncing stock.`, { retryable: false });

  let productIds: number[] | undefined;
  let products: number;
  if (input.productIds) {
    const requested = input.productIds;
    const linked = await findLinkedTinyProductIds(services.db, account.id, requested);
    const fields = requested.flatMap((id, index) =>
      linked.has(id) ? [] : [{ path: `body.productIds.${index}`, message: `no ML listing is linked to Tiny product ${id} in this account`, code: "not_linked" }],
    );
    if (fields.length) throw new AppError("unprocessable", "Some products have no product link, so there is no listing to update.", { fields });
    productIds = [...linked];
    products = productIds.length;
  } else {
    products = await countLinkedTinyProducts(services.db, account.id);
    if (products === 0) {
      throw new AppError("unprocessable", "This Tiny account has no product links, so there is no stock to sync; link products first.", {
        fields: [{ path: "body.accountId", message: "this account has no product links", code: "no_links" }],
      });
    }
  }

  const published = await publishJob(services, "tinyerp.stock.sync", { accountId: account.id, ...(productIds ? { productIds } : {}), trigger: "api" }, traceId);
  services.logger.info("tiny stock sync requested", { accountId: account.id, products, jobId: published.jobId });
  return { jobId: published.jobId, products };
}
