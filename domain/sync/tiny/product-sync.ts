import { AppError } from "#core/errors";
import { sleep } from "#core/timeout";
import type { MlClient } from "#integrations/mercadolibre";
import { getItemDescription } from "#integrations/mercadolibre/items-api";
import { TinyAccountUnavailableError, TinyApiError, type TinyAccountClient, type TinyProductListItem, type TinyVariationWrite } from "#integrations/tiny";
import { listMlAccountsOfUser } from "#db/queries/ml-accounts";
import { findListing } from "#db/queries/ml-read";
import { findTinyAccount, upsertSyncLink, upsertTinyProducts, type TinyProductLink } from "#db/queries/tiny";
import { duplicateSkusOfUser, linkKey, linksOfListings, pageListingsForProductSync, saveProductSyncProgress, type SyncListing } from "#db/queries/tiny-product-sync";
import type { TinyProductSyncCounts, TinyProductSyncProblem, TinyProductSyncRun } from "#db/schema";
import type { TinyProductSyncContext } from "./context";

const pageSize = 100;
/** Tiny's own unit for "unit"; ML listings have none. */
const defaultUnit = "UN";

type Counts = TinyProductSyncCounts;
const zeroCounts = (): Counts => ({ listings: 0, items: 0, created: 0, updated: 0, unchanged: 0, linked: 0, manual: 0, problems: 0, tinyReads: 0, tinyWrites: 0 });

/** Cents, so 59.9 from Tiny and "59.90" from Postgres compare equal. */
const cents = (value: number | string | null | undefined): number | null => (value === null || value === undefined || value === "" ? null : Math.round(Number(value) * 100));
const toPrice = (value: string | null) => (value === null ? undefined : { preco: Number(value) });
/**
 * The GTIN to send when ML's differs from Tiny's (Tiny answers "" for none). A listing without
 * one leaves Tiny's alone: the seller may have typed it there, and ML cannot say it is wrong.
 */
const gtinToSend = (ml: string | null, tiny: string | null | undefined): string | undefined => (ml && ml !== (tiny ?? "") ? ml : undefined);

class ItemProblem extends Error {
  constructor(
    readonly code: TinyProductSyncProblem["code"],
    message: string,
  ) {
    super(message);
  }
}

/** Tiny answered about this item (not about the account or the network): report it and go on. */
function itemFailure(error: unknown): ItemProblem | undefined {
  if (!(error instanceof TinyApiError)) return undefined;
  const status = error.tinyStatus;
  if (status === 400 || status === 409 || status === 422) {
    const details = error.tinyDetails.map((d) => `${d.path}: ${d.message}`).join("; ");
    return new ItemProblem("tiny_rejected", `Tiny refused it: ${error.message}${details ? ` (${details})` : ""}`);
  }
  if (status === 404) return new ItemProblem("failed", `Tiny answered not found: ${error.message}`);
  return undefined;
}

interface RunState {
  accountId: string;
  userId: string;
  counts: Counts;
  problems: TinyProductSyncProblem[];
  duplicates: Set<string>;
  client: TinyAccountClient;
  db: TinyProductSyncContext["db"];
  ml: MlClient | null;
  takeCall: TinyProductSyncContext["takeCall"];
}

/** Every Tiny call of the run goes through here, so the run reports what it spent. */
function counted(client: TinyAccountClient, counts: Counts): TinyAccountClient {
  const read =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A) => {
      counts.tinyReads++;
      return fn(...args);
    };
  const write =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A) => {
      counts.tinyWrites++;
      return fn(...args);
    };
  return {
    ...client,
    listProducts: read(client.listProducts),
    getProduct: read(client.getProduct),
    createProduct: write(client.createProduct),
    updateProduct: write(client.updateProduct),
    addVariation: write(client.addVariation),
    updateVariation: write(client.updateVariation),
  };
}

/**
 * Tiny's `?codigo=` matching is not documented as exact, so only exact SKUs count, and a
 * deleted product (situacao E, SKU freed) is no match.
 */
async function findBySku(state: RunState, sku: string, signal: AbortSignal): Promise<TinyProductListItem[]> {
  const page = await state.client.listProducts({ codigo: sku, limit: 100 }, { signal });
  return page.itens.filter((p) => p.sku === sku && p.situacao !== "E");
}

/**
 * The listing's long description (ML's `plain_text`), read only for a product about to be
 * created, through the listing's own ML account and its per-account call budget. ML answers
 * 404 for a listing without one. An ML account that cannot be used reports the item instead
 * of creating it bare: the description is sent on create only, so it would never arrive.
 */
async function mlDescription(state: RunState, mlItemId: string, signal: AbortSignal): Promise<string | undefined> {
  const ml = state.ml;
  if (!ml) throw new AppError("unavailable", "MercadoLibre is not configured in the jobs container; new Tiny products need their listing's description.", { retryable: false });
  const mlAccounts = await listMlAccountsOfUser(state.db, state.userId);
  const found = await findListing(
    state.db,
    mlAccounts.map((a) => a.id),
    mlItemId,
  );
  if (!found) throw new ItemProblem("failed", "The listing is no longer among your MercadoLibre listings.");
  const accountId = found.listing.accountId;
  for (;;) {
    const wait = await state.takeCall(accountId);
    if (wait <= 0) break;
    await sleep(wait, signal);
  }
  try {
    return (await getItemDescription(ml.forAccount(accountId), mlItemId, { signal }))?.trim() || undefined;
  } catch (error) {
    if (error instanceof AppError && !error.retryable) throw new ItemProblem("failed", `Could not read the listing's description from MercadoLibre: ${error.message}`);
    throw error;
  }
}

function report(state: RunState, problem: TinyProductSyncProblem): void {
  state.counts.problems++;
  state.problems.push(problem);
}

/** Checks that need no Tiny call; returns the item's SKU, or undefined when it is skipped or reported. */
function preflight(state: RunState, links: Map<string, TinyProductLink>, mlItemId: string, mlVariationId: number | null, rawSku: string | null): string | undefined {
  state.counts.items++;
  const link = links.get(linkKey(mlItemId, mlVariationId));
  if (link?.source === "manual") {
    state.counts.manual++;
    return undefined;
  }
  const sku = rawSku?.trim() || null;
  const base = { mlItemId, mlVariationId, sku };
  if (link && link.tinyAccountId !== state.accountId) {
    report(state, { ...base, code: "linked_elsewhere", message: "Linked to a product of another Tiny account; change the link to sync it here." });
    return undefined;
  }
  if (!sku) {
    report(state, { ...base, code: "missing_sku", message: "The listing has no SKU (SELLER_SKU or seller_custom_field) in MercadoLibre." });
    return undefined;
  }
  if (state.duplicates.has(sku)) {
    report(state, { ...base, code: "duplicate_sku", message: `Several of your listings/variations carry SKU ${sku}; link them by hand.` });
    return undefined;
  }
  return sku;
}

async function link(state: RunState, links: Map<string, TinyProductLink>, mlItemId: string, mlVariationId: number | null, tinyProductId: number, tinySku: string, now: Date): Promise<void> {
  const before = links.get(linkKey(mlItemId, mlVariationId));
  if (before && before.tinyProductId === tinyProductId && before.tinySku === tinySku && before.tinyAccountId === state.accountId) return;
  // The query keeps a manual link made since this page was read: undefined means the seller's link stands.
  const written = await upsertSyncLink(state.db, { userId: state.userId, tinyAccountId: state.accountId, mlItemId, mlVariationId, tinyProductId, tinySku }, now);
  if (written) state.counts.linked++;
}

async function syncSimple(state: RunState, listing: SyncListing, links: Map<string, TinyProductLink>, signal: AbortSignal, now: Date): Promise<void> {
  const sku = preflight(state, links, listing.mlItemId, null, listing.sellerSku);
  if (!sku) return;
  const base = { mlItemId: listing.mlItemId, mlVariationId: null, sku };
  try {
    const matches = await findBySku(state, sku, signal);
    if (matches.length > 1) throw new ItemProblem("ambiguous_tiny_sku", `Tiny has ${matches.length} products with SKU ${sku}.`);
    let productId: number;
    const match = matches[0];
    if (!match) {
      const descricaoComplementar = await mlDescription(state, listing.mlItemId, signal);
      const created = await state.client.createProduct(
        { sku, descricao: listing.title, descricaoComplementar, tipo: "S", unidade: defaultUnit, gtin: listing.gtin ?? undefined, precos: toPrice(listing.price) },
        { signal },
      );
      productId = created.id;
      state.counts.created++;
      await upsertTinyProducts(
        state.db,
        state.accountId,
        [{ tinyProductId: created.id, sku, name: listing.title, type: "S", status: "A", unit: defaultUnit, gtin: listing.gtin, price: listing.price, tinyUpdatedAt: null }],
        now,
      );
    } else {
      productId = match.id;
      const priceChanged = listing.price !== null && cents(listing.price) !== cents(match.precos?.preco);
      const gtin = gtinToSend(listing.gtin, match.gtin);
      if (priceChanged || gtin || match.descricao !== listing.title) {
        await state.client.updateProduct(match.id, { sku, descricao: listing.title, ...(priceChanged ? { precos: toPrice(listing.price) } : {}), ...(gtin ? { gtin } : {}) }, { signal });
        state.counts.updated++;
      } else state.counts.unchanged++;
    }
    await link(state, links, listing.mlItemId, null, productId, sku, now);
  } catch (error) {
    const problem = error instanceof ItemProblem ? error : itemFailure(error);
    if (!problem) throw error;
    report(state, { ...base, code: problem.code, message: problem.message });
  }
}

/**
 * A listing with variations is one Tiny product of type V. Its SKU is the listing's own, or
 * the ML item id when the seller gave the listing none: stable, so a rerun finds it again.
 */
async function syncWithVariations(state: RunState, listing: SyncListing, links: Map<string, TinyProductLink>, signal: AbortSignal, now: Date): Promise<void> {
  const eligible = listing.variations.flatMap((v) => {
    const sku = preflight(state, links, listing.mlItemId, v.mlVariationId, v.sellerSku);
    return sku ? [{ ...v, sku }] : [];
  });
  if (eligible.length === 0) return;
  const parentSku = listing.sellerSku?.trim() || listing.mlItemId;
  const toWrite = (v: (typeof eligible)[number]): TinyVariationWrite => ({
    sku: v.sku,
    gtin: v.gtin ?? undefined,
    precos: toPrice(v.price ?? listing.price),
    grade: v.attributes.filter((a) => a.name && a.valueName).map((a) => ({ chave: a.name!, valor: a.valueName! })),
  });
  try {
    const matches = await findBySku(state, parentSku, signal);
    if (matches.length > 1) throw new ItemProblem("ambiguous_tiny_sku", `Tiny has ${matches.length} products with SKU ${parentSku}.`);
    const match = matches[0];
    if (!match) {
      const descricaoComplementar = await mlDescription(state, listing.mlItemId, signal);
      const created = await state.client.createProduct(
        {
          sku: parentSku,
          descricao: listing.title,
          descricaoComplementar,
          tipo: "V",
          unidade: defaultUnit,
          gtin: listing.gtin ?? undefined,
          precos: toPrice(listing.price),
          variacoes: eligible.map(toWrite),
        },
        { signal },
      );
      state.counts.created += eligible.length;
      for (const v of eligible) {
        const tinyVariation = created.variacoes.find((c) => c.codigo === v.sku);
        if (!tinyVariation) {
          report(state, { mlItemId: listing.mlItemId, mlVariationId: v.mlVariationId, sku: v.sku, code: "failed", message: "Tiny created the product but did not return this variation." });
          continue;
        }
        await link(state, links, listing.mlItemId, v.mlVariationId, tinyVariation.id, v.sku, now);
      }
      return;
    }
    if (match.tipo !== "V") throw new ItemProblem("ambiguous_tiny_sku", `Tiny's product ${parentSku} has no variations (type ${match.tipo ?? "?"}); link the variations by hand.`);
    const detail = await state.client.getProduct(match.id, { signal });
    const parentGtin = gtinToSend(listing.gtin, detail.gtin);
    const parentChanged = detail.descricao !== listing.title || parentGtin !== undefined || (listing.price !== null && cents(listing.price) !== cents(detail.precos?.preco));
    if (parentChanged) {
      await state.client.updateProduct(
        match.id,
        { sku: parentSku, descricao: listing.title, ...(listing.price === null ? {} : { precos: toPrice(listing.price) }), ...(parentGtin ? { gtin: parentGtin } : {}) },
        { signal },
      );
    }
    for (const v of eligible) {
      try {
        const existing = detail.variacoes.find((t) => t.sku === v.sku);
        const price = v.price ?? listing.price;
        let variationId: number;
        if (!existing) {
          variationId = (await state.client.addVariation(match.id, toWrite(v), { signal })).id;
          state.counts.created++;
        } else {
          variationId = existing.id;
          const priceChanged = price !== null && cents(price) !== cents(existing.precos?.preco);
          const gtin = gtinToSend(v.gtin, existing.gtin);
          if (priceChanged || gtin) {
            await state.client.updateVariation(match.id, existing.id, { ...(priceChanged ? { precos: { preco: Number(price) } } : {}), ...(gtin ? { gtin } : {}) }, { signal });
            state.counts.updated++;
          } else if (parentChanged) state.counts.updated++;
          else state.counts.unchanged++;
        }
        await link(state, links, listing.mlItemId, v.mlVariationId, variationId, v.sku, now);
      } catch (error) {
        const problem = error instanceof ItemProblem ? error : itemFailure(error);
        if (!problem) throw error;
        report(state, { mlItemId: listing.mlItemId, mlVariationId: v.mlVariationId, sku: v.sku, code: problem.code, message: problem.message });
      }
    }
  } catch (error) {
    const problem = error instanceof ItemProblem ? error : itemFailure(error);
    if (!problem) throw error;
    for (const v of eligible) report(state, { mlItemId: listing.mlItemId, mlVariationId: v.mlVariationId, sku: v.sku, code: problem.code, message: problem.message });
  }
}

export interface ProductSyncSlice {
  /** The run's state as the job started it (`startProductSyncRun`): cursor, counts and problems so far. */
  run: TinyProductSyncRun;
  /** When (`ctx.now()`, in ms) this execution stops after the listing in flight, so the job can hand the queue back. */
  until: number;
}

/**
 * One slice of a run: the user's listings in ml_item_id order after the run's cursor, one
 * listing at a time, progress saved after each. Every item is looked up by SKU before
 * anything is written, so a resumed execution that repeats the listing in flight finds what
 * it created and writes nothing new. "sliced" means time ran out with listings left.
 */
export async function syncProductsToTiny({ ctx, input }: { ctx: TinyProductSyncContext; input: ProductSyncSlice }): Promise<{ status: "done" | "sliced"; counts: Counts }> {
  const { run, until } = input;
  const counts: Counts = { ...zeroCounts(), ...run.counts };
  const state: RunState = {
    accountId: run.tinyAccountId,
    userId: run.userId,
    counts,
    problems: [...run.problems],
    duplicates: await duplicateSkusOfUser(ctx.db, run.userId),
    client: counted(ctx.tiny.forAccount(run.tinyAccountId), counts),
    db: ctx.db,
    ml: ctx.ml,
    takeCall: ctx.takeCall,
  };
  let cursor = run.cursor;
  const account = await findTinyAccount(ctx.db, run.tinyAccountId);
  if (!account || account.status !== "active") throw new TinyAccountUnavailableError(run.tinyAccountId, account?.status ?? "missing");
  for (;;) {
    const page = await pageListingsForProductSync(ctx.db, run.userId, cursor, pageSize);
    if (page.length === 0) break;
    const links = await linksOfListings(
      ctx.db,
      run.userId,
      page.map((l) => l.mlItemId),
    );
    for (const listing of page) {
      if (ctx.signal.aborted) throw new AppError("unavailable", "Shutting down; the run resumes from its cursor.");
      const now = ctx.now();
      counts.listings++;
      if (listing.variations.length > 0) await syncWithVariations(state, listing, links, ctx.signal, now);
      else await syncSimple(state, listing, links, ctx.signal, now);
      cursor = listing.mlItemId;
      await saveProductSyncProgress(ctx.db, run.id, { cursor, counts, problems: state.problems, now });
      if (ctx.now().getTime() > until) {
        await ctx.progress({ ...counts });
        return { status: "sliced", counts };
      }
    }
    await ctx.progress({ ...counts });
  }
  return { status: "done", counts };
}
