import { describe, expect, it } from "vitest";
import { renderOrder } from "#dev/sandbox/ml/render";
import type { OrderRec, UserRec } from "#dev/sandbox/ml/types";
import { parseMlResource, toClaimRow, toListingRow, toOrderRow, toQuestionRow, toShipmentRow } from "./transform";

// Bodies from mercadolibre-api.md (the documented examples, "..." placeholders filled with real
// values), then the variants ML may send for the same resource: optional blocks absent, nulls,
// ids as strings. What the upserts depend on (the resource's id, its status) stays required, and
// a seller ML does not name stays null: the upserts refuse such a row rather than guess an owner.

const fetchedAt = new Date("2026-12-07T12:00:00Z");

/** §3.2 GET /items/{id}, the fields of the official example we keep, with one variation. */
const item = () => ({
  id: "MLB3737188005",
  site_id: "MLB",
  title: "Espaçador de rodas",
  seller_id: 779432305,
  category_id: "MLB188658",
  price: 62.96,
  base_price: 62.96,
  currency_id: "BRL",
  initial_quantity: 10,
  available_quantity: 8,
  sold_quantity: 2,
  buying_mode: "buy_it_now",
  listing_type_id: "gold_special",
  condition: "new",
  permalink: "https://produto.mercadolivre.com.br/MLB-3737188005",
  thumbnail: "http://http2.mlstatic.com/D_1.jpg",
  shipping: { mode: "me2", logistic_type: "drop_off", free_shipping: false, tags: [] },
  attributes: [
    { id: "SELLER_SKU", name: "SKU", value_id: null, value_name: "ESP-01", values: [{ id: null, name: "ESP-01", struct: null }] },
    { id: "GTIN", name: "Código universal", value_id: null, value_name: "7891234567895", values: [{ id: null, name: "7891234567895", struct: null }] },
  ],
  variations: [
    {
      id: 180000000001,
      attribute_combinations: [{ id: "COLOR", name: "Cor", value_id: "52049", value_name: "Preto", value_struct: null, values: [] }],
      price: 62.96,
      available_quantity: 8,
      sold_quantity: 2,
      picture_ids: ["123-MLB1"],
      seller_custom_field: null,
      catalog_product_id: null,
    },
  ],
  status: "active",
  sub_status: [],
  tags: ["good_quality_thumbnail"],
  seller_custom_field: null,
  date_created: "2024-10-01T10:00:00.000Z",
  last_updated: "2024-11-01T09:37:20.000-04:00",
});

/** §4.2 GET /orders/{id}, the documented example. */
const order = () => ({
  id: 2000009713473608,
  date_created: "2024-11-01T09:34:59.000-04:00",
  last_updated: "2024-11-01T09:37:20.000-04:00",
  date_closed: "2024-11-01T09:35:43.000-04:00",
  pack_id: 2000006556183755,
  fulfilled: null,
  buying_mode: "buy_equals_pay",
  shipping_cost: 0.0,
  mediations: [],
  total_amount: 125.92,
  paid_amount: 125.92,
  currency_id: "BRL",
  order_items: [
    {
      item: {
        id: "MLB3737188005",
        title: "Espaçador",
        category_id: "MLB188658",
        variation_id: null,
        seller_custom_field: null,
        variation_attributes: [],
        condition: "new",
        seller_sku: "ESPAÇADOR 01",
        user_product_id: "MLBU1458960576",
      },
      quantity: 2,
      requested_quantity: { measure: "unit", value: 2 },
      unit_price: 62.96,
      full_unit_price: 72.37,
      currency_id: "BRL",
      manufacturing_days: null,
      sale_fee: 11.07,
      listing_type_id: "gold_special",
    },
  ],
  payments: [
    {
      id: 91776699099,
      order_id: 2000009713473608,
      payer_id: 6427433,
      collector: { id: 779432305 },
      payment_method_id: "account_money",
      currency_id: "BRL",
      installments: 1,
      payment_type: "account_money",
      status: "approved",
      status_code: null,
      status_detail: "accredited",
      transaction_amount: 125.92,
      transaction_amount_refunded: 0.0,
      total_paid_amount: 125.92,
      installment_amount: null,
      date_approved: "2024-11-01T09:35:43.000-04:00",
      date_created: "2024-11-01T09:35:00.000-04:00",
    },
  ],
  shipping: { id: 44028792542 },
  status: "paid",
  status_detail: null,
  tags: ["pack_order", "paid", "not_delivered"],
  feedback: { seller: null, buyer: null },
  seller: { id: 779432305 },
  buyer: { id: 6427433, nickname: "COMPRADOR" },
  taxes: { amount: null, currency_id: null, id: null },
  cancel_detail: null,
});

/** §6 GET /questions/{id}?api_version=4. */
const question = () => ({
  id: 11436370259,
  seller_id: 419059118,
  buyer_id: 419067349,
  item_id: "MLB1623490410",
  deleted_from_listing: false,
  suspected_spam: false,
  status: "UNANSWERED",
  hold: false,
  text: "Tem em azul?",
  app_id: null,
  date_created: "2020-08-20T13:22:01.600-04:00",
  last_updated: "2020-08-20T13:22:01.600-04:00",
  answer: null,
});

/** §7 GET /post-purchase/v1/claims/{id}, the documented example. */
const claim = () => ({
  id: 5256749420,
  resource_id: 2000007819609432,
  status: "closed",
  type: "mediations",
  stage: "claim",
  parent_id: null,
  resource: "order",
  reason_id: "PDD9549",
  fulfilled: true,
  players: [
    { role: "complainant", type: "buyer", user_id: 1325224382, available_actions: [] },
    { role: "respondent", type: "seller", user_id: 1330467461, available_actions: [{ action: "send_message_to_mediator", mandatory: false, due_date: null }] },
  ],
  resolution: { reason: "payment_refunded", date_created: "2024-11-05T10:00:00.000-04:00", benefited: ["complainant"], closed_by: "respondent", applied_coverage: false },
  site_id: "MLB",
  date_created: "2024-11-02T10:00:00.000-04:00",
  last_updated: "2024-11-05T10:00:00.000-04:00",
  related_entities: [],
});

/** §8 GET /shipments/{id} with x-format-new: true. */
const shipment = () => ({
  id: 44028792542,
  status: "ready_to_ship",
  substatus: "ready_to_print",
  date_created: "2024-11-01T09:35:50.000-04:00",
  last_updated: "2024-11-01T10:00:00.000-04:00",
  tracking_number: null,
  tracking_method: null,
  declared_value: 125.92,
  logistic: { mode: "me2", type: "drop_off", direction: "forward" },
  origin: { type: "selling_address", sender_id: 779432305, shipping_address: { city: { name: "São Paulo" } } },
  destination: { receiver_id: 6427433, receiver_name: "Comprador" },
  tags: [],
});

describe("ML items (mercadolibre-api.md §3.2)", () => {
  it("reads the documented item: seller, SKU and GTIN from attributes, the variation's combination", () => {
    const row = toListingRow(item(), fetchedAt);
    expect(row.mlSellerId).toBe(779432305);
    expect(row.listing).toMatchObject({
      mlItemId: "MLB3737188005",
      title: "Espaçador de rodas",
      price: "62.96",
      availableQuantity: 8,
      status: "active",
      sellerSku: "ESP-01",
      gtin: "7891234567895",
      listingTypeId: "gold_special",
    });
    expect(row.listing.mlLastUpdated.toISOString()).toBe("2024-11-01T13:37:20.000Z");
    expect(row.variations).toEqual([
      expect.objectContaining({
        mlVariationId: 180000000001,
        price: "62.96",
        availableQuantity: 8,
        attributeCombinations: [{ id: "COLOR", name: "Cor", valueId: "52049", valueName: "Preto" }],
        pictureIds: ["123-MLB1"],
      }),
    ]);
  });

  it("reads an item with every optional block absent", () => {
    const row = toListingRow({ id: "MLB1", title: "Só o básico", status: "paused", last_updated: "2024-11-01T09:37:20.000-04:00", seller_id: 5 }, fetchedAt);
    expect(row.listing).toMatchObject({ price: null, currencyId: null, availableQuantity: null, subStatus: [], permalink: null, sellerSku: null, gtin: null, mlDateCreated: null });
    expect(row.variations).toEqual([]);
  });

  it("reads nulls where ML leaves a field empty, and ids and prices as strings", () => {
    const body = {
      ...item(),
      seller_id: "779432305",
      price: "62.96",
      attributes: null,
      sub_status: null,
      variations: [{ id: "180000000001", price: null, attribute_combinations: null, picture_ids: null, available_quantity: null }],
    };
    const row = toListingRow(body, fetchedAt);
    expect(row.mlSellerId).toBe(779432305);
    expect(row.listing).toMatchObject({ price: "62.96", sellerSku: null, gtin: null, subStatus: [] });
    expect(row.variations[0]).toMatchObject({ mlVariationId: 180000000001, price: null, attributeCombinations: [], pictureIds: [], availableQuantity: null });
  });

  it("keeps a missing seller null (the upsert refuses the row instead of guessing an owner)", () => {
    const { seller_id: _seller, ...withoutSeller } = item();
    expect(toListingRow(withoutSeller, fetchedAt).mlSellerId).toBeNull();
    expect(toListingRow({ ...item(), seller_id: null }, fetchedAt).mlSellerId).toBeNull();
  });

  it("refuses an item without its id or last-updated stamp: the upsert keys and orders on them", () => {
    const { id: _id, ...withoutId } = item();
    expect(() => toListingRow(withoutId, fetchedAt)).toThrow();
    expect(() => toListingRow({ ...item(), last_updated: null }, fetchedAt)).toThrow();
  });
});

describe("ML orders (mercadolibre-api.md §4.2)", () => {
  it("reads the documented order: seller, buyer, amounts as decimals, the item and the payment", () => {
    const row = toOrderRow(order(), fetchedAt);
    expect(row.mlSellerId).toBe(779432305);
    expect(row.order).toMatchObject({
      mlOrderId: 2000009713473608,
      packId: 2000006556183755,
      status: "paid",
      statusDetail: null,
      totalAmount: "125.92",
      shippingCost: "0.00",
      buyerId: 6427433,
      shippingId: 44028792542,
      cancelDetail: null,
    });
    expect(row.order.payments).toEqual([expect.objectContaining({ id: 91776699099, status: "approved", transactionAmount: "125.92", refundedAmount: "0.00", installments: 1 })]);
    expect(row.items).toEqual([expect.objectContaining({ position: 1, mlItemId: "MLB3737188005", mlVariationId: null, sellerSku: "ESPAÇADOR 01", quantity: 2, unitPrice: "62.96", saleFee: "11.07" })]);
  });

  it("reads a 206 answer without buyer and seller, and an order whose shipping id is still null", () => {
    const { buyer: _buyer, seller: _seller, ...partial } = order();
    const row = toOrderRow({ ...partial, shipping: { id: null } }, fetchedAt, ["buyer", "seller"]);
    expect(row.mlSellerId).toBeNull();
    expect(row.order).toMatchObject({ buyerId: null, buyer: null, shippingId: null, missingFields: ["buyer", "seller"] });
  });

  it("reads an order with optional blocks absent or null, and ids as strings", () => {
    const row = toOrderRow(
      { id: "2000009713473608", status: "confirmed", seller: { id: "779432305" }, order_items: null, payments: null, shipping: null, tags: null, pack_id: null, buyer: { id: "6427433" } },
      fetchedAt,
    );
    expect(row.mlSellerId).toBe(779432305);
    expect(row.order).toMatchObject({ mlOrderId: 2000009713473608, packId: null, payments: [], tags: [], shippingId: null, buyerId: 6427433, mlLastUpdated: fetchedAt });
    expect(row.items).toEqual([]);
  });

  it("keeps a seller object without an id as no seller", () => {
    expect(toOrderRow({ ...order(), seller: { id: null } }, fetchedAt).mlSellerId).toBeNull();
  });

  it("keeps a structured status_detail and cancel_detail", () => {
    const cancel = { group: "buyer", code: "buyer_cancel", description: "x", requested_by: "buyer", date: "2024-11-02T10:00:00.000-04:00" };
    const row = toOrderRow({ ...order(), status: "cancelled", status_detail: { code: "x" }, cancel_detail: cancel }, fetchedAt);
    expect(row.order).toMatchObject({ statusDetail: '{"code":"x"}', cancelDetail: cancel });
  });

  it("refuses an order without its id", () => {
    const { id: _id, ...withoutId } = order();
    expect(() => toOrderRow(withoutId, fetchedAt)).toThrow();
  });
});

describe("ML questions (mercadolibre-api.md §6)", () => {
  it("reads the documented question, unanswered", () => {
    const row = toQuestionRow(question(), fetchedAt);
    expect(row).toMatchObject({
      mlSellerId: 419059118,
      mlQuestionId: 11436370259,
      mlItemId: "MLB1623490410",
      buyerId: 419067349,
      status: "UNANSWERED",
      text: "Tem em azul?",
      answerText: null,
      answerDate: null,
    });
  });

  it("reads the search shape (buyer in `from`, no last_updated) and an answered one", () => {
    const { buyer_id: _b, last_updated: _l, ...searchShape } = question();
    const answered = { ...searchShape, status: "ANSWERED", from: { id: 419067349 }, answer: { text: "Temos.", status: "ACTIVE", date_created: "2020-08-21T10:00:00.000-04:00" } };
    const row = toQuestionRow(answered, fetchedAt);
    expect(row).toMatchObject({ buyerId: 419067349, answerText: "Temos.", answerStatus: "ACTIVE" });
    expect(row.mlLastUpdated.toISOString()).toBe("2020-08-21T14:00:00.000Z");
  });

  it("reads a banned question's empty text, ids as strings, and keeps a missing seller null", () => {
    const row = toQuestionRow({ ...question(), id: "11436370259", seller_id: null, buyer_id: "419067349", status: "BANNED", text: null }, fetchedAt);
    expect(row).toMatchObject({ mlSellerId: null, mlQuestionId: 11436370259, buyerId: 419067349, text: "" });
  });
});

describe("ML claims (mercadolibre-api.md §7)", () => {
  it("reads the documented claim; its seller is the respondent player", () => {
    const row = toClaimRow(claim(), fetchedAt);
    expect(row).toMatchObject({ mlSellerId: 1330467461, mlClaimId: 5256749420, resource: "order", resourceId: 2000007819609432, status: "closed", stage: "claim", reasonId: "PDD9549" });
    expect(row.players).toHaveLength(2);
  });

  it("names no seller when no respondent is a seller, or players are absent or unreadable", () => {
    expect(toClaimRow({ ...claim(), players: [{ role: "complainant", type: "buyer", user_id: 1 }] }, fetchedAt).mlSellerId).toBeNull();
    expect(toClaimRow({ ...claim(), players: null }, fetchedAt).mlSellerId).toBeNull();
    expect(toClaimRow({ ...claim(), players: [{ role: "respondent", type: "buyer", user_id: 1 }, "noise"] }, fetchedAt).mlSellerId).toBeNull();
    expect(toClaimRow({ ...claim(), players: [{ role: "respondent", type: "seller", user_id: "1330467461" }] }, fetchedAt).mlSellerId).toBe(1330467461);
  });

  it("reads a claim with optional blocks absent", () => {
    const row = toClaimRow({ id: "5256749420", status: "opened" }, fetchedAt);
    expect(row).toMatchObject({ mlClaimId: 5256749420, resource: null, resourceId: null, players: [], resolution: null, mlLastUpdated: fetchedAt });
  });
});

describe("ML shipments (mercadolibre-api.md §8)", () => {
  it("reads the new format: seller under origin, label available for a drop-off ready to print", () => {
    const row = toShipmentRow(shipment(), fetchedAt);
    expect(row).toMatchObject({
      mlSellerId: 779432305,
      mlShipmentId: 44028792542,
      status: "ready_to_ship",
      substatus: "ready_to_print",
      logisticMode: "me2",
      logisticType: "drop_off",
      labelAvailable: true,
      trackingNumber: null,
    });
  });

  it("reads the old format (sender and mode at the top), ids as strings", () => {
    const { origin: _o, logistic: _l, ...old } = shipment();
    const row = toShipmentRow({ ...old, id: "44028792542", sender_id: "779432305", mode: "me2", logistic_type: "fulfillment" }, fetchedAt);
    expect(row).toMatchObject({ mlSellerId: 779432305, mlShipmentId: 44028792542, logisticMode: "me2", logisticType: "fulfillment", labelAvailable: false });
  });

  it("keeps a missing sender null, whether origin is absent, null or names no sender", () => {
    const { origin: _o, ...noOrigin } = shipment();
    expect(toShipmentRow(noOrigin, fetchedAt).mlSellerId).toBeNull();
    expect(toShipmentRow({ ...shipment(), origin: null }, fetchedAt).mlSellerId).toBeNull();
    expect(toShipmentRow({ ...shipment(), origin: { type: "selling_address", sender_id: null } }, fetchedAt).mlSellerId).toBeNull();
  });

  it("reads a shipment with every optional block absent", () => {
    const row = toShipmentRow({ id: 1, status: "pending" }, fetchedAt);
    expect(row).toMatchObject({ mlSellerId: null, substatus: null, logisticMode: null, logisticType: null, labelAvailable: false, mlLastUpdated: fetchedAt });
  });
});

describe("ML sandbox orders, with their varied blanks", () => {
  const user = (id: number, kind: UserRec["kind"]): UserRec => ({
    id,
    nickname: `USER${id}`,
    firstName: "Ana",
    lastName: "Silva",
    email: `u${id}@example.com`,
    kind,
    registered: 0,
    city: "São Paulo",
    state: "BR-SP",
  });
  const users = new Map([user(779432305, "seller"), user(6427433, "buyer")].map((u) => [u.id, u]));
  const record = (i: number): OrderRec => ({
    id: 2000009713470000 + i,
    sellerId: 779432305,
    buyerId: 6427433,
    itemId: "MLB3737188005",
    variationId: i % 2 ? 180000000001 : null,
    title: "Espaçador",
    categoryId: "MLB188658",
    sku: i % 3 ? "ESP-01" : null,
    customField: null,
    variationAttributes: [],
    listingType: "gold_special",
    quantity: 1 + (i % 4),
    unitPrice: 62.96,
    fullUnitPrice: 72.37,
    currency: "BRL",
    saleFee: 11.07,
    status: i % 5 ? "paid" : "cancelled",
    statusDetail: null,
    packId: 2000006556183755,
    shipmentId: i % 7 ? 44028792542 : null,
    payments: [{ id: 91776699099 + i, status: "approved", statusDetail: "accredited", amount: 62.96, method: "account_money", created: 1_730_000_000_000, approved: 1_730_000_060_000 }],
    tags: ["paid"],
    cancelDetail: i % 5 ? null : { group: "buyer", code: "buyer_cancel", description: "x", requested_by: "buyer", date: 1_730_100_000_000 },
    stockTaken: true,
    created: 1_730_000_000_000,
    closed: i % 2 ? 1_730_000_060_000 : null,
    updated: 1_730_000_120_000,
  });

  it("every rendered order parses, names its seller, and the buyer comes both with and without a nickname", () => {
    const rendered = Array.from({ length: 40 }, (_, i) => renderOrder(record(i), users));
    for (const [i, body] of rendered.entries()) {
      const row = toOrderRow(body, fetchedAt);
      expect(row.mlSellerId).toBe(779432305);
      expect(row.order).toMatchObject({ mlOrderId: 2000009713470000 + i, buyerId: 6427433, shippingId: i % 7 ? 44028792542 : null });
      expect(row.items[0]?.sellerSku).toBe(i % 3 ? "ESP-01" : null);
    }
    expect(new Set(rendered.map((body) => JSON.stringify(Object.keys(body.buyer as object))))).toEqual(new Set(['["id"]', '["id","nickname"]']));
  });
});

describe("ML notification resources", () => {
  it("names the resource and the path to GET, with or without the leading slash", () => {
    expect(parseMlResource("/orders/2000009713473608")).toEqual({ kind: "orders", id: "2000009713473608" });
    expect(parseMlResource("questions/11436370259")).toEqual({ kind: "questions", id: "11436370259" });
    expect(parseMlResource("/v1/claims/5256749420")).toEqual({ kind: "claims", id: "5256749420" });
    expect(parseMlResource("/post-purchase/v1/claims/5256749420")).toEqual({ kind: "claims", id: "5256749420" });
    expect(parseMlResource("/items/MLB3737188005?x=1")).toMatchObject({ kind: "items", id: "MLB3737188005" });
    expect(parseMlResource("/users/1")).toBeNull();
  });
});
