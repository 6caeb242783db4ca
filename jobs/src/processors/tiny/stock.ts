import { AppError } from "#core/errors";
import { tinyStockPollEveryMs } from "#core/jobs/tiny-jobs";
import type { MlClient } from "#integrations/mercadolibre";
import { TinyAccountUnavailableError, TinyApiError, type TinyAccountClient } from "#integrations/tiny";
import { pushStockToLinks, readKitComposition, readStock, stockTarget, type LinkStockOutcome } from "#domain/stock/tiny-stock";
import { tinyProductRow } from "#integrations/tiny/transform";
import { findTinyAccount, upsertTinyProducts } from "#db/queries/tiny";
import {
  activeAccountsWithLinks,
  findCachedProductTypes,
  findKitCompositionAges,
  findStockInterest,
  findStockLevels,
  findStockLinks,
  linkedProductIds,
  pendingSaleUnits,
  productsDueForPoll,
  recordLinkStockError,
  replaceKitComponents,
  saveStockLevel,
  type TinyStockLevel,
} from "#db/queries/tiny-stock";
import { resourceLock } from "../shared/resource-lock";
import type { JobContext, Processor, Processors } from "../types";

/**
 * Tiny → ML stock (docs/tiny-stock.md). Webhooks and the poll only say which products to look
 * at; the sync re-reads each one from Tiny and brings its linked listings to it.
 */

/** Webhooks of one product within this window cost one Tiny read (docs/tiny-stock.md, "Coalescing"). */
const stockCoalesceMs = 1_000;
/** The poll's batch: see `tinyStockPollEveryMs` for the budget it fits. */
const pollBatch = 10;
/** ML sales never pushed to Tiny stop holding stock back after this; pushed ones hold it until posted. */
const pendingWindowMs = 3 * 24 * 3_600_000;
/** A kit's composition rarely changes; it is read again once a day when the kit is synced. */
const kitCompositionMaxAgeMs = 24 * 3_600_000;
/** Linked products read per page when a sync covers the whole account. */
const accountPage = 200;
/**
 * Tiny's burst bucket (a second) is worth waiting for; its minute window is not: the job gives
 * its worker back to other companies' jobs and comes back when the window has reset.
 */
const quotaWaitMs = 2_000;

const stockCoalesceKey = (accountId: string, productId: number) => `tiny-stock|${accountId}|${productId}`;

/**
 * Queues one product's stock sync, coalesced with any already waiting for it: whatever asks
 * (a webhook, an order's stock posting) rides on one Tiny read.
 */
export function enqueueProductStockSync(ctx: Pick<JobContext, "enqueue">, accountId: string, productId: number, trigger: "webhook" | "order") {
  return ctx.enqueue("tinyerp.stock.sync", { accountId, productIds: [productId], trigger }, { coalesceKey: stockCoalesceKey(accountId, productId), delayMs: stockCoalesceMs });
}

/** Tiny sends `idProduto` as a number or a digit string. */
function productIdOf(value: unknown): number | undefined {
  const id = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

interface Counts {
  products: number;
  /** Products neither linked nor part of a linked kit: nothing to do, no Tiny call. */
  ignored: number;
  tinyReads: number;
  /** Products whose stored read already started after the job was enqueued, so reflects its cause. */
  reused: number;
  pushed: number;
  unchanged: number;
  refused: number;
  retry: number;
}

interface Work {
  id: number;
  /** A stored read that started at or after this (ms) is fresh enough to use as is. */
  freshAfter: number;
}

class StockSync {
  readonly counts: Counts = { products: 0, ignored: 0, tinyReads: 0, reused: 0, pushed: 0, unchanged: 0, refused: 0, retry: 0 };
  /** Each product handled so far, with the freshness it was handled at. */
  private readonly done = new Map<number, number>();
  /** Products another job held; this job comes back for them. */
  readonly busy: number[] = [];
  readonly retryErrors: AppError[] = [];

  constructor(
    private readonly ctx: JobContext<"tinyerp.stock.sync">,
    private readonly accountId: string,
    private readonly client: TinyAccountClient,
    private readonly ml: MlClient,
  ) {}

  private get enqueuedAt(): number {
    return this.ctx.job.enqueuedAt;
  }

  private get callOptions() {
    return { signal: this.ctx.signal, maxQuotaWaitMs: quotaWaitMs };
  }

  async run(productIds: number[]): Promise<void> {
    const { linked, kitsOf } = await findStockInterest(this.ctx.db, this.accountId, productIds);
    const queue: Work[] = productIds.filter((id) => linked.has(id) || kitsOf.has(id)).map((id) => ({ id, freshAfter: this.enqueuedAt }));
    this.counts.ignored += productIds.length - queue.length;
    for (const work of queue) {
      this.ctx.signal.throwIfAborted();
      // A kit handled earlier in this job comes again when a part read later moved.
      if ((this.done.get(work.id) ?? Number.NEGATIVE_INFINITY) >= work.freshAfter) continue;
      this.done.set(work.id, work.freshAfter);
      const level = await this.product(work, linked.has(work.id));
      // A kit's stock is computed from its parts; Tiny says nothing when a part moves it.
      if (level && level.changedAt.getTime() >= this.enqueuedAt) {
        for (const kit of kitsOf.get(work.id) ?? []) {
          linked.add(kit);
          queue.push({ id: kit, freshAfter: Math.max(this.enqueuedAt, level.fetchedAt.getTime()) });
        }
      }
    }
  }

  /** Reads (or reuses) one product's level and, when it is linked, pushes it. Undefined: nothing to follow up. */
  private async product(work: Work, isLinked: boolean): Promise<TinyStockLevel | undefined> {
    const { ctx, accountId } = this;
    const lock = resourceLock(ctx.services, accountId, `tiny-stock:${work.id}`, ctx.job.id);
    if (!(await lock.tryAcquire())) {
      this.busy.push(work.id);
      return undefined;
    }
    try {
      this.counts.products++;
      let level = (await findStockLevels(ctx.db, accountId, [work.id])).get(work.id);
      if (level && level.fetchedAt.getTime() >= work.freshAfter) this.counts.reused++;
      else {
        const reading = await this.readOrRefuse(work.id);
        if (!reading) return undefined;
        this.counts.tinyReads++;
        level = await saveStockLevel(ctx.db, accountId, reading);
        // A read that started after ours is stored; its job propagates it.
        if (!level) return undefined;
      }
      if (isLinked) await this.push(level);
      return level;
    } finally {
      await lock.release();
    }
  }

  private async readOrRefuse(productId: number) {
    try {
      return await readStock(this.client, productId, this.callOptions);
    } catch (error) {
      if (!(error instanceof TinyApiError) || error.tinyStatus !== 404) throw error;
      // Deleted in Tiny (or a wrong link): the seller has to look; ML keeps what it shows.
      const message = `Tiny has no product ${productId} (deleted, or the link points to a wrong id).`;
      for (const link of await findStockLinks(this.ctx.db, this.accountId, [productId])) await recordLinkStockError(this.ctx.db, link.id, message, new Date());
      this.counts.refused++;
      return undefined;
    }
  }

  private async push(level: TinyStockLevel): Promise<void> {
    const { ctx, accountId } = this;
    const productId = level.tinyProductId;
    await this.keepKitComposition(productId);
    const links = await findStockLinks(ctx.db, accountId, [productId]);
    const pending = (await pendingSaleUnits(ctx.db, accountId, [productId], new Date(Date.now() - pendingWindowMs))).get(productId) ?? 0;
    const target = stockTarget(Number(level.available), pending);
    const outcomes = await pushStockToLinks({ ctx: { db: ctx.db, ml: this.ml, log: ctx.log }, input: { links, target } });
    this.tally(outcomes);
    ctx.log.info("tiny stock propagated", { tinyProductId: productId, available: level.available, pending, target, links: outcomes.map((o) => o.outcome) });
  }

  private tally(outcomes: LinkStockOutcome[]): void {
    for (const o of outcomes) {
      this.counts[o.outcome]++;
      if (o.outcome === "retry") this.retryErrors.push(o.error);
    }
  }

  /**
   * Kits are remembered with their parts so a part's change reaches them. The product's type
   * comes from the catalogue cache, or from one product read the first time it is seen.
   */
  private async keepKitComposition(productId: number): Promise<void> {
    const { ctx, accountId } = this;
    let type = (await findCachedProductTypes(ctx.db, accountId, [productId])).get(productId);
    if (type === undefined) {
      const fetchedAt = new Date();
      const product = await this.client.getProduct(productId, this.callOptions);
      this.counts.tinyReads++;
      await upsertTinyProducts(ctx.db, accountId, [tinyProductRow(product)], fetchedAt);
      type = product.tipo;
    }
    if (type !== "K") return;
    const readAt = (await findKitCompositionAges(ctx.db, accountId, [productId])).get(productId);
    if (readAt && Date.now() - readAt.getTime() < kitCompositionMaxAgeMs) return;
    const fetchedAt = new Date();
    const components = await readKitComposition(this.client, productId, this.callOptions);
    this.counts.tinyReads++;
    await replaceKitComponents(ctx.db, accountId, productId, components, fetchedAt);
  }
}

function requireServices(ctx: JobContext) {
  const { tiny, ml } = ctx.services;
  if (!tiny || !ml) throw new AppError("unavailable", "Tiny or MercadoLibre is not configured in the jobs container.", { retryable: false });
  return { tiny, ml };
}

async function activeAccount(ctx: JobContext, accountId: string): Promise<boolean> {
  const account = await findTinyAccount(ctx.db, accountId);
  if (account?.status === "active") return true;
  ctx.log.info("tiny account not active; nothing to do", { accountId, status: account?.status ?? "unknown" });
  return false;
}

/**
 * Re-reads the named products (all linked ones otherwise) and brings their listings to Tiny's
 * stock. Products done are kept as Tiny reads with a time, so a retry or a deferred run reads
 * again only what it has not read since it was enqueued.
 */
export const tinyStockSync: Processor<"tinyerp.stock.sync"> = async (payload, ctx) => {
  const { tiny, ml } = requireServices(ctx);
  if (!(await activeAccount(ctx, payload.accountId))) return { outcome: "account_unavailable" };
  const sync = new StockSync(ctx, payload.accountId, tiny.client.forAccount(payload.accountId), ml);
  try {
    if (payload.productIds) await sync.run(payload.productIds);
    else {
      for (let after: number | null = null; ;) {
        const page = await linkedProductIds(ctx.db, payload.accountId, after, accountPage);
        if (page.length === 0) break;
        await sync.run(page);
        after = page.at(-1)!;
      }
    }
  } catch (error) {
    // The grant died or the account was disconnected mid-run: the user reconnects, nothing to retry.
    if (error instanceof TinyAccountUnavailableError) {
      ctx.log.info("tiny account became unavailable during the stock sync", { accountId: payload.accountId, status: error.accountStatus });
      return { outcome: "account_unavailable", ...sync.counts };
    }
    // Not a failure and no attempt spent: what was read so far is kept, and the rest waits for Tiny's window.
    if (error instanceof TinyApiError && error.code === "rate_limited") {
      ctx.log.info("tiny quota used up; the stock sync comes back after the window", { ...sync.counts, retryAfterSeconds: error.retryAfterSeconds });
      return ctx.defer((error.retryAfterSeconds ?? 5) * 1000 + Math.random() * 500, "tiny_quota");
    }
    throw error;
  }
  ctx.log.info("tiny stock sync", { trigger: payload.trigger, ...sync.counts, busy: sync.busy.length });
  if (sync.busy.length) return ctx.defer(500 + Math.random() * 500, "products_busy");
  if (sync.retryErrors.length) {
    const first = sync.retryErrors[0]!;
    throw new AppError(first.code, `MercadoLibre did not take the stock of ${sync.retryErrors.length} listing(s): ${first.message}`, { retryable: true, cause: first });
  }
  return { outcome: "synced", ...sync.counts };
};

/**
 * A Tiny webhook names what changed but proves nothing (Tiny signs nothing): a stock event only
 * queues a sync of that product, which reads Tiny itself. Syncs of one product coalesce while
 * pending, so a burst costs one read and a change after the read still gets its own.
 */
export const tinyWebhook: Processor<"tinyerp.webhook"> = async (payload, ctx) => {
  if (!(await activeAccount(ctx, payload.accountId))) return { outcome: "account_unavailable" };
  if (payload.tipo !== "estoque") {
    // Orders come in through ML's own notifications; Tiny's order events add nothing yet.
    ctx.log.info("tiny webhook without action", { tipo: payload.tipo });
    return { outcome: "ignored", tipo: payload.tipo };
  }
  const productId = productIdOf(payload.dados.idProduto);
  if (productId === undefined) {
    ctx.log.warn("tiny stock webhook without a product id", { idProduto: String(payload.dados.idProduto) });
    return { outcome: "ignored", tipo: payload.tipo };
  }
  const queued = await enqueueProductStockSync(ctx, payload.accountId, productId, "webhook");
  return { outcome: "stock_sync", productId, jobId: queued.jobId, coalesced: queued.deduplicated };
};

/**
 * The safety net for webhooks Tiny never sent (it drops some, and kits get none): every 5
 * minutes the `pollBatch` linked products of each company read longest ago are synced again.
 * Products read within the last period are left out: a webhook just covered them.
 */
export const tinyStockPoll: Processor<"tinyerp.stock.poll"> = async (payload, ctx) => {
  const accounts = payload.accountId ? [payload.accountId] : await activeAccountsWithLinks(ctx.db);
  let queued = 0;
  for (const accountId of accounts) {
    if (payload.accountId && !(await activeAccount(ctx, accountId))) continue;
    const productIds = await productsDueForPoll(ctx.db, accountId, { readBefore: new Date(Date.now() - tinyStockPollEveryMs), limit: pollBatch });
    if (productIds.length === 0) continue;
    // One pending poll sync per company: a slow one (quota) absorbs the next instead of doubling the reads.
    await ctx.enqueue("tinyerp.stock.sync", { accountId, productIds, trigger: "poll" }, { coalesceKey: `tiny-stock-poll|${accountId}` });
    queued++;
  }
  ctx.log.info("tiny stock poll", { accounts: accounts.length, queued });
  return { accounts: accounts.length, queued };
};

export const tinyStockProcessors: Pick<Processors, "tinyerp.stock.sync" | "tinyerp.webhook" | "tinyerp.stock.poll"> = {
  "tinyerp.stock.sync": tinyStockSync,
  "tinyerp.webhook": tinyWebhook,
  "tinyerp.stock.poll": tinyStockPoll,
};
