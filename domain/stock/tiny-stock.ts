import type { Database } from "#db/database";
import { recordLinkStock, recordLinkStockError, type StockLink } from "#db/queries/tiny-stock";
import type { TinyDepositStock as StoredDeposit } from "#db/schema";
import { AppError } from "#core/errors";
import type { Logger } from "#core/log";
import { changeListing } from "../listings/listing-changes";
import type { MlClient } from "#integrations/mercadolibre/client";
import type { CallOptions, TinyAccountClient } from "#integrations/tiny/client";
import type { TinyStock } from "#integrations/tiny/schemas";
import { describeError } from "#core/redact";

/**
 * Tiny is the source of truth for stock; this is the one way its number reaches ML, for both
 * runtimes. A read of GET /estoque/{id} becomes what ML may sell, and every ML listing or
 * variation linked to the product is brought to it through changeListing. Nothing here writes
 * to Tiny, and ML's number is never read back as stock: a change we make on ML can therefore
 * never come back to us as a change to propagate (no echo).
 */

/** One GET /estoque/{id}, reduced to the deposits Tiny counts (desconsiderar = false). */
export interface TinyStockReading {
  tinyProductId: number;
  physical: number;
  reserved: number;
  /** What may be sold, summed over counted deposits; fractional or negative as Tiny says. */
  available: number;
  deposits: StoredDeposit[];
  /** When the read started: every change Tiny made before this moment is in it. */
  fetchedAt: Date;
}

/** Tiny's quantities are floats; three decimals is what Tiny (and numeric(14,3)) keeps. */
const thousandths = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Accounts without Tiny's reservation module report `disponivel` as a constant 0 while `saldo`
 * holds the stock (tiny-api.md §6.1). Stock on the shelf with nothing reserved and nothing
 * available is that signature, not an empty shelf: selling 0 would pause every listing.
 */
function availableOf(line: { saldo: number | null; reservado: number | null; disponivel: number | null }): number {
  const physical = line.saldo ?? 0;
  const available = line.disponivel ?? 0;
  return available === 0 && (line.reservado ?? 0) === 0 && physical > 0 ? physical : available;
}

export function toStockReading(productId: number, stock: TinyStock, fetchedAt: Date): TinyStockReading {
  const deposits: StoredDeposit[] = stock.depositos.map((d) => ({
    id: d.id,
    name: d.nome,
    physical: d.saldo ?? 0,
    reserved: d.reservado ?? 0,
    available: availableOf(d),
    counted: !d.desconsiderar,
  }));
  if (deposits.length === 0) {
    return { tinyProductId: productId, physical: stock.saldo ?? 0, reserved: stock.reservado ?? 0, available: availableOf(stock), deposits, fetchedAt };
  }
  // Tiny's root numbers are not always the sum of its deposits; the counted deposits are the truth.
  const counted = deposits.filter((d) => d.counted);
  const sum = (key: "physical" | "reserved" | "available") => thousandths(counted.reduce((n, d) => n + d[key], 0));
  return { tinyProductId: productId, physical: sum("physical"), reserved: sum("reserved"), available: sum("available"), deposits, fetchedAt };
}

export async function readStock(client: TinyAccountClient, productId: number, options?: CallOptions): Promise<TinyStockReading> {
  const fetchedAt = new Date();
  return toStockReading(productId, await client.getStock(productId, options), fetchedAt);
}

/** Whole units ML may sell: a fraction of a unit cannot be sold, and negative stock sells nothing. */
export function sellableUnits(available: number): number {
  return Math.max(0, Math.floor(thousandths(available)));
}

/**
 * What every listing of the product should show: Tiny's sellable units less the ML sales Tiny
 * has not posted yet. Without the subtraction, a read between an ML sale and Tiny's posting of
 * it would put the sold units back on ML, and they would be sold twice.
 */
export function stockTarget(available: number, pendingUnits: number): number {
  return Math.max(0, sellableUnits(available) - pendingUnits);
}

/** GET /produtos/{id}/kit as (component, quantity per kit). */
export async function readKitComposition(client: TinyAccountClient, kitId: number, options?: CallOptions): Promise<Array<{ componentProductId: number; quantity: number }>> {
  const items = await client.getKit(kitId, options);
  return items.map((item) => ({ componentProductId: item.produto.id, quantity: item.quantidade }));
}

export type LinkStockOutcome =
  | { linkId: string; outcome: "unchanged" | "pushed"; quantity: number }
  /** ML cannot take it (closed, Full, a 4xx): recorded on the link as its stock_error. */
  | { linkId: string; outcome: "refused"; error: string }
  /** ML or the network failed in a way that may pass (429, 5xx, 409): the caller retries. */
  | { linkId: string; outcome: "retry"; error: AppError };

export interface StockPushDeps {
  db: Database;
  ml: MlClient;
  log: Logger;
}

const refusal = {
  notOurs: "The ML listing is not in this seller's ML data (not synced yet, or not one of their ML accounts).",
  closed: "The ML listing is closed; its stock can no longer change.",
  noVariation: (id: number) => `The ML listing has no variation ${id} in our data.`,
};

async function refuse(deps: StockPushDeps, link: StockLink, message: string): Promise<LinkStockOutcome> {
  if (link.stockError !== message) await recordLinkStockError(deps.db, link.id, message, new Date());
  return { linkId: link.id, outcome: "refused", error: message };
}

/**
 * Brings each link's listing (or variation) to `target`. A listing already showing it costs no
 * ML call: the comparison is against ML's number as last stored, which changeListing refreshes
 * after every write. Links are independent: one refused or failing does not hold the others.
 */
export async function pushStockToLinks({ ctx: deps, input: { links, target } }: { ctx: StockPushDeps; input: { links: StockLink[]; target: number } }): Promise<LinkStockOutcome[]> {
  const outcomes: LinkStockOutcome[] = [];
  for (const link of links) {
    if (!link.mlAccountId) outcomes.push(await refuse(deps, link, refusal.notOurs));
    else if (link.listingStatus === "closed") outcomes.push(await refuse(deps, link, refusal.closed));
    else if (!link.variationFound) outcomes.push(await refuse(deps, link, refusal.noVariation(link.mlVariationId!)));
    else if (link.mlQuantity === target) {
      if (link.mlPushedQuantity !== target || link.stockError !== null) await recordLinkStock(deps.db, link.id, target, false, new Date());
      outcomes.push({ linkId: link.id, outcome: "unchanged", quantity: target });
    } else outcomes.push(await pushOne(deps, link, link.mlAccountId, target));
  }
  return outcomes;
}

async function pushOne(deps: StockPushDeps, link: StockLink, mlAccountId: string, target: number): Promise<LinkStockOutcome> {
  try {
    await changeListing({
      ctx: { ml: deps.ml, db: deps.db },
      input: { accountId: mlAccountId, mlItemId: link.mlItemId, variationId: link.mlVariationId ?? undefined, availableQuantity: target, reason: "tiny stock sync" },
    });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    if (error.retryable) {
      deps.log.warn("ML did not take the stock; the sync will retry", { mlItemId: link.mlItemId, mlVariationId: link.mlVariationId ?? undefined, code: error.code, message: error.message });
      return { linkId: link.id, outcome: "retry", error };
    }
    return refuse(deps, link, describeError(error).slice(0, 500));
  }
  await recordLinkStock(deps.db, link.id, target, true, new Date());
  return { linkId: link.id, outcome: "pushed", quantity: target };
}
