import { AppError } from "#core/errors";
import type { TinyAccountSummary } from "#db/queries/tiny";
import { countLinkedTinyProducts, findLinkedTinyProductIds } from "#db/queries/tiny-account-settings";
import type { ActingContext } from "../context";

/**
 * Asks the jobs container to bring linked ML listings to Tiny's stock, for some products or
 * all the account's linked ones. Everything that would make the job a no-op or a failure is
 * refused here, before anything is queued: only linked products have listings to update.
 * The caller has checked that the account is the seller's.
 */
export async function requestTinyStockSync({
  ctx,
  input,
}: {
  ctx: Pick<ActingContext, "db" | "log" | "enqueue">;
  input: { account: TinyAccountSummary; productIds?: number[] | undefined };
}): Promise<{ jobId: string; products: number }> {
  const { account } = input;
  if (account.status !== "active") throw new AppError("conflict", `The Tiny account is ${account.status}; reconnect it before syncing stock.`, { retryable: false });

  let productIds: number[] | undefined;
  let products: number;
  if (input.productIds) {
    const requested = input.productIds;
    const linked = await findLinkedTinyProductIds(ctx.db, account.id, requested);
    const fields = requested.flatMap((id, index) =>
      linked.has(id) ? [] : [{ path: `body.productIds.${index}`, message: `no ML listing is linked to Tiny product ${id} in this account`, code: "not_linked" }],
    );
    if (fields.length) throw new AppError("unprocessable", "Some products have no product link, so there is no listing to update.", { fields });
    productIds = [...linked];
    products = productIds.length;
  } else {
    products = await countLinkedTinyProducts(ctx.db, account.id);
    if (products === 0) {
      throw new AppError("unprocessable", "This Tiny account has no product links, so there is no stock to sync; link products first.", {
        fields: [{ path: "body.accountId", message: "this account has no product links", code: "no_links" }],
      });
    }
  }

  const { jobId } = await ctx.enqueue("tinyerp.stock.sync", { accountId: account.id, ...(productIds ? { productIds } : {}), trigger: "api" });
  ctx.log.info("tiny stock sync requested", { accountId: account.id, products, jobId });
  return { jobId, products };
}
