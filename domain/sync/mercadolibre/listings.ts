import { MlApiError } from "#integrations/mercadolibre";
import { multigetItems, searchUserItems, type MlItemsSearchQuery } from "#integrations/mercadolibre/items-api";
import { toListingRow } from "#integrations/mercadolibre/transform";
import { upsertListing } from "#db/queries/ml-data";
import type { SyncCursor } from "#db/schema";
import { pool, type SyncSession } from "./engine";

type ListingsCursor = NonNullable<SyncCursor["listings"]>;

/** items/search pages hold at most 100 ids; offset paging stops at offset + limit = 1,000 (§3.1). */
export const searchLimit = 100;
export const offsetCap = 1_000;
/** Multiget takes at most 20 ids (§3.3). */
export const multigetSize = 20;
// An item updated within this margin before the watermark is read again: clocks and ML's own lag differ.
const changedMarginMs = 5 * 60_000;

/**
 * Full listings sync: offset pages when the seller has ≤ 1,000 items, otherwise a scan, and
 * details through multigets of 20 — ⌈N/100⌉ searches + ⌈N/20⌉ multigets plus a probe. Each
 * page is committed (upserted, cursor saved) before the next is fetched, so memory is one
 * page whatever N is. An incremental run reads `orders=last_updated_desc` until it meets items
 * older than its watermark, and falls back to a full scan when more than 1,000 changed.
 */
export async function syncListings(session: SyncSession, since: Date | null): Promise<void> {
  const search = (query: MlItemsSearchQuery) => searchUserItems(session.caller, session.account.mlUserId, query);
  let state = session.cursor.listings;

  const save = async (next: ListingsCursor) => {
    state = next;
    session.cursor = { ...session.cursor, phase: "listings", listings: next };
    await session.commit("listings", next.total ? next.done / next.total : 0);
  };

  if (!state) {
    if (since) {
      await save({ mode: "changed", offset: 0, scrollId: null, done: 0, total: null, pending: [] });
    } else {
      // The probe's page is used as is when offset paging will do; otherwise it only told us N.
      const probe = await search({ limit: searchLimit, offset: 0 });
      const total = probe.paging?.total ?? 0;
      const results = probe.results;
      if (total <= offsetCap) await save({ mode: "offset", offset: results.length, scrollId: null, done: 0, total, pending: results });
      else await save({ mode: "scan", offset: 0, scrollId: null, done: 0, total, pending: [] });
    }
  }

  // Ids a restarted scan has to pass over again (its scroll expired mid-run).
  let skip = 0;
  for (;;) {
    const current: ListingsCursor = state!;
    if (current.pending.length) {
      const older = await fetchAndStore(session, current.pending, current.mode === "changed" && since ? since.getTime() - changedMarginMs : null);
      const done = current.done + current.pending.length;
      if (current.mode === "changed" && older) return save({ ...current, done, pending: [] });
      await save({ ...current, done, pending: [] });
      continue;
    }

    if (current.mode === "offset" || current.mode === "changed") {
      const limit = Math.min(searchLimit, offsetCap - current.offset);
      if (limit <= 0 || (current.total !== null && current.offset >= current.total)) {
        if (current.mode === "changed" && current.offset >= offsetCap) {
          // More than 1,000 changes since the watermark: a full scan is cheaper than guessing.
          session.ctx.log.info("many listings changed; switching the incremental pass to a full scan", { runId: session.run.id });
          await save({ mode: "scan", offset: 0, scrollId: null, done: 0, total: null, pending: [] });
          continue;
        }
        return;
      }
      const page = await search({ limit, offset: current.offset, ...(current.mode === "changed" ? { orders: "last_updated_desc" } : {}) });
      const results = page.results;
      const total = page.paging?.total ?? 0;
      if (!results.length) return;
      await save({ ...current, offset: current.offset + results.length, total, pending: results });
      continue;
    }

    // scan
    let page;
    try {
      page = await search({ limit: searchLimit, scan: { scrollId: current.scrollId } });
    } catch (error) {
      if (current.scrollId && error instanceof MlApiError && error.mlStatus === 400) {
        // The scroll expired (5 minutes idle, e.g. the job waited out a retry): start a new one and
        // pass over what is already stored; those ids cost search calls but no multigets.
        session.ctx.log.warn("scroll expired; restarting the scan and skipping what is done", { runId: session.run.id, done: current.done });
        session.error("listings", "The scan's scroll expired; restarted and skipped the items already synced.", { code: error.mlError ?? "scroll_expired" });
        skip = current.done;
        state = { ...current, scrollId: null };
        continue;
      }
      throw error;
    }
    let results = page.results;
    const total = page.paging?.total ?? current.total;
    if (!results.length) return;
    if (skip > 0) {
      const dropped = Math.min(skip, results.length);
      skip -= dropped;
      results = results.slice(dropped);
    }
    await save({ ...current, scrollId: page.scroll_id ?? current.scrollId, total, pending: results });
  }
}

/**
 * Multigets `ids` in batches of 20 (a page's batches in parallel) and upserts each item.
 * Returns true when some item was last updated before `olderThan` (the incremental stop).
 */
async function fetchAndStore(session: SyncSession, ids: string[], olderThan: number | null): Promise<boolean> {
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += multigetSize) batches.push(ids.slice(i, i + multigetSize));
  let sawOlder = false;
  await pool(batches, batches.length, async (batch) => {
    const fetchedAt = new Date();
    const entries = await multigetItems(session.caller, batch);
    await pool(entries, session.options.upsertConcurrency, async (entry, index) => {
      const id = batch[index] ?? "?";
      if (entry.code !== 200) {
        session.fail("listings", [id], `Multiget answered ${entry.code} for ${id}.`, "multiget_entry");
        return;
      }
      const row = session.read("listings", entry.body, (raw) => toListingRow(raw, fetchedAt), id);
      if (!row) return;
      if (olderThan !== null && row.listing.mlLastUpdated.getTime() < olderThan) sawOlder = true;
      await session.store("listings", id, async () => (await upsertListing(session.ctx.db, session.account.id, row)).applied);
    });
    if (entries.length < batch.length) session.fail("listings", batch.slice(entries.length), "Multiget left ids out.", "multiget_short");
  });
  return sawOlder;
}
