import { MlApiError } from "#integrations/mercadolibre";
import { getOrder, searchOrders } from "#integrations/mercadolibre/orders-api";
import { orderRow, toOrderRow } from "#integrations/mercadolibre/transform";
import { ordersNotSeenSince } from "#db/queries/ml-sync";
import type { SyncCursor } from "#db/schema";
import { storeOrderAndForward } from "../../orders/store-order";
import { pool, type SyncSession } from "./engine";

type OrdersCursor = NonNullable<SyncCursor["orders"]>;

/** /orders/search pages: ML documents no maximum and clients use 50 (the sandbox allows 51). */
export const ordersPage = 50;
const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
const sweepBatch = 100;

/** ML's documented date format for order searches: milliseconds and a -00:00 offset. */
function mlSearchDate(date: Date): string {
  return date.toISOString().replace("Z", "-00:00");
}

const floorHour = (ms: number) => Math.floor(ms / hourMs) * hourMs;

/**
 * Full orders sync: `/orders/search` over the configured window (ML keeps 12 months), in
 * hour-aligned date slices so every offset stays small. ML widens date filters to whole hours;
 * each slice ends 1 ms before the next starts, which ML widens to exactly that boundary, so
 * slices never overlap. Search results are full orders: no per-order GET.
 *
 * Seller searches hide cancelled orders, so afterwards every order we hold in the window that
 * the pass did not see again is read with GET /orders/{id} (it was cancelled, or the search
 * missed it while it moved). Incremental runs search `order.date_last_updated` from an hour
 * before the watermark instead and skip that sweep: webhooks deliver cancellations.
 */
export async function syncOrders(session: SyncSession, since: Date | null): Promise<void> {
  const now = Date.now();
  const options = session.options;
  let state: OrdersCursor =
    session.cursor.orders ??
    (since
      ? {
          from: new Date(floorHour(since.getTime() - hourMs)).toISOString(),
          to: new Date(floorHour(now) + hourMs).toISOString(),
          windowStart: "",
          offset: 0,
          done: 0,
          sweepAfter: null,
          sweepDone: true,
        }
      : (() => {
          const from = new Date(floorHour(now - options.ordersWindowDays * dayMs)).toISOString();
          return { from, to: new Date(floorHour(now) + hourMs).toISOString(), windowStart: from, offset: 0, done: 0, sweepAfter: null, sweepDone: false };
        })());
  const from = Date.parse(state.from);
  const to = Date.parse(state.to);
  const sliceMs = options.ordersSliceDays * dayMs;

  const save = async (next: OrdersCursor, fraction: number) => {
    state = next;
    session.cursor = { ...session.cursor, phase: "orders", orders: next };
    await session.commit("orders", fraction);
  };

  const store = async (results: unknown[]) => {
    const fetchedAt = new Date();
    await pool(results, options.upsertConcurrency, async (raw) => {
      const row = session.read("orders", raw, (body) => toOrderRow(body, fetchedAt));
      if (!row) return;
      await session.store("orders", row.order.mlOrderId, () => storeOrderAndForward({ ctx: session.ctx, input: { accountId: session.account.id, row } }));
    });
  };

  if (since) {
    // Incremental: one open-ended search by last update.
    for (;;) {
      const { results, paging } = await searchOrders(session.caller, session.account.mlUserId, {
        "order.date_last_updated.from": mlSearchDate(new Date(from)),
        sort: "date_asc",
        offset: state.offset,
        limit: ordersPage,
      });
      await store(results);
      const total = paging?.total ?? 0;
      const offset = state.offset + results.length;
      await save({ ...state, offset, done: state.done + results.length }, total ? offset / total : 1);
      if (results.length < ordersPage || offset >= total) return;
    }
  }

  while (Date.parse(state.windowStart) < to) {
    const windowStart = Date.parse(state.windowStart);
    const windowEnd = Math.min(windowStart + sliceMs, to);
    const { results, paging } = await searchOrders(session.caller, session.account.mlUserId, {
      "order.date_created.from": mlSearchDate(new Date(windowStart)),
      "order.date_created.to": mlSearchDate(new Date(windowEnd - 1)),
      sort: "date_asc",
      offset: state.offset,
      limit: ordersPage,
    });
    await store(results);
    const total = paging?.total ?? 0;
    const offset = state.offset + results.length;
    const windowDone = results.length < ordersPage || offset >= total;
    const next = windowDone ? { ...state, windowStart: new Date(windowEnd).toISOString(), offset: 0, done: state.done + results.length } : { ...state, offset, done: state.done + results.length };
    const position = windowDone ? windowEnd : windowStart + (sliceMs * offset) / Math.max(total, 1);
    await save(next, ((position - from) / Math.max(1, to - from)) * 0.95);
  }

  if (state.sweepDone) return;
  // Every order seen by this run was written at or after the run started (equal stamps replace).
  const fetchedBefore = session.startedAt;
  for (;;) {
    const batch = await ordersNotSeenSince(session.ctx.db, session.account.id, { fetchedBefore, createdFrom: new Date(from), afterId: state.sweepAfter, limit: sweepBatch });
    if (!batch.length) break;
    await pool(batch, 4, async (order) => {
      const fetchedAt = new Date();
      try {
        const read = await getOrder(session.caller, order.mlOrderId);
        // 206: ML could not fetch some parts (X-Content-Missing); the upsert keeps what we had for them.
        const row = orderRow(read.order, fetchedAt, read.missingFields);
        await session.store("orders", order.mlOrderId, () => storeOrderAndForward({ ctx: session.ctx, input: { accountId: session.account.id, row } }));
      } catch (error) {
        if (error instanceof MlApiError && !error.retryable) {
          session.fail("orders", [String(order.mlOrderId)], `Order ${order.mlOrderId} could not be re-read: ${error.message}`, error.mlError ?? error.code);
          return;
        }
        throw error;
      }
    });
    await save({ ...state, sweepAfter: batch.at(-1)!.id }, 0.97);
  }
  await save({ ...state, sweepDone: true }, 1);
}
