import { AppError } from "../../../core/errors";
import { tinyFinanceApi, type TinyFinanceApi, type TinyReceivable, type TinyReceivableListItem, type TinyReceivablePage, type TinyReceivableSituacao } from "../../../integrations/tiny/finance-api";
import { tinyShippingApi } from "../../../integrations/tiny/shipping-api";
import { findOrderPushOfUser, type TinyOrderPush } from "../../../db/queries/tiny-orders";
import type { Principal } from "../lib/types";
import { resolveAccount } from "./tinyerp";
import type { Services } from ".";

/**
 * Receivables (contas a receber) in Tiny, read live: Tiny is where the seller's finance lives,
 * so nothing here is copied into our database.
 */

export interface ReceivableQuery {
  accountId?: string | undefined;
  situacao?: TinyReceivableSituacao | undefined;
  dataInicial?: string | undefined;
  dataFinal?: string | undefined;
  limit: number;
  offset: number;
}

/** One page; the dates bound the emission date (Tiny's dataInicialEmissao/dataFinalEmissao). */
export async function listReceivables(services: Services, principal: Principal, query: ReceivableQuery): Promise<{ accountId: string; page: TinyReceivablePage }> {
  const account = await resolveAccount(services, principal, query.accountId);
  const tiny = await services.tiny();
  const page = await tinyFinanceApi(tiny.client.forAccount(account.id)).listReceivables({
    situacao: query.situacao,
    dataInicialEmissao: query.dataInicial,
    dataFinalEmissao: query.dataFinal,
    limit: query.limit,
    offset: query.offset,
  });
  return { accountId: account.id, page };
}

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
export async function getOrderReceivables(services: Services, principal: Principal, pushId: string): Promise<OrderReceivables> {
  const push = await findOrderPushOfUser(services.db, principal.userId, pushId);
  if (!push) throw new AppError("not_found", "No such order push.");
  const tinyOrderId = push.tinyOrderId;
  if (tinyOrderId === null) throw new AppError("conflict", `The order is not in Tiny (push status ${push.status}); receivables exist only for orders Tiny has.`, { retryable: false });
  const tiny = await services.tiny();
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
