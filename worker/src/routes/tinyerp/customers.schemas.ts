import { z } from "@hono/zod-openapi";
import { parseTinyDateTime } from "#integrations/tiny";
import type { TinyContact } from "#integrations/tiny/contacts-api";
import type { MlBuyerView } from "#db/queries/tiny-customers";
import type { CustomerRow, MlCustomerView } from "../../services/tinyerp-customers";
import { limit, offset, optionalAccount } from "./tinyerp.schemas";

const iso = (value: Date | null) => (value ? value.toISOString() : null);

const cpfCnpj = z
  .string()
  .transform((value) => value.replace(/[.\-/\s]/g, ""))
  .refine((value) => /^(\d{11}|\d{14})$/.test(value), "must be a CPF (11 digits) or CNPJ (14 digits), formatted or not");

export const CustomersQuery = z.object({
  accountId: optionalAccount,
  cpfCnpj: cpfCnpj.optional().openapi({ description: "CPF or CNPJ, with or without punctuation", example: "529.982.247-25" }),
  name: z.string().trim().min(1, "must not be empty").max(120).optional().openapi({ description: "Part of the contact's name (Tiny `nome`)" }),
  limit: limit(100, 50),
  offset,
});

export const BuyerParams = z.object({
  buyerId: z.coerce
    .number({ message: "must be a number" })
    .int("must be a whole number")
    .positive("must be a positive id")
    .max(Number.MAX_SAFE_INTEGER)
    .openapi({ param: { name: "buyerId", in: "path" }, description: "The Mercado Livre buyer (user) id", example: 520000001 }),
});

export const BuyerQuery = z.object({ accountId: optionalAccount });

export const SyncBody = z
  .object({
    buyerId: z.number({ message: "must be a number" }).int("must be a whole number").positive("must be a positive id").max(Number.MAX_SAFE_INTEGER),
    accountId: z.string().uuid("must be a UUID").optional().openapi({ description: "Tiny account; may be omitted when you have exactly one" }),
  })
  .strict()
  .openapi("TinyCustomerSyncRequest");

const AddressSchema = z.object({
  street: z.string().nullable(),
  number: z.string().nullable(),
  complement: z.string().nullable(),
  district: z.string().nullable(),
  city: z.string().nullable(),
  zip: z.string().nullable(),
  state: z.string().nullable(),
  country: z.string().nullable(),
});

export const CustomerSchema = z
  .object({
    id: z.number().int(),
    name: z.string().nullable(),
    code: z.string().nullable().openapi({ description: "Tiny `codigo`; contacts we create for ML buyers carry ML-<buyer id>" }),
    tradeName: z.string().nullable(),
    personType: z.string().nullable().openapi({ description: "F person, J company, E foreign, X foreign in Brazil" }),
    cpfCnpj: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    mobile: z.string().nullable(),
    address: AddressSchema.nullable(),
    status: z.string().nullable().openapi({ description: "B active, A active with system access, I inactive, E deleted" }),
    createdAt: z.string().datetime().nullable(),
    updatedAt: z.string().datetime().nullable(),
    mlBuyerId: z.number().nullable().openapi({ description: "The ML buyer this contact stands for, when it is one of your buyers" }),
  })
  .openapi("TinyCustomer");

export const CustomerPageSchema = z
  .object({
    accountId: z.string().uuid(),
    items: z.array(CustomerSchema),
    pagination: z.object({ limit: z.number().int(), offset: z.number().int(), total: z.number().int() }),
  })
  .openapi("TinyCustomerPage");

export function toCustomerDto(c: TinyContact, mlBuyerId: number | null): z.infer<typeof CustomerSchema> {
  const a = c.endereco;
  return {
    id: c.id,
    name: c.nome,
    code: c.codigo || null,
    tradeName: c.fantasia || null,
    personType: c.tipoPessoa || null,
    cpfCnpj: c.cpfCnpj || null,
    email: c.email || null,
    phone: c.telefone || null,
    mobile: c.celular || null,
    address: a ? { street: a.endereco, number: a.numero, complement: a.complemento, district: a.bairro, city: a.municipio, zip: a.cep, state: a.uf, country: a.pais } : null,
    status: c.situacao,
    createdAt: iso(parseTinyDateTime(c.dataCriacao)),
    updatedAt: iso(parseTinyDateTime(c.dataAtualizacao)),
    mlBuyerId,
  };
}

export const toCustomerRowDto = (row: CustomerRow) => toCustomerDto(row.contact, row.mlBuyerId);

const MlBuyerSchema = z
  .object({
    id: z.number(),
    nickname: z.string().nullable(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    docType: z.string().nullable().openapi({ description: "CPF or CNPJ, from ML's billing info when it was fetched" }),
    docNumber: z.string().nullable(),
    orders: z.number().int().openapi({ description: "Your stored ML orders from this buyer" }),
    firstOrderAt: z.string().datetime().nullable(),
    lastOrderAt: z.string().datetime().nullable(),
    lastMlOrderId: z.number(),
  })
  .openapi("MlBuyer");

function toBuyerDto(b: MlBuyerView): z.infer<typeof MlBuyerSchema> {
  return {
    id: b.buyerId,
    nickname: b.snapshot?.nickname ?? null,
    firstName: b.snapshot?.firstName ?? null,
    lastName: b.snapshot?.lastName ?? null,
    docType: b.docType,
    docNumber: b.docNumber,
    orders: b.orders,
    firstOrderAt: iso(b.firstOrderAt),
    lastOrderAt: iso(b.lastOrderAt),
    lastMlOrderId: b.lastMlOrderId,
  };
}

const matchedBy = z.enum(["cpfCnpj", "codigo"]).nullable().openapi({ description: "How the Tiny contact was found: by the buyer's document, or by the code ML-<buyer id>" });

export const MlCustomerSchema = z
  .object({
    buyer: MlBuyerSchema,
    accountId: z.string().uuid(),
    tinyContact: CustomerSchema.nullable().openapi({ description: "null when Tiny has no contact for the buyer yet (or could not be read: see tinyError)" }),
    matchedBy,
    tinyError: z.string().nullable(),
  })
  .openapi("TinyMlCustomer");

export function toMlCustomerDto(view: MlCustomerView): z.infer<typeof MlCustomerSchema> {
  return {
    buyer: toBuyerDto(view.buyer),
    accountId: view.accountId,
    tinyContact: view.contact ? toCustomerDto(view.contact, view.buyer.buyerId) : null,
    matchedBy: view.matchedBy,
    tinyError: view.tinyError,
  };
}

export const SyncResultSchema = z
  .object({
    result: z.enum(["created", "updated", "unchanged"]),
    buyer: MlBuyerSchema,
    accountId: z.string().uuid(),
    tinyContact: CustomerSchema,
    matchedBy: matchedBy.unwrap(),
  })
  .openapi("TinyCustomerSyncResult");

export function toSyncResultDto(r: {
  result: "created" | "updated" | "unchanged";
  buyer: MlBuyerView;
  accountId: string;
  contact: TinyContact;
  matchedBy: "cpfCnpj" | "codigo";
}): z.infer<typeof SyncResultSchema> {
  return { result: r.result, buyer: toBuyerDto(r.buyer), accountId: r.accountId, tinyContact: toCustomerDto(r.contact, r.buyer.buyerId), matchedBy: r.matchedBy };
}
