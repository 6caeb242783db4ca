import { AppError, type FieldError } from "#core/errors";
import { deleteLink, findCachedTinyProducts, findTinyAccountOfUser, findUserListing, upsertManualLink, upsertTinyProducts, type TinyAccountSummary, type TinyProductLink } from "#db/queries/tiny";
import { TinyApiError } from "#integrations/tiny/errors";
import type { TinyProduct } from "#integrations/tiny/schemas";
import { tinyProductRow } from "#integrations/tiny/transform";
import type { ActingContext } from "../context";

export interface LinkChange {
  mlItemId: string;
  mlVariationId: number | null;
  tinyAccountId: string;
  /** null removes the link. */
  tinyProductId: number | null;
}

export interface LinkChangeResult {
  mlItemId: string;
  mlVariationId: number | null;
  result: "linked" | "unlinked" | "unchanged";
  link: TinyProductLink | null;
}

type LinksContext = Pick<ActingContext, "db" | "log" | "now" | "tiny" | "actor">;

/**
 * The seller's corrections, all or nothing: every change is checked first (the listing is
 * theirs, the variation is the listing's, the Tiny product exists in that account), and only
 * then written. Unknown Tiny products are looked up in the cache, then — one read each — in Tiny.
 */
export async function changeProductLinks({ ctx, input }: { ctx: LinksContext; input: { changes: LinkChange[] } }): Promise<LinkChangeResult[]> {
  const { changes } = input;
  const userId = ctx.actor.userId;
  const fields: FieldError[] = [];
  const seen = new Set<string>();
  const accounts = new Map<string, TinyAccountSummary>();
  for (const [index, change] of changes.entries()) {
    const at = (field: string) => `body.links.${index}.${field}`;
    const target = `${change.mlItemId}/${change.mlVariationId ?? "-"}`;
    if (seen.has(target)) fields.push({ path: at("mlItemId"), message: "the same listing/variation appears twice", code: "duplicate" });
    seen.add(target);
    if (!accounts.has(change.tinyAccountId)) {
      const account = await findTinyAccountOfUser(ctx.db, userId, change.tinyAccountId);
      if (account) accounts.set(account.id, account);
    }
    if (!accounts.has(change.tinyAccountId)) fields.push({ path: at("tinyAccountId"), message: "no such Tiny account", code: "not_found" });
    const listing = await findUserListing(ctx.db, userId, change.mlItemId);
    if (!listing) {
      fields.push({ path: at("mlItemId"), message: "no such MercadoLibre listing in your accounts", code: "not_found" });
      continue;
    }
    if (change.mlVariationId === null && listing.variationIds.length > 0) {
      fields.push({ path: at("mlVariationId"), message: "this listing has variations: link each variation", code: "required" });
    } else if (change.mlVariationId !== null && !listing.variationIds.includes(change.mlVariationId)) {
      fields.push({ path: at("mlVariationId"), message: "not a variation of this listing", code: "not_found" });
    }
  }
  if (fields.length) throw new AppError("validation_failed", "Some links cannot be applied; see errors for each one.", { fields });

  const skus = await verifyTinyProducts(ctx, changes, accounts);
  const now = ctx.now();
  const results: LinkChangeResult[] = [];
  for (const change of changes) {
    if (change.tinyProductId === null) {
      const removed = await deleteLink(ctx.db, userId, change.mlItemId, change.mlVariationId);
      results.push({ mlItemId: change.mlItemId, mlVariationId: change.mlVariationId, result: removed ? "unlinked" : "unchanged", link: null });
      continue;
    }
    const link = await upsertManualLink(
      ctx.db,
      {
        userId,
        tinyAccountId: change.tinyAccountId,
        mlItemId: change.mlItemId,
        mlVariationId: change.mlVariationId,
        tinyProductId: change.tinyProductId,
        tinySku: skus.get(`${change.tinyAccountId}:${change.tinyProductId}`) ?? null,
      },
      now,
    );
    results.push({ mlItemId: change.mlItemId, mlVariationId: change.mlVariationId, result: "linked", link });
  }
  ctx.log.info("tiny product links changed", { count: changes.length });
  return results;
}

/** The SKU of every product the changes name, keyed `<account>:<product>`; a 400 naming each one that does not exist. */
async function verifyTinyProducts(ctx: Pick<LinksContext, "db" | "now" | "tiny">, changes: LinkChange[], accounts: Map<string, TinyAccountSummary>): Promise<Map<string, string | null>> {
  const skus = new Map<string, string | null>();
  const fields: FieldError[] = [];
  const byAccount = new Map<string, number[]>();
  for (const change of changes) {
    if (change.tinyProductId === null) continue;
    byAccount.set(change.tinyAccountId, [...(byAccount.get(change.tinyAccountId) ?? []), change.tinyProductId]);
  }
  for (const [accountId, ids] of byAccount) {
    const cached = await findCachedTinyProducts(ctx.db, accountId, ids);
    const missing = [...new Set(ids.filter((id) => !cached.has(id) || cached.get(id)!.status === "E"))];
    for (const [id, product] of cached) if (product.status !== "E") skus.set(`${accountId}:${id}`, product.sku);
    if (missing.length === 0) continue;
    if (accounts.get(accountId)?.status !== "active") {
      throw new AppError("conflict", "The Tiny account must be reconnected before products can be checked.", { retryable: false });
    }
    const client = (await ctx.tiny()).client.forAccount(accountId);
    const fetched: TinyProduct[] = [];
    for (const id of missing) {
      let product: TinyProduct | undefined;
      try {
        product = await client.getProduct(id);
      } catch (error) {
        if (!(error instanceof TinyApiError && error.code === "not_found")) throw error;
      }
      if (product) fetched.push(product);
      // A deleted product (situacao E) is as good as missing: nothing can be sold through it.
      if (product && product.situacao !== "E") {
        skus.set(`${accountId}:${id}`, product.sku);
        continue;
      }
      changes.forEach((change, index) => {
        if (change.tinyAccountId === accountId && change.tinyProductId === id) {
          fields.push({ path: `body.links.${index}.tinyProductId`, message: "no such product in this Tiny account", code: "not_found" });
        }
      });
    }
    await upsertTinyProducts(
      ctx.db,
      accountId,
      fetched.map((p) => tinyProductRow(p, null)),
      ctx.now(),
    );
  }
  if (fields.length) throw new AppError("validation_failed", "Some links name Tiny products that do not exist.", { fields });
  return skus;
}
