import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "../database";

/**
 * Which Tiny accounts an ML order goes to, and which orders the forwarding sweep owes a push.
 * Automatic forwarding covers orders placed since the Tiny account was first connected: a
 * seller connecting Tiny must not see years of ML history poured into the ERP (older orders
 * are pushed on request).
 */

export interface ForwardTarget {
  userId: string;
  tinyAccountId: string;
  mlOrderId: number;
}

/** The ML statuses that count as paid (domain/orders/paid.ts decides which), as an SQL list. */
const inList = (statuses: readonly string[]) =>
  sql`(${sql.join(
    statuses.map((status) => sql`${status}`),
    sql`, `,
  )})`;

/**
 * The accounts one stored ML order concerns: forwarding accounts of its seller when it is paid,
 * and any account that already holds a push of it (its cancellation or payment must follow).
 */
export async function forwardTargetsForOrder(db: Database, mlOrderId: number, paid: readonly string[]): Promise<ForwardTarget[]> {
  const paidStatuses = inList(paid);
  const result = await db.execute(sql`
    select ta.user_id as "userId", ta.id as "tinyAccountId", o.ml_order_id as "mlOrderId"
    from ml_orders o
    join ml_accounts ma on ma.id = o.account_id
    join tiny_accounts ta on ta.user_id = ma.user_id and ta.status = 'active'
    where o.ml_order_id = ${mlOrderId}
      and (
        (ta.forward_orders and o.status in ${paidStatuses} and coalesce(o.ml_date_created, o.created_at) >= ta.created_at)
        or exists (select 1 from tiny_order_pushes p where p.tiny_account_id = ta.id and p.ml_order_id = o.ml_order_id and p.status <> 'cancelled')
      )`);
  return rowsOf<ForwardTarget>(result).map((r) => ({ ...r, mlOrderId: Number(r.mlOrderId) }));
}

/**
 * What the sweep re-enqueues, oldest first: paid orders with no push yet, and pushes that still
 * owe Tiny something (an unfinished create, markers, the paid or cancelled follow-ups, an owed
 * invoice) that nobody is working on. Failed pushes and refused steps wait for the seller.
 */
export async function ordersOwingForward(db: Database, options: { userId?: string | undefined; idleMs: number; limit: number; paid: readonly string[] }): Promise<ForwardTarget[]> {
  const paidStatuses = inList(options.paid);
  const user = options.userId ? sql`and ta.user_id = ${options.userId}` : sql``;
  const idle = sql`now() - make_interval(secs => ${options.idleMs / 1000})`;
  const result = await db.execute(sql`
    (
      select ta.user_id as "userId", ta.id as "tinyAccountId", o.ml_order_id as "mlOrderId", o.updated_at as since
      from tiny_accounts ta
      join ml_accounts ma on ma.user_id = ta.user_id
      join ml_orders o on o.account_id = ma.id
      where ta.status = 'active' and ta.forward_orders ${user}
        and o.status in ${paidStatuses}
        and coalesce(o.ml_date_created, o.created_at) >= ta.created_at
        and o.updated_at < ${idle}
        and not exists (select 1 from tiny_order_pushes p where p.tiny_account_id = ta.id and p.ml_order_id = o.ml_order_id)
      limit ${options.limit}
    )
    union all
    (
      select p.user_id, p.tiny_account_id, p.ml_order_id, p.updated_at
      from tiny_order_pushes p
      join tiny_accounts ta on ta.id = p.tiny_account_id and ta.status = 'active'
      join ml_orders o on o.ml_order_id = p.ml_order_id
      where (p.claimed_until is null or p.claimed_until < now()) and p.updated_at < ${idle} ${user}
        and (
          p.status in ('intent', 'sending', 'unknown')
          or (
            p.status = 'created' and p.failure_reasons = '[]'::jsonb and (
              p.markers_added_at is null
              or (o.status = 'cancelled' and (p.tiny_cancelled_at is null or p.stock_returned_at is null or (p.receivables_posted_at is not null and p.receivables_reversed_at is null)))
              or (o.status in ${paidStatuses} and (
                p.stock_posted_at is null or p.receivables_posted_at is null
                or (ta.invoice_on_paid and p.invoice_error is null and p.invoice_emitted_at is null)
              ))
            )
          )
        )
      limit ${options.limit}
    )
    order by since
    limit ${options.limit}`);
  return rowsOf<ForwardTarget>(result).map((r) => ({ userId: r.userId, tinyAccountId: r.tinyAccountId, mlOrderId: Number(r.mlOrderId) }));
}
