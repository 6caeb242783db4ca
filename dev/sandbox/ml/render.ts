import { createRng } from "../common/rng";
import type { ClaimRec, ItemRec, OrderRec, QuestionRec, ShipmentRec, UserRec, VariationRec } from "./types";

// Wire shapes, following the reference's captured examples. Everything ML returns as an ISO date
// with a local offset is rendered in São Paulo time (-03:00), like MLB responses.
//
// ML is not consistent about empty fields, and a client must not depend on one form: the
// reference shows buyers as `{id}` or `{id, nickname}`, `seller_sku` only when the item has a
// SKU, and the documented bodies list fields that other captures leave out. So where a field is
// empty the sandbox sometimes leaves it out, chosen per record and field by a seeded stream:
// the same record renders the same way on every read, and the choice never looks at the caller.

/** `body` without some of its null `fields`, the same ones for the same `record` every time. */
function dropSomeNulls<T extends Record<string, unknown>>(record: string, body: T, fields: readonly string[]): T {
  for (const field of fields) if (body[field] === null && createRng(`${record}:${field}`).chance(0.5)) delete body[field];
  return body;
}

/** A user as an order names them: `{id}` alone about half the time (PII is being reduced, §4.2). */
function orderUser(record: string, id: number, nickname: string | null): Record<string, unknown> {
  return nickname === null || createRng(`${record}:nickname`).chance(0.5) ? { id } : { id, nickname };
}

const OFFSET_MS = -3 * 3600_000;

export function mlDate(ms: number): string {
  const local = new Date(ms + OFFSET_MS).toISOString();
  return `${local.slice(0, 23)}-03:00`;
}

/** Seeded listings do not store picture ids; a stable one is derived from the entity id. */
export function pictureIdsOf(owner: { id: string | number; pictureIds: string[] | null }): string[] {
  if (owner.pictureIds) return owner.pictureIds;
  const digits = String(owner.id).replace(/\D/g, "");
  return [`${600000 + (Number(digits.slice(-6)) % 400000)}-MLB${digits}_112025`];
}

export function descriptionOf(item: ItemRec): string {
  return item.description ?? `${item.title}. Item de sandbox: dados fictícios.`;
}

const picture = (id: string) => ({
  id,
  url: `http://http2.mlstatic.com/D_${id}-O.jpg`,
  secure_url: `https://http2.mlstatic.com/D_${id}-O.jpg`,
  size: "500x500",
  max_size: "1200x1200",
  quality: "",
});

const textAttribute = (id: string, name: string, value: string) => ({
  id,
  name,
  value_id: null,
  value_name: value,
  value_struct: null,
  values: [{ id: null, name: value, struct: null }],
  attribute_group_id: "OTHERS",
  attribute_group_name: "Outros",
});
const skuAttribute = (sku: string) => textAttribute("SELLER_SKU", "SKU", sku);
const gtinAttribute = (gtin: string) => textAttribute("GTIN", "Código universal de produto", gtin);

/** Public reads only show a bucketed stock; the owner sees the real number. */
export function bucketQuantity(qty: number): number {
  if (qty <= 0) return 0;
  for (const b of [1, 50, 100, 150, 200, 250, 500, 5000, 50000]) if (qty <= b) return b;
  return 99999;
}

export function renderVariation(v: VariationRec, opts: { owner: boolean; includeAttributes: boolean }) {
  const out: Record<string, unknown> = {
    id: v.id,
    price: v.price,
    attribute_combinations: v.combos.map((a) => ({
      id: a.id,
      name: a.name,
      value_id: a.value_id,
      value_name: a.value_name,
      value_struct: null,
      values: [{ id: a.value_id, name: a.value_name, struct: null }],
    })),
    available_quantity: opts.owner ? v.qty : bucketQuantity(v.qty),
    sold_quantity: v.sold,
    sale_terms: [],
    picture_ids: pictureIdsOf(v),
    seller_custom_field: v.customField,
    catalog_product_id: null,
    inventory_id: null,
    item_relations: [],
  };
  dropSomeNulls(`variation:${v.id}`, out, ["seller_custom_field", "catalog_product_id", "inventory_id"]);
  if (opts.includeAttributes) out.attributes = [...(v.sku ? [skuAttribute(v.sku)] : []), ...(v.gtin ? [gtinAttribute(v.gtin)] : [])];
  return out;
}

export function renderItem(item: ItemRec, opts: { owner: boolean; includeAttributes?: boolean }): Record<string, unknown> {
  const attributes: unknown[] = [
    {
      id: "BRAND",
      name: "Marca",
      value_id: null,
      value_name: item.brand,
      value_struct: null,
      values: [{ id: null, name: item.brand, struct: null }],
      attribute_group_id: "OTHERS",
      attribute_group_name: "Outros",
    },
    {
      id: "ITEM_CONDITION",
      name: "Condição do item",
      value_id: "2230284",
      value_name: "Novo",
      value_struct: null,
      values: [{ id: "2230284", name: "Novo", struct: null }],
      attribute_group_id: "OTHERS",
      attribute_group_name: "Outros",
    },
  ];
  if (item.sku) attributes.push(skuAttribute(item.sku));
  if (item.gtin) attributes.push(gtinAttribute(item.gtin));
  const pictures = pictureIdsOf(item);
  const slug = item.title
    .toLowerCase()
    .normalize("NFD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
  const out: Record<string, unknown> = {
    id: item.id,
    site_id: "MLB",
    title: item.title,
    seller_id: item.sellerId,
    category_id: item.categoryId,
    official_store_id: null,
    price: item.price,
    base_price: item.price,
    original_price: null,
    currency_id: "BRL",
    initial_quantity: item.initialQty,
    available_quantity: opts.owner ? item.qty : bucketQuantity(item.qty),
    sold_quantity: item.sold,
    sale_terms: [],
    buying_mode: "buy_it_now",
    listing_type_id: item.listingType,
    start_time: mlDate(item.created),
    stop_time: mlDate(item.created + 20 * 365 * 24 * 3600_000),
    condition: item.condition,
    permalink: `https://produto.mercadolivre.com.br/${item.id.replace("MLB", "MLB-")}-${slug}-_JM`,
    thumbnail_id: pictures[0] ?? null,
    thumbnail: pictures[0] ? `http://http2.mlstatic.com/D_${pictures[0]}-I.jpg` : null,
    pictures: pictures.map(picture),
    video_id: null,
    descriptions: [],
    accepts_mercadopago: true,
    non_mercado_pago_payment_methods: [],
    shipping: {
      mode: "me2",
      methods: [],
      tags: item.logisticType === "fulfillment" ? ["fulfillment"] : [],
      dimensions: null,
      local_pick_up: false,
      free_shipping: item.freeShipping,
      logistic_type: item.logisticType,
      store_pick_up: false,
    },
    international_delivery_mode: "none",
    seller_address: { city: { name: "São Paulo" }, state: { id: "BR-SP", name: "São Paulo" }, country: { id: "BR", name: "Brasil" } },
    seller_contact: null,
    location: {},
    coverage_areas: [],
    attributes,
    warnings: [],
    listing_source: "",
    variations: (item.variations ?? []).map((v) => renderVariation(v, { owner: opts.owner, includeAttributes: opts.includeAttributes ?? false })),
    status: item.status,
    sub_status: item.subStatus,
    tags: ["good_quality_thumbnail", "immediate_payment"],
    warranty: "Garantia do vendedor: 90 dias",
    catalog_product_id: null,
    domain_id: null,
    seller_custom_field: item.customField,
    parent_item_id: null,
    differential_pricing: null,
    deal_ids: [],
    automatic_relist: false,
    date_created: new Date(item.created).toISOString(),
    last_updated: new Date(item.updated).toISOString(),
    health: null,
    catalog_listing: false,
    user_product_id: item.userProductId ?? null,
  };
  dropSomeNulls(`item:${item.id}`, out, [
    "official_store_id",
    "original_price",
    "thumbnail_id",
    "thumbnail",
    "video_id",
    "seller_contact",
    "catalog_product_id",
    "domain_id",
    "seller_custom_field",
    "parent_item_id",
    "differential_pricing",
    "health",
    "user_product_id",
  ]);
  if (!opts.owner) {
    delete out.initial_quantity;
  } else {
    out.channels = ["marketplace"];
  }
  return out;
}

/** `?attributes=a,b` trims a response to those top-level keys (id is always kept, as ML does). */
export function selectAttributes(body: Record<string, unknown>, attributes: string | undefined): Record<string, unknown> {
  if (!attributes) return body;
  const keep = new Set(
    attributes
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );
  keep.add("id");
  return Object.fromEntries(Object.entries(body).filter(([k]) => keep.has(k)));
}

export function renderPublicUser(u: UserRec) {
  return {
    id: u.id,
    nickname: u.nickname,
    registration_date: mlDate(u.registered),
    country_id: "BR",
    address: { city: u.city, state: u.state },
    user_type: "normal",
    tags: u.kind === "buyer" ? ["normal"] : ["normal", "test_user", "user_info_verified"],
    logo: null,
    points: 100,
    site_id: "MLB",
    permalink: `http://perfil.mercadolivre.com.br/${u.nickname}`,
    seller_reputation: { level_id: u.kind === "seller" ? "5_green" : null, power_seller_status: null, transactions: { period: "historic", total: 0 } },
    buyer_reputation: { tags: [] },
    status: { site_status: "active" },
  };
}

export function renderPrivateUser(u: UserRec) {
  return {
    id: u.id,
    nickname: u.nickname,
    registration_date: mlDate(u.registered),
    first_name: u.firstName,
    last_name: u.lastName,
    gender: "",
    country_id: "BR",
    email: u.email,
    identification: { type: "CPF", number: String(u.id).padStart(11, "0") },
    address: { state: u.state, city: u.city, address: "Rua do Sandbox 100", zip_code: "01000-000" },
    phone: { area_code: "11", number: "40040000", extension: "", verified: false },
    alternative_phone: { area_code: "", number: "", extension: "" },
    user_type: "normal",
    tags: ["normal", "test_user", "user_info_verified"],
    logo: null,
    points: 100,
    site_id: "MLB",
    permalink: `http://perfil.mercadolivre.com.br/${u.nickname}`,
    seller_experience: "ADVANCED",
    seller_reputation: {
      level_id: u.kind === "seller" ? "5_green" : null,
      power_seller_status: null,
      transactions: { period: "historic", total: 0, completed: 0, canceled: 0, ratings: { positive: 0, negative: 0, neutral: 0 } },
    },
    buyer_reputation: { canceled_transactions: 0, transactions: { period: "historic", total: null }, tags: [] },
    status: {
      site_status: "active",
      list: { allow: true, codes: [], immediate_payment: { required: false, reasons: [] } },
      buy: { allow: true, codes: [], immediate_payment: { required: false, reasons: [] } },
      sell: { allow: true, codes: [], immediate_payment: { required: false, reasons: [] } },
      billing: { allow: true, codes: [] },
      mercadopago_tc_accepted: true,
      mercadopago_account_type: "personal",
      mercadoenvios: "accepted",
      immediate_payment: false,
      confirmed_email: true,
      user_type: "eventual",
      required_action: "",
    },
    credit: { consumed: 100, credit_level_id: "MLB1" },
  };
}

export function renderOrder(o: OrderRec, users: Map<number, UserRec>, missing: readonly string[] = []): Record<string, unknown> {
  const buyer = users.get(o.buyerId);
  const seller = users.get(o.sellerId);
  const total = Math.round(o.unitPrice * o.quantity * 100) / 100;
  const paidAmount = o.payments.filter((p) => p.status === "approved").reduce((n, p) => n + p.amount, 0);
  const out: Record<string, unknown> = {
    id: o.id,
    date_created: mlDate(o.created),
    last_updated: mlDate(o.updated),
    date_closed: o.closed === null ? null : mlDate(o.closed),
    expiration_date: mlDate(o.created + 28 * 24 * 3600_000),
    pack_id: o.packId,
    fulfilled: null,
    buying_mode: "buy_equals_pay",
    shipping_cost: null,
    mediations: [],
    total_amount: total,
    paid_amount: paidAmount,
    currency_id: o.currency,
    order_items: [
      {
        item: {
          id: o.itemId,
          title: o.title,
          category_id: o.categoryId,
          variation_id: o.variationId,
          seller_custom_field: o.customField,
          variation_attributes: o.variationAttributes.map((a) => ({ id: a.id, name: a.name, value_id: a.value_id, value_name: a.value_name })),
          warranty: "Garantia do vendedor: 90 dias",
          condition: "new",
          // Present when the item has a SELLER_SKU attribute (§4.2).
          ...(o.sku === null ? {} : { seller_sku: o.sku }),
          global_price: null,
          net_weight: null,
          user_product_id: null,
          release_date: null,
        },
        quantity: o.quantity,
        requested_quantity: { measure: "unit", value: o.quantity },
        picked_quantity: null,
        unit_price: o.unitPrice,
        full_unit_price: o.fullUnitPrice,
        gross_price: Math.round(o.fullUnitPrice * o.quantity * 100) / 100,
        currency_id: o.currency,
        manufacturing_days: null,
        sale_fee: o.saleFee,
        listing_type_id: o.listingType,
        base_exchange_rate: null,
        base_currency_id: null,
        element_id: 1,
        discounts: [],
        stock: [],
      },
    ],
    payments: o.payments.map((p) => ({
      id: p.id,
      order_id: o.id,
      payer_id: o.buyerId,
      collector: { id: o.sellerId },
      card_id: null,
      reason: o.title,
      site_id: "MLB",
      payment_method_id: p.method,
      currency_id: o.currency,
      installments: 1,
      issuer_id: null,
      operation_type: "regular_payment",
      payment_type: p.method === "account_money" ? "account_money" : p.method === "pix" ? "bank_transfer" : p.method === "bolbradesco" ? "ticket" : "credit_card",
      available_actions: p.status === "approved" ? ["refund"] : [],
      status: p.status,
      status_code: null,
      status_detail: p.statusDetail,
      transaction_amount: p.amount,
      transaction_amount_refunded: p.status === "refunded" ? p.amount : 0,
      taxes_amount: 0,
      shipping_cost: 0,
      coupon_amount: 0,
      overpaid_amount: 0,
      total_paid_amount: p.amount,
      installment_amount: null,
      deferred_period: null,
      date_approved: p.approved === null ? null : mlDate(p.approved),
      transaction_order_id: null,
      date_created: mlDate(p.created),
      date_last_modified: mlDate(o.updated),
      marketplace_fee: o.saleFee * o.quantity,
      reference_id: null,
      authorization_code: null,
    })),
    shipping: { id: o.shipmentId },
    status: o.status,
    status_detail: o.statusDetail,
    tags: o.tags,
    feedback: { seller: null, buyer: null },
    context: { channel: "marketplace", site: "MLB", flows: [] },
    seller: orderUser(`order:${o.id}:seller`, o.sellerId, seller?.nickname ?? null),
    buyer: orderUser(`order:${o.id}:buyer`, o.buyerId, buyer?.nickname ?? null),
    taxes: { amount: null, currency_id: null, id: null },
    cancel_detail: o.cancelDetail ? { ...o.cancelDetail, date: mlDate(o.cancelDetail.date) } : null,
    manufacturing_ending_date: null,
    order_request: { change: null, return: null },
  };
  dropSomeNulls(`order:${o.id}`, out, ["date_closed", "fulfilled", "shipping_cost", "status_detail", "cancel_detail", "manufacturing_ending_date"]);
  for (const field of missing) delete out[field];
  return out;
}

export function renderShipment(s: ShipmentRec, buyer: UserRec | undefined, addressVisible: boolean, newFormat: boolean): Record<string, unknown> {
  const address = addressVisible
    ? {
        address_line: "Rua das Flores 123",
        street_name: "Rua das Flores",
        street_number: "123",
        comment: "Apto 12",
        zip_code: "01310-100",
        city: { id: null, name: buyer?.city ?? "São Paulo" },
        state: { id: buyer?.state ?? "BR-SP", name: null },
        country: { id: "BR", name: "Brasil" },
        neighborhood: { id: null, name: "Centro" },
      }
    : null;
  if (!newFormat) {
    return {
      id: s.id,
      mode: s.mode,
      logistic_type: s.logisticType,
      status: s.status,
      substatus: s.substatus,
      order_id: s.orderId,
      sender_id: s.sellerId,
      receiver_id: s.buyerId,
      tracking_number: s.trackingNumber,
      tracking_method: s.trackingNumber ? "Correios" : null,
      date_created: mlDate(s.created),
      last_updated: mlDate(s.updated),
      receiver_address: address,
      shipping_option: { id: 1, name: "Normal", currency_id: "BRL", list_cost: 0, cost: 0 },
    };
  }
  return {
    id: s.id,
    status: s.status,
    substatus: s.substatus,
    date_created: mlDate(s.created),
    last_updated: mlDate(s.updated),
    tracking_number: s.trackingNumber,
    tracking_method: s.trackingNumber ? "Correios" : null,
    declared_value: s.declaredValue,
    dimensions: { height: 10, width: 20, length: 30, weight: 500 },
    logistic: { mode: s.mode, type: s.logisticType, direction: "forward" },
    origin: { type: "selling_address", sender_id: s.sellerId, shipping_address: { city: { name: "São Paulo" }, state: { id: "BR-SP" }, zip_code: "01000-000" }, snapshot: null },
    destination: {
      type: "buying_address",
      receiver_id: s.buyerId,
      receiver_name: addressVisible && buyer ? `${buyer.firstName} ${buyer.lastName}` : null,
      receiver_phone: null,
      shipping_address: address,
    },
    source: { site_id: "MLB", market_place: "MELI", customer_id: null, application_id: null },
    lead_time: {
      cost: 0,
      list_cost: 0,
      cost_type: "free",
      currency_id: "BRL",
      shipping_method: { id: 182, name: "Normal", type: "standard", deliver_to: "address" },
      service_id: 1,
      delivery_type: "estimated",
    },
    priority_class: { id: null },
    sibling: null,
    items_types: ["new"],
    tags: [],
    external_reference: null,
  };
}

export function renderQuestion(q: QuestionRec, forSearch: boolean): Record<string, unknown> {
  const hidden = q.status === "BANNED";
  const answer = q.answer ? { text: q.answer.status === "BANNED" ? "" : q.answer.text, status: q.answer.status, date_created: mlDate(q.answer.created) } : null;
  const base = {
    id: q.id,
    seller_id: q.sellerId,
    item_id: q.itemId,
    status: q.status,
    text: hidden ? "" : q.text,
    date_created: mlDate(q.created),
    deleted_from_listing: false,
    hold: false,
    suspected_spam: false,
    answer,
  };
  if (forSearch) return { ...base, from: { id: q.buyerId } };
  return { ...base, buyer_id: q.buyerId, app_id: null, last_updated: mlDate(q.updated), from: { id: q.buyerId } };
}

export function renderClaim(x: ClaimRec): Record<string, unknown> {
  return {
    id: x.id,
    resource_id: x.orderId,
    status: x.status,
    type: x.type,
    stage: x.stage,
    parent_id: null,
    resource: "order",
    reason_id: x.reasonId,
    fulfilled: true,
    quantity_type: "total",
    claimed_quantity: 1,
    claim_version: 2.0,
    players: [
      { role: "complainant", type: "buyer", user_id: x.buyerId, available_actions: [] },
      {
        role: "respondent",
        type: "seller",
        user_id: x.sellerId,
        available_actions:
          x.status === "opened"
            ? [
                { action: "send_message_to_complainant", mandatory: false, due_date: null },
                { action: "refund", mandatory: false, due_date: null },
              ]
            : [],
      },
    ],
    resolution: x.resolution
      ? { reason: x.resolution.reason, date_created: mlDate(x.resolution.date), benefited: x.resolution.benefited, closed_by: x.resolution.closed_by, applied_coverage: false }
      : null,
    site_id: "MLB",
    date_created: mlDate(x.created),
    last_updated: mlDate(x.updated),
    related_entities: [],
  };
}
