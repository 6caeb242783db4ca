import type { MlBuyerSnapshot } from "../../db/schema";
import type { TinyContactWrite } from "../../integrations/tiny/contacts-api";

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
