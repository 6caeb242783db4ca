import { AppError } from "#core/errors";
import { uuidv7 } from "#core/ids";
import type { MlBuyerView } from "#db/queries/tiny-customers";
import { claimBuyerContact, settleBuyerContact } from "#db/queries/tiny-orders";
import type { MlBuyerSnapshot } from "#db/schema";
import { tinyContactsApi, type TinyContact, type TinyContactsApi, type TinyContactWrite } from "#integrations/tiny/contacts-api";
import { TinyApiError } from "#integrations/tiny/errors";
import type { DomainContext } from "../context";

/**
 * How an ML buyer becomes a Tiny contact. The order push creates it and the customer sync finds
 * and updates it, so both must agree: keyed on the buyer's CPF/CNPJ when ML gave one, otherwise
 * on our contact code `ML-<buyer id>`.
 */

export const mlContactCode = (buyerId: number) => `ML-${buyerId}`;

/** Our contact code, capturing the buyer id. */
export const mlContactCodePattern = /^ML-(\d{1,15})$/;

export const documentDigits = (value: string | null | undefined) => (value ?? "").replace(/\D/g, "");

/** The buyer's CPF (11 digits) or CNPJ (14); anything else is no document. */
export function buyerDocument(docNumber: string | null | undefined): string | null {
  const doc = documentDigits(docNumber);
  return doc.length === 11 || doc.length === 14 ? doc : null;
}

export function buyerName(snapshot: Pick<MlBuyerSnapshot, "firstName" | "lastName" | "nickname"> | null | undefined, buyerId: number | null): string {
  const full = [snapshot?.firstName, snapshot?.lastName].filter((x): x is string => !!x && x.trim() !== "").join(" ");
  return full || snapshot?.nickname || `Comprador Mercado Livre ${buyerId ?? ""}`.trim();
}

/** The contact created for a buyer: a CNPJ makes it a company (J), anything else a person (F). */
export function newBuyerContact(name: string, code: string, doc: string | null): TinyContactWrite & { nome: string } {
  return { nome: name, codigo: code, ...(doc ? { cpfCnpj: doc, tipoPessoa: doc.length === 14 ? "J" : "F" } : { tipoPessoa: "F" }) };
}

/**
 * The key of the buyer's row in tiny_buyer_contacts — the claim that makes the order push and the
 * customer sync create one contact per buyer between them: the document when known, else our code.
 */
export const buyerContactKey = (doc: string | null, code: string) => (doc ? `doc:${doc}` : `code:${code}`);

// ---------------------------------------------------------------------------------------------
// The customer sync: a buyer of the seller's orders, found or made in a Tiny account. These reads
// find contacts the same way the order push keys them: by document first (a seller may have
// registered the customer before), then by our code.

const buyerDocumentOf = (buyer: MlBuyerView) => buyerDocument(buyer.docNumber);
const buyerNameOf = (buyer: MlBuyerView) => buyerName(buyer.snapshot, buyer.buyerId);

export type ContactMatchedBy = "cpfCnpj" | "codigo";

export interface BuyerContactMatch {
  contact: TinyContact;
  matchedBy: ContactMatchedBy;
}

/** The buyer's Tiny contact: by document when we have one, then by our code. At most two reads. */
async function lookupBuyerContact(api: TinyContactsApi, buyer: MlBuyerView): Promise<BuyerContactMatch | null> {
  const doc = buyerDocumentOf(buyer);
  if (doc) {
    const byDoc = (await api.list({ cpfCnpj: doc, limit: 10 })).itens.find((c) => documentDigits(c.cpfCnpj) === doc);
    if (byDoc) return { contact: byDoc, matchedBy: "cpfCnpj" };
  }
  const code = mlContactCode(buyer.buyerId);
  const byCode = (await api.list({ codigo: code, limit: 10 })).itens.find((c) => c.codigo === code);
  return byCode ? { contact: byCode, matchedBy: "codigo" } : null;
}

/** The buyer's contact in the Tiny account, or null; the caller has checked both are the seller's. */
export async function findBuyerContact({ ctx, input }: { ctx: Pick<DomainContext, "tiny">; input: { tinyAccountId: string; buyer: MlBuyerView } }): Promise<BuyerContactMatch | null> {
  const tiny = await ctx.tiny();
  return lookupBuyerContact(tinyContactsApi(tiny.client.forAccount(input.tinyAccountId)), input.buyer);
}

export type ContactSyncResult = "created" | "updated" | "unchanged";

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
 * creating a second contact. The caller has checked that the buyer and the account are the seller's.
 */
export async function syncBuyerContact({
  ctx,
  input,
}: {
  ctx: Pick<DomainContext, "db" | "log" | "now" | "tiny">;
  input: { tinyAccountId: string; buyer: MlBuyerView };
}): Promise<{ result: ContactSyncResult; buyer: MlBuyerView; accountId: string; contact: TinyContact; matchedBy: ContactMatchedBy }> {
  const { buyer, tinyAccountId } = input;
  const doc = buyerDocumentOf(buyer);
  const key = buyerContactKey(doc, mlContactCode(buyer.buyerId));
  const token = uuidv7();
  const claim = await claimBuyerContact(ctx.db, tinyAccountId, key, token, ctx.now(), CONTACT_CLAIM_MS);
  if (!claim.claimed && claim.contactId === null) {
    throw new AppError("conflict", "This buyer's contact is being synced by another request; try again in a few seconds.", { retryable: true, retryAfterSeconds: 2 });
  }
  let contactId: number | null = null;
  try {
    const tiny = await ctx.tiny();
    const api = tinyContactsApi(tiny.client.forAccount(tinyAccountId));
    const existing = await lookupBuyerContact(api, buyer);
    let result: ContactSyncResult;
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
    const after = await lookupBuyerContact(api, buyer);
    if (!after) throw new TinyApiError("bad_gateway", "Tiny accepted the contact but does not list it.", { endpoint: "GET /contatos", retryable: true });
    contactId = after.contact.id;
    ctx.log.info("tiny contact synced", { buyerId: buyer.buyerId, tinyAccountId, contactId: after.contact.id, result });
    return { result, buyer, accountId: tinyAccountId, contact: after.contact, matchedBy: after.matchedBy };
  } finally {
    // Only the claim's holder settles it (a no-op otherwise): the contact's id, or null to let the next one try.
    if (claim.claimed) await settleBuyerContact(ctx.db, tinyAccountId, key, token, contactId, ctx.now());
  }
}
