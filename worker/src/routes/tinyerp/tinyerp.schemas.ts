import { z } from "@hono/zod-openapi";
import { parseTinyDateTime, type TinyProductListItem, type TinyStock } from "#integrations/tiny";
import type { ProductLinkView, TinyAccountEvent, TinyAccountSummary, TinyProductLink, UnlinkedListing } from "#db/queries/tiny";
import type { StockLink, StoredStockRow } from "#db/queries/tiny-stock";
import { ONE_TIME_CODE_SHAPE } from "../../services/oauth-state";
import type { InventoryEntry } from "../../services/tinyerp";

const iso = (value: Date | null) => (value ? value.toISOString() : null);
const uuidParam = (name: string) =>
  z
    .string()
    .uuid("must be a UUID")
    .openapi({ param: { name, in: "path" } });
export const optionalAccount = z.string().uuid("must be a UUID").optional().openapi({ description: "Tiny account; may be omitted when you have exactly one" });
export const limit = (max: number, fallback: number) => z.coerce.number({ message: "must be a number" }).int().min(1).max(max).default(fallback);
export const offset = z.coerce.number({ message: "must be a number" }).int().min(0).max(1_000_000).default(0);
const mlItemId = z.string().regex(/^[A-Z]{3}\d{1,20}$/, "must be a MercadoLibre item id such as MLB1234567890");

export const ConnectResponse = z
  .object({
    url: z.string().url().openapi({ description: "Tiny's authorization page; its state works once, for TINY_OAUTH_STATE_TTL_SECONDS" }),
    expiresAt: z.string().datetime(),
  })
  .openapi("TinyConnectStart");

export const CallbackQuery = z
  .object({
    state: z.string().min(1).max(200),
    code: z.string().min(1).max(2048).optional(),
    error: z.string().min(1).max(200).optional(),
    error_description: z.string().max(2000).optional(),
    session_state: z.string().max(200).optional(),
    iss: z.string().max(500).optional(),
  })
  .refine((query) => query.code !== undefined || query.error !== undefined, { message: "code or error is required", path: ["code"] });

export const CompleteBody = z
  .object({
    grant: z.string({ message: "must be the grant from the dashboard URL" }).regex(ONE_TIME_CODE_SHAPE, "must be the grant from the dashboard URL").openapi({
      description: "The `grant` the callback put in the dashboard URL (tiny_connect=pending&grant=…); works once, for 5 minutes",
    }),
  })
  .openapi("TinyConnectComplete");

export const TinyAccountSchema = z
  .object({
    id: z.string().uuid(),
    companyName: z.string(),
    tradeName: z.string().nullable(),
    cnpj: z.string().openapi({ description: "Digits only" }),
    status: z.enum(["active", "reauth_required", "disconnected"]),
    accessTokenExpiresAt: z.string().datetime().nullable(),
    refreshTokenExpiresAt: z.string().datetime().nullable().openapi({ description: "Tiny refresh tokens live one day; the keep-alive renews them well before" }),
    lastRefreshAt: z.string().datetime().nullable(),
    lastError: z.string().nullable().openapi({ description: "Why the account needs attention (e.g. reauthorization), if it does" }),
    lastErrorAt: z.string().datetime().nullable(),
    connectedAt: z.string().datetime(),
    forwardOrders: z.boolean().openapi({ description: "Paid ML orders are pushed to this account automatically" }),
    invoiceOnPaid: z.boolean().openapi({ description: "The NF-e is generated and emitted when a pushed order is paid" }),
    webhookConfigured: z.boolean().openapi({ description: "A Tiny webhook URL exists; the URL itself is shown only once, when made" }),
    webhookCreatedAt: z.string().datetime().nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi("TinyAccount");

export function toTinyAccountDto(a: TinyAccountSummary): z.infer<typeof TinyAccountSchema> {
  return {
    id: a.id,
    companyName: a.companyName,
    tradeName: a.tradeName,
    cnpj: a.cnpj,
    status: a.status,
    accessTokenExpiresAt: iso(a.accessExpiresAt),
    refreshTokenExpiresAt: iso(a.refreshExpiresAt),
    lastRefreshAt: iso(a.lastRefreshAt),
    lastError: a.lastError,
    lastErrorAt: iso(a.lastErrorAt),
    connectedAt: a.connectedAt.toISOString(),
    forwardOrders: a.forwardOrders,
    invoiceOnPaid: a.invoiceOnPaid,
    // Made and revoked together with the secret's hash (db/queries/tiny-account-settings.ts).
    webhookConfigured: a.webhookSecretCreatedAt !== null,
    webhookCreatedAt: iso(a.webhookSecretCreatedAt),
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

export const TinyAccountListSchema = z.object({ items: z.array(TinyAccountSchema) }).openapi("TinyAccountList");

export const TinyAccountEventSchema = z
  .object({
    id: z.string().uuid(),
    type: z.string(),
    level: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.string().datetime(),
  })
  .openapi("TinyAccountEvent");

export const TinyAccountEventListSchema = z.object({ items: z.array(TinyAccountEventSchema) }).openapi("TinyAccountEventList");

export function toTinyAccountEventDto(e: TinyAccountEvent): z.infer<typeof TinyAccountEventSchema> {
  return { id: e.id, type: e.type, level: e.level, message: e.message, details: e.details, createdAt: e.createdAt.toISOString() };
}

export const AccountIdParams = z.object({ id: uuidParam("id") });
export const EventsQuery = z.object({ limit: limit(200, 50) });

export const ProductsQuery = z.object({
  accountId: optionalAccount,
  name: z.string().trim().min(1).max(120).optional().openapi({ description: "Part of the product name (Tiny `nome`)" }),
  sku: z.string().trim().min(1).max(60).optional().openapi({ description: "SKU (Tiny `codigo`)" }),
  gtin: z
    .string()
    .regex(/^\d{8,14}$/, "must be 8 to 14 digits")
    .optional(),
  status: z.enum(["A", "I", "E"], { message: "must be A (active), I (inactive) or E (deleted)" }).optional(),
  limit: limit(100, 50),
  offset,
});

const money = z.number().nullable();

export const TinyProductSchema = z
  .object({
    id: z.number().int(),
    sku: z.string().nullable(),
    name: z.string(),
    type: z.string().nullable().openapi({ description: "K kit, S simple, V with variations, F manufactured, M raw material" }),
    status: z.string().nullable().openapi({ description: "A active, I inactive, E deleted" }),
    unit: z.string().nullable(),
    gtin: z.string().nullable(),
    prices: z.object({ price: money, promotionalPrice: money, cost: money, averageCost: money }),
    createdAt: z.string().datetime().nullable(),
    updatedAt: z.string().datetime().nullable(),
  })
  .openapi("TinyProduct");

export const TinyProductPageSchema = z
  .object({
    accountId: z.string().uuid(),
    items: z.array(TinyProductSchema),
    pagination: z.object({ limit: z.number().int(), offset: z.number().int(), total: z.number().int() }),
  })
  .openapi("TinyProductPage");

export function toTinyProductDto(p: TinyProductListItem): z.infer<typeof TinyProductSchema> {
  return {
    id: p.id,
    sku: p.sku,
    name: p.descricao,
    type: p.tipo,
    status: p.situacao,
    unit: p.unidade,
    gtin: p.gtin,
    prices: { price: p.precos?.preco ?? null, promotionalPrice: p.precos?.precoPromocional ?? null, cost: p.precos?.precoCusto ?? null, averageCost: p.precos?.precoCustoMedio ?? null },
    createdAt: iso(parseTinyDateTime(p.dataCriacao)),
    updatedAt: iso(parseTinyDateTime(p.dataAlteracao)),
  };
}

export const LinksQuery = z.object({
  accountId: z.string().uuid("must be a UUID").optional().openapi({ description: "Only links to this Tiny account" }),
  mlItemId: mlItemId.optional(),
  limit: limit(200, 50),
  offset,
});

export const ProductLinkSchema = z
  .object({
    id: z.string().uuid(),
    tinyAccountId: z.string().uuid(),
    mlItemId: z.string(),
    mlVariationId: z.number().int().nullable(),
    tinyProductId: z.number().int(),
    tinySku: z.string().nullable(),
    tinyProductName: z.string().nullable(),
    source: z.enum(["sync", "manual"]).openapi({ description: "sync: matched by SKU; manual: set by you (sync never overrides it)" }),
    linkedBy: z.string().uuid().nullable(),
    linkedAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi("TinyProductLink");

export const UnlinkedListingSchema = z
  .object({
    mlItemId: z.string(),
    mlVariationId: z.number().int().nullable(),
    title: z.string(),
    sellerSku: z.string().nullable(),
    listingStatus: z.string(),
  })
  .openapi("TinyUnlinkedListing");

export const ProductLinksPageSchema = z
  .object({
    items: z.array(ProductLinkSchema),
    total: z.number().int(),
    unlinked: z.array(UnlinkedListingSchema).openapi({ description: "Listings/variations with no Tiny product: reported, never guessed" }),
    unlinkedTotal: z.number().int(),
  })
  .openapi("TinyProductLinksPage");

export function toProductLinkDto(l: TinyProductLink | ProductLinkView): z.infer<typeof ProductLinkSchema> {
  return {
    id: l.id,
    tinyAccountId: l.tinyAccountId,
    mlItemId: l.mlItemId,
    mlVariationId: l.mlVariationId,
    tinyProductId: l.tinyProductId,
    tinySku: l.tinySku,
    tinyProductName: "tinyProductName" in l ? l.tinyProductName : null,
    source: l.source,
    linkedBy: l.linkedBy,
    linkedAt: l.linkedAt.toISOString(),
    updatedAt: l.updatedAt.toISOString(),
  };
}

export function toUnlinkedDto(u: UnlinkedListing): z.infer<typeof UnlinkedListingSchema> {
  return { mlItemId: u.mlItemId, mlVariationId: u.mlVariationId, title: u.title, sellerSku: u.sellerSku, listingStatus: u.status };
}

export const PutLinksBody = z
  .object({
    links: z
      .array(
        z
          .object({
            mlItemId,
            mlVariationId: z.number().int().positive().nullable().default(null).openapi({ description: "null for a listing without variations" }),
            tinyAccountId: z.string().uuid("must be a UUID"),
            tinyProductId: z.number().int().positive().nullable().openapi({ description: "null removes the link" }),
          })
          .strict(),
      )
      .min(1)
      .max(50),
  })
  .strict()
  .openapi("TinyProductLinksChange");

export const PutLinksResponse = z
  .object({
    items: z.array(
      z.object({
        mlItemId: z.string(),
        mlVariationId: z.number().int().nullable(),
        result: z.enum(["linked", "unlinked", "unchanged"]),
        link: ProductLinkSchema.nullable(),
      }),
    ),
  })
  .openapi("TinyProductLinksResult");

export const INVENTORY_MAX_PRODUCTS = 10;

export const InventoryQuery = z.object({
  accountId: optionalAccount,
  productIds: z
    .string()
    .regex(/^\d{1,15}(,\d{1,15})*$/, "must be a comma-separated list of Tiny product ids")
    .transform((value) => [...new Set(value.split(",").map(Number))])
    .refine((ids) => ids.length <= INVENTORY_MAX_PRODUCTS, `at most ${INVENTORY_MAX_PRODUCTS} products per request (one Tiny call each)`)
    .optional()
    .openapi({
      description: `Up to ${INVENTORY_MAX_PRODUCTS} Tiny product ids, comma-separated: read live from Tiny (one call each). Without it: the stock the sync last read, paginated, no Tiny call.`,
      example: "357281337,357281338",
    }),
  limit: limit(200, 50),
  offset,
});

const qty = z.number().nullable();

export const InventoryItemSchema = z
  .object({
    productId: z.number().int(),
    sku: z.string().nullable(),
    name: z.string().nullable(),
    unit: z.string().nullable(),
    physical: qty.openapi({ description: "Tiny `saldo`" }),
    reserved: qty,
    available: qty.openapi({ description: "Sellable; may be negative, and some accounts report a constant 0" }),
    deposits: z.array(
      z.object({
        id: z.number().int(),
        name: z.string().nullable(),
        excludedFromTotals: z.boolean(),
        physical: qty,
        reserved: qty,
        available: qty,
      }),
    ),
  })
  .openapi("TinyInventoryItem");

const InventoryLinkSchema = z.object({
  mlItemId: z.string(),
  mlVariationId: z.number().nullable(),
  mlQuantity: z.number().int().nullable().openapi({ description: "What the stock sync last wrote to (or found on) the ML listing" }),
  mlUpdatedAt: z.string().datetime().nullable(),
  error: z.string().nullable().openapi({ description: "Why the last stock push to this listing failed (closed, Full, refused)" }),
});

export const InventoryEntrySchema = InventoryItemSchema.extend({
  source: z.enum(["live", "stored"]).openapi({ description: "live: read from Tiny now; stored: the stock sync's last read" }),
  readAt: z.string().datetime(),
  changedAt: z.string().datetime().nullable().openapi({ description: "When the available quantity last changed (stored reads)" }),
  links: z.array(InventoryLinkSchema).openapi({ description: "The ML listings this product's stock is pushed to" }),
}).openapi("TinyInventoryEntry");

export const InventorySchema = z
  .object({
    accountId: z.string().uuid(),
    items: z.array(InventoryEntrySchema),
    pagination: z.object({ limit: z.number().int(), offset: z.number().int(), total: z.number().int() }).nullable().openapi({ description: "Stored reads only" }),
  })
  .openapi("TinyInventory");

export function toInventoryEntryDto(entry: InventoryEntry): z.infer<typeof InventoryEntrySchema> {
  const stock = entry.stock.kind === "live" ? toInventoryItemDto(entry.stock.value) : storedToInventoryItemDto(entry.stock.value);
  return { ...stock, source: entry.stock.kind, readAt: entry.readAt.toISOString(), changedAt: iso(entry.changedAt), links: entry.links.map(toInventoryLinkDto) };
}

function toInventoryLinkDto(link: StockLink): z.infer<typeof InventoryLinkSchema> {
  return { mlItemId: link.mlItemId, mlVariationId: link.mlVariationId, mlQuantity: link.mlPushedQuantity, mlUpdatedAt: iso(link.mlPushedAt), error: link.stockError };
}

/** A stored read in the live read's shape: the sync keeps the same numbers per deposit. */
function storedToInventoryItemDto(row: StoredStockRow): z.infer<typeof InventoryItemSchema> {
  return {
    productId: row.tinyProductId,
    sku: row.sku,
    name: row.name,
    unit: row.unit,
    physical: Number(row.physical),
    reserved: Number(row.reserved),
    available: Number(row.available),
    deposits: row.deposits.map((d) => ({ id: d.id, name: d.name, excludedFromTotals: !d.counted, physical: d.physical, reserved: d.reserved, available: d.available })),
  };
}

function toInventoryItemDto(s: TinyStock): z.infer<typeof InventoryItemSchema> {
  return {
    productId: s.id,
    sku: s.codigo,
    name: s.nome,
    unit: s.unidade,
    physical: s.saldo,
    reserved: s.reservado,
    available: s.disponivel,
    deposits: s.depositos.map((d) => ({ id: d.id, name: d.nome, excludedFromTotals: d.desconsiderar, physical: d.saldo, reserved: d.reservado, available: d.disponivel })),
  };
}
