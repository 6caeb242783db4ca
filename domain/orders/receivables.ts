import { AppError } from "#core/errors";
import type { TinyOrderPush } from "#db/queries/tiny-orders";
import { tinyFinanceApi, type TinyFinanceApi, type TinyReceivable, type TinyReceivableListItem } from "#integrations/tiny/finance-api";
import { tinyShippingApi } from "#integrations/tiny/shipping-api";
import type { DomainContext } from "../context";

/** Receivables of one sale; ML pays a sale at once, so more than a handful would be odd. */
const ORDER_RECEIVABLES_MAX = 20;

export interface OrderReceivables {
  push: TinyOrderPush;
  tinyOrderId: number;
  /** How they were found: posted from the order, or from its invoice; null when none is posted. */
  matchedBy: "idVenda" | "idNota" | null;
  items: TinyReceivable[];
}

/**
 * A receivable names neither its order nor its invoice in any answer; the link lives only in
 * the list's `idVenda` / `idNota` filters. So: the order's receivables by `idVenda`, else (when
 * they were posted from the invoice) by `idNota`. Each hit must also bill the order's customer,
 * which keeps a Tiny that ignored the filter from handing us the whole ledger as this order's.
 */
export async function findOrderReceivables({ ctx, input: { push } }: { ctx: Pick<DomainContext, "tiny">; input: { push: TinyOrderPush } }): Promise<OrderReceivables> {
  const tinyOrderId = push.tinyOrderId;
  if (tinyOrderId === null) throw new AppError("conflict", `The order is not in Tiny (push status ${push.status}); receivables exist only for orders Tiny has.`, { retryable: false });
  const tiny = await ctx.tiny();
  const client = tiny.client.forAccount(push.tinyAccountId);
  const api = tinyFinanceApi(client);
  const sameCustomer = (r: TinyReceivableListItem) => push.tinyContactId === null || r.cliente?.id === push.tinyContactId;

  let matchedBy: OrderReceivables["matchedBy"] = null;
  let hits = (await api.listReceivables({ idVenda: tinyOrderId, limit: ORDER_RECEIVABLES_MAX })).itens.filter(sameCustomer);
  if (hits.length > 0) matchedBy = "idVenda";
  else {
    const invoiceId = push.invoiceId ?? ((await tinyShippingApi(client).getOrder(tinyOrderId)).idNotaFiscal || null);
    if (invoiceId !== null) {
      hits = (await api.listReceivables({ idNota: invoiceId, limit: ORDER_RECEIVABLES_MAX })).itens.filter(sameCustomer);
      if (hits.length > 0) matchedBy = "idNota";
    }
  }
  return { push, tinyOrderId, matchedBy, items: await details(api, hits) };
}

/** The list lacks balance and payment: one detail read each, one after another to spare the quota's burst. */
async function details(api: TinyFinanceApi, rows: TinyReceivableListItem[]): Promise<TinyReceivable[]> {
  const out: TinyReceivable[] = [];
  for (const row of rows) out.push(await api.getReceivable(row.id));
  return out;
}
