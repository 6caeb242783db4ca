import { AppError } from "../../../core/errors";
import { TinyApiError } from "../../../integrations/tiny";
import { uuidv7 } from "../../../core/ids";
import { buyerContactKey, buyerDocument, buyerName, documentDigits, mlContactCode, mlContactCodePattern, newBuyerContact } from "../../../domain/orders/buyer-contact";
import { tinyContactsApi, type TinyContact, type TinyContactsApi, type TinyContactWrite } from "../../../integrations/tiny/contacts-api";
import { findMlBuyerOfUser, knownMlBuyers, type MlBuyerView } from "../../../db/queries/tiny-customers";
import { claimBuyerContact, settleBuyerContact } from "../../../db/queries/tiny-orders";
import type { Principal } from "../lib/types";
import { resolveAccount } from "./tinyerp";
import type { Services } from ".";

/**
 * Customers between the platforms. The order push creates one Tiny contact per ML buyer, coded
 * `ML-<buyer id>` and carrying the buyer's CPF/CNPJ when ML's billing info gave one
 * (domain/orders/tiny-order-push.ts); these reads and the sync find contacts the same way: by document
 * first (a seller may have registered the customer before), then by that code.
 */

const buyerDocumentOf = (buyer: MlBuyerView) => buyerDocument(buyer.docNumber);
const buyerNameOf = (buyer: MlBuyerView) => buyerName(buyer.snapshot, buyer.buyerId);

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

type MatchedBy = "cpfCnpj" | "codigo";

/** The buyer's Tiny contact: by document when we have one, then by our code. At most two reads. */
async function findBuyerContact(api: TinyContactsApi, buyer: MlBuyerView): Promise<{ contact: TinyContact; matchedBy: MatchedBy } | null> {
  const doc = buyerDocumentOf(buyer);
  if (doc) {
    const byDoc = (await api.list({ cpfCnpj: doc, limit: 10 })).itens.find((c) => documentDigits(c.cpfCnpj) === doc);
    if (byDoc) return { contact: byDoc, matchedBy: "cpfCnpj" };
  }
  const code = mlContactCode(buyer.buyerId);
  const byCode = (await api.list({ codigo: code, limit: 10 })).itens.find((c) => c.codigo === code);
  return byCode ? { contact: byCode, matchedBy: "codigo" } : null;
}

export interface MlCustomerView {
  buyer: MlBuyerView;
  accountId: string;
  contact: TinyContact | null;
  matchedBy: MatchedBy | null;
  /** Tiny could not be read; the buyer is still shown. */
  tinyError: string | null;
}

export async function getMlCustomer(services: Services, principal: Principal, buyerId: number, accountId: string | undefined): Promise<MlCustomerView> {
  const buyer = await findMlBuyerOfUser(services.db, principal.userId, buyerId);
  if (!buyer) throw new AppError("not_found", "No such Mercado Livre buyer among your orders.");
  const account = await resolveAccount(services, principal, accountId);
  try {
    const tiny = await services.tiny();
    const found = await findBuyerContact(tinyContactsApi(tiny.client.forAccount(account.id)), buyer);
    return { buyer, accountId: account.id, contact: found?.contact ?? null, matchedBy: found?.matchedBy ?? null, tinyError: null };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    services.logger.warn("tiny contact read failed", { buyerId, error: error.message });
    return { buyer, accountId: account.id, contact: null, matchedBy: null, tinyError: error.message };
  }
}

export type SyncResult = "created" | "updated" | "unchanged";

/**
 * What the sync may change on an existing contact. The seller owns contacts we did not create:
 * there we only fill blanks. Ours (coded ML-<buyer>) also follow the buyer's name.
 */
function changesFor(contact: TinyContact, buyer: MlBuyerView): TinyContactWrite {
  const code = mlContactCode(buyer.buyerId);
  const ours = contact.codigo === code;
  const doc = buyerDocumentOf(buyer);
  const name = buyerNameOf(buyer);
  const changes: TinyContactWrite = {};
  if (!contact.codigo) changes.codigo = code;
  if ((ours || !contact.nome) && contact.nome !== name) changes.nome = name;
  if (doc && !documentDigits(contact.cpfCnpj)) {
    changes.cpfCnpj = doc;
    changes.tipoPessoa = doc.length === 14 ? "J" : "F";
  }
  return changes;
}

const CONTACT_CLAIM_MS = 30_000;

/**
 * Creates or updates the buyer's Tiny contact. Idempotent: a repeat finds the contact and,
 * with nothing to change, writes nothing. Tiny has no unique key on contacts, so while the
 * buyer has no known contact the sync takes the buyer's claim in tiny_buyer_contacts — the same
 * one the order push takes — and a concurrent sync or push of that buyer waits instead of
 * creating a second contact.
 */
export async function syncMlCustomer(services: Services, principal: Principal, input: { buyerId: number; accountId?: string | undefined }) {
  const buyer = await findMlBuyerOfUser(services.db, principal.userId, input.buyerId);
  if (!buyer) throw new AppError("not_found", "No such Mercado Livre buyer among your orders.");
  const account = await resolveAccount(services, principal, input.accountId);
  const doc = buyerDocumentOf(buyer);
  const key = buyerContactKey(doc, mlContactCode(buyer.buyerId));
  const token = uuidv7();
  const claim = await claimBuyerContact(services.db, account.id, key, token, services.now(), CONTACT_CLAIM_MS);
  if (!claim.claimed && claim.contactId === null) {
    throw new AppError("conflict", "This buyer's contact is being synced by another request; try again in a few seconds.", { retryable: true, retryAfterSeconds: 2 });
  }
  let contactId: number | null = null;
  try {
    const tiny = await services.tiny();
    const api = tinyContactsApi(tiny.client.forAccount(account.id));
    const existing = await findBuyerContact(api, buyer);
    let result: SyncResult;
    if (!existing) {
      await api.create(newBuyerContact(buyerNameOf(buyer), mlContactCode(buyer.buyerId), doc));
      result = "created";
    } else {
      const other = documentDigits(existing.contact.cpfCnpj);
      if (doc && other && other !== doc) {
        throw new AppError(
          "conflict",
          `Tiny contact ${existing.contact.id} (${existing.contact.codigo ?? "no code"}) carries another CPF/CNPJ than this buyer's; fix it in Tiny, the sync never overwrites a document.`,
          {
            retryable: false,
          },
        );
      }
      const changes = changesFor(existing.contact, buyer);
      if (Object.keys(changes).length === 0) result = "unchanged";
      else {
        await api.update(existing.contact.id, changes);
        result = "updated";
      }
    }
    const after = await findBuyerContact(api, buyer);
    if (!after) throw new TinyApiError("bad_gateway", "Tiny accepted the contact but does not list it.", { endpoint: "GET /contatos", retryable: true });
    contactId = after.contact.id;
    services.logger.info("tiny contact synced", { buyerId: buyer.buyerId, tinyAccountId: account.id, contactId: after.contact.id, result });
    return { result, buyer, accountId: account.id, contact: after.contact, matchedBy: after.matchedBy };
  } finally {
    // Only the claim's holder settles it (a no-op otherwise): the contact's id, or null to let the next one try.
    if (claim.claimed) await settleBuyerContact(services.db, account.id, key, token, contactId, services.now());
  }
}
