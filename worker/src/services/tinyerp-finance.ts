import { AppError } from "#core/errors";
import { tinyFinanceApi, type TinyReceivablePage, type TinyReceivableSituacao } from "#integrations/tiny/finance-api";
import { findOrderPushOfUser } from "#db/queries/tiny-orders";
import { findOrderReceivables, type OrderReceivables } from "#domain/orders/receivables";
import type { Principal } from "../lib/types";
import { resolveAccount } from "./tinyerp";
import type { Services } from ".";
import { domainContext } from "./domain-context";

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

/** The push must be the caller's; `findOrderReceivables` says how a sale's receivables are found. */
export async function getOrderReceivables(services: Services, principal: Principal, pushId: string): Promise<OrderReceivables> {
  const push = await findOrderPushOfUser(services.db, principal.userId, pushId);
  if (!push) throw new AppError("not_found", "No such order push.");
  return findOrderReceivables({ ctx: domainContext(services), input: { push } });
}
