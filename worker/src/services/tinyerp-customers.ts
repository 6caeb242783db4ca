import { AppError } from "#core/errors";
import { findBuyerContact, mlContactCodePattern, syncBuyerContact, type ContactMatchedBy } from "#domain/orders/buyer-contact";
import { tinyContactsApi, type TinyContact } from "#integrations/tiny/contacts-api";
import { findMlBuyerOfUser, knownMlBuyers, type MlBuyerView } from "#db/queries/tiny-customers";
import type { Principal } from "../lib/types";
import { actingContext } from "./domain-context";
import { resolveAccount } from "./tinyerp";
import type { Services } from ".";

/**
 * Customers between the platforms. The order push creates one Tiny contact per ML buyer, coded
 * `ML-<buyer id>` and carrying the buyer's CPF/CNPJ when ML's billing info gave one
 * (domain/orders/tiny-order-push.ts); the buyer's contact is found and synced the same way
 * (domain/orders/buyer-contact.ts).
 */

export interface CustomerQuery {
  accountId?: string | undefined;
  cpfCnpj?: string | undefined;
  name?: string | undefined;
  limit: number;
  offset: number;
}

export interface CustomerRow {
  contact: TinyContact;
  /** Set when the contact is the one we keep for a buyer of the user's ML accounts. */
  mlBuyerId: number | null;
}

export async function listCustomers(services: Services, principal: Principal, query: CustomerQuery) {
  const account = await resolveAccount(services, principal, query.accountId);
  const tiny = await services.tiny();
  const page = await tinyContactsApi(tiny.client.forAccount(account.id)).list({ nome: query.name, cpfCnpj: query.cpfCnpj, limit: query.limit, offset: query.offset });
  const coded = new Map(page.itens.map((c) => [c.id, Number(mlContactCodePattern.exec(c.codigo ?? "")?.[1] ?? Number.NaN)]));
  // A code alone could be anyone's (one Tiny company may serve two AutoEcom users): the buyer must be ours.
  const known = await knownMlBuyers(
    services.db,
    principal.userId,
    [...coded.values()].filter((id) => Number.isSafeInteger(id)),
  );
  const items: CustomerRow[] = page.itens.map((contact) => {
    const buyerId = coded.get(contact.id)!;
    return { contact, mlBuyerId: known.has(buyerId) ? buyerId : null };
  });
  return { accountId: account.id, items, pagination: page.paginacao };
}

export interface MlCustomerView {
  buyer: MlBuyerView;
  accountId: string;
  contact: TinyContact | null;
  matchedBy: ContactMatchedBy | null;
  /** Tiny could not be read; the buyer is still shown. */
  tinyError: string | null;
}

export async function getMlCustomer(services: Services, principal: Principal, buyerId: number, accountId: string | undefined): Promise<MlCustomerView> {
  const buyer = await findMlBuyerOfUser(services.db, principal.userId, buyerId);
  if (!buyer) throw new AppError("not_found", "No such Mercado Livre buyer among your orders.");
  const account = await resolveAccount(services, principal, accountId);
  try {
    const found = await findBuyerContact({ ctx: actingContext(services, principal), input: { tinyAccountId: account.id, buyer } });
    return { buyer, accountId: account.id, contact: found?.contact ?? null, matchedBy: found?.matchedBy ?? null, tinyError: null };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    services.logger.warn("tiny contact read failed", { buyerId, error: error.message });
    return { buyer, accountId: account.id, contact: null, matchedBy: null, tinyError: error.message };
  }
}

/** The buyer must be among the seller's orders and the account theirs (404s, in this order) before the rule runs. */
export async function syncMlCustomer(services: Services, principal: Principal, input: { buyerId: number; accountId?: string | undefined }) {
  const buyer = await findMlBuyerOfUser(services.db, principal.userId, input.buyerId);
  if (!buyer) throw new AppError("not_found", "No such Mercado Livre buyer among your orders.");
  const account = await resolveAccount(services, principal, input.accountId);
  return syncBuyerContact({ ctx: actingContext(services, principal), input: { tinyAccountId: account.id, buyer } });
}
