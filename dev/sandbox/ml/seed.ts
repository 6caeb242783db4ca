import { createRng, ean13, type Rng } from "../common";
import { DEMO_SELLER_ID, MlState, OPERATOR_USER_ID, SECOND_SELLER_ID, type SeedParams } from "./state";
import type { AttributeCombination, ItemRec, ItemStatus, OrderRec, OrderStatus, ShipmentRec, UserRec, VariationRec } from "./types";

// Seed data is a pure function of SeedParams: each area draws from its own RNG fork, so changing
// the number of orders never changes the listings, and two runs with the same params are identical.

const DAY = 24 * 3600_000;

interface Product {
  name: string;
  category: string;
  /** Which variation axes this product type uses, if any. */
  axes: Array<"COLOR" | "SIZE" | "SHOE_SIZE">;
  min: number;
  max: number;
}

const PRODUCTS: Product[] = [
  { name: "Fone de Ouvido Bluetooth", category: "MLB196208", axes: [], min: 49, max: 399 },
  { name: "Camiseta Básica Algodão", category: "MLB31447", axes: ["COLOR", "SIZE"], min: 29, max: 119 },
  { name: "Tênis Esportivo Corrida", category: "MLB23332", axes: ["SHOE_SIZE"], min: 149, max: 699 },
  { name: "Capinha Silicone para Celular", category: "MLB5677", axes: ["COLOR"], min: 19, max: 69 },
  { name: "Garrafa Térmica Inox 1L", category: "MLB255010", axes: ["COLOR"], min: 39, max: 189 },
  { name: "Cabo USB-C Turbo 2m", category: "MLB3697", axes: [], min: 15, max: 59 },
  { name: "Luminária de Mesa LED", category: "MLB1582", axes: [], min: 59, max: 259 },
  { name: "Mochila Executiva Notebook", category: "MLB1574", axes: ["COLOR"], min: 89, max: 399 },
  { name: "Kit Panelas Antiaderente 5 Peças", category: "MLB1621", axes: [], min: 149, max: 899 },
  { name: "Relógio Smartwatch Esportivo", category: "MLB1648", axes: ["COLOR"], min: 99, max: 1299 },
  { name: "Calça Jeans Slim", category: "MLB108704", axes: ["SIZE"], min: 79, max: 249 },
  { name: "Mouse Sem Fio Ergonômico", category: "MLB1714", axes: [], min: 35, max: 199 },
];

const BRANDS = ["Kairo", "Lumina", "Vertex", "Nordika", "Solaris", "Brava", "Tupã", "Orion", "Maré", "Pampa"];
const COLORS: Array<[string, string, string]> = [
  ["52049", "Preto", "PRT"],
  ["52055", "Branco", "BRA"],
  ["51993", "Vermelho", "VER"],
  ["52028", "Azul", "AZU"],
  ["52014", "Verde", "VRD"],
  ["283165", "Cinza", "CIN"],
];
const SIZES = ["P", "M", "G", "GG"];
const SHOE_SIZES = ["37", "38", "39", "40", "41", "42"];
// Attribute objects are shared by every seeded variation (they are never mutated, only
// replaced), which keeps a 100k-listing seed light on memory and GC.
const COLOR_ATTR = new Map(COLORS.map(([id, name]) => [name, Object.freeze({ id: "COLOR", name: "Cor", value_id: id, value_name: name }) as AttributeCombination]));
const SIZE_ATTR = new Map([...SIZES, ...SHOE_SIZES].map((s) => [s, Object.freeze({ id: "SIZE", name: "Tamanho", value_id: null, value_name: s }) as AttributeCombination]));
const FIRST = ["Ana", "Bruno", "Carla", "Diego", "Elisa", "Felipe", "Gabriela", "Heitor", "Isabela", "João", "Larissa", "Marcos"];
const LAST = ["Silva", "Souza", "Oliveira", "Santos", "Lima", "Pereira", "Costa", "Rocha", "Almeida", "Barbosa"];
const CITIES: Array<[string, string]> = [
  ["São Paulo", "BR-SP"],
  ["Rio de Janeiro", "BR-RJ"],
  ["Belo Horizonte", "BR-MG"],
  ["Curitiba", "BR-PR"],
  ["Porto Alegre", "BR-RS"],
  ["Recife", "BR-PE"],
];

export const BUYER_COUNT = 40;
export const FIRST_BUYER_ID = 520_000_001;

export const defaultSeedParams = (anchor: number): SeedParams => ({
  seed: 1,
  listings: 500,
  orders: 60,
  questions: 40,
  claims: 3,
  secondSellerListings: 25,
  anchor,
});

const price = (r: Rng, min: number, max: number) => r.int(min, max) + 0.9;

function seedUsers(state: MlState, r: Rng, anchor: number): void {
  const add = (u: UserRec) => state.users.set(u.id, u);
  add({
    id: DEMO_SELLER_ID,
    nickname: "LOJA_DEMO_SANDBOX",
    firstName: "Loja",
    lastName: "Demo",
    email: "demo.seller@sandbox.local",
    kind: "seller",
    registered: anchor - 900 * DAY,
    city: "São Paulo",
    state: "BR-SP",
  });
  add({
    id: SECOND_SELLER_ID,
    nickname: "OUTRA_LOJA_SANDBOX",
    firstName: "Outra",
    lastName: "Loja",
    email: "other.seller@sandbox.local",
    kind: "seller",
    registered: anchor - 700 * DAY,
    city: "Curitiba",
    state: "BR-PR",
  });
  add({
    id: OPERATOR_USER_ID,
    nickname: "LOJA_DEMO_SANDBOX.OPERADOR",
    firstName: "Operador",
    lastName: "Demo",
    email: "operator@sandbox.local",
    kind: "operator",
    registered: anchor - 300 * DAY,
    city: "São Paulo",
    state: "BR-SP",
  });
  for (let i = 0; i < BUYER_COUNT; i++) {
    const first = r.pick(FIRST);
    const last = r.pick(LAST);
    const [city, st] = r.pick(CITIES);
    add({
      id: FIRST_BUYER_ID + i,
      nickname: `${first}${last}${r.digits(3)}`.toUpperCase(),
      firstName: first,
      lastName: last,
      email: `buyer${i + 1}@sandbox.local`,
      kind: "buyer",
      registered: anchor - r.int(30, 2000) * DAY,
      city,
      state: st,
    });
  }
}

/** Where a seller's seeded listings live in id space: id = base + index × 10 + (1..9). */
export interface SellerSlot {
  sellerId: number;
  slot: number;
  base: number;
  count: number;
}

export const ITEM_ID_STEP = 10;
/** Share of plain (no variations, not Full) seeded listings that are on the User Products model. */
export const USER_PRODUCT_PERCENT = 20;
const USER_PRODUCT_SALT = 0x55505244;

/** One item per user product in the sandbox, so the UP id is derived from the item id and back. */
export function userProductIdFor(itemId: string): string {
  return itemId.replace(/^MLB/, "MLBU");
}

export function itemIdOfUserProduct(userProductId: string): string | null {
  return /^MLBU\d+$/.test(userProductId) ? `MLB${userProductId.slice(4)}` : null;
}
const VARIATIONS_PER_ITEM = 20;
/** Share of seeded listings whose products carry GTINs (every variation of such a listing has its own). */
const GTIN_PERCENT = 60;
const GTIN_SALT = 0x4754494e;

/**
 * EAN-13 with a correct check digit, prefix 789 (Brazil). The nine digits are (slot, index,
 * variation position), so every seeded product's GTIN is distinct and stable; `position` 0 is
 * the listing itself.
 */
function gtinFor(slot: number, index: number, position: number): string {
  return ean13(`789${String(((slot * 1_000_000 + index) * 100 + position) % 1_000_000_000).padStart(9, "0")}`);
}

/** Integer mix of (seed, slot, index): per-listing RNG seeds without building strings. */
function mix(seed: number, slot: number, index: number): number {
  let h = (seed ^ Math.imul(slot + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

export function itemIdFor(seed: number, slot: SellerSlot, index: number): string {
  return `MLB${slot.base + index * ITEM_ID_STEP + 1 + (mix(seed, slot.slot, index) % 9)}`;
}

export function slotsFor(params: SeedParams): SellerSlot[] {
  return [
    { sellerId: DEMO_SELLER_ID, slot: 0, base: 4_100_000_000, count: params.listings },
    { sellerId: SECOND_SELLER_ID, slot: 1, base: 4_800_000_000, count: params.secondSellerListings },
  ];
}

/** Rebuild a seeded listing from its id alone, or undefined if the id was never seeded. */
export function seededItemFactory(params: SeedParams, slots: SellerSlot[]): (id: string) => ItemRec | undefined {
  return (id) => {
    if (!id.startsWith("MLB")) return undefined;
    const n = Number(id.slice(3));
    if (!Number.isInteger(n)) return undefined;
    for (const slot of slots) {
      if (n < slot.base || n >= slot.base + slot.count * ITEM_ID_STEP) continue;
      const index = Math.floor((n - slot.base) / ITEM_ID_STEP);
      if (itemIdFor(params.seed, slot, index) !== id) return undefined;
      return makeItem(params.seed, slot, index, params.anchor);
    }
    return undefined;
  };
}

function makeVariations(r: Rng, firstVariationId: number, product: Product, baseSku: string, basePrice: number): VariationRec[] {
  const combos: AttributeCombination[][] = [];
  const colors = product.axes.includes("COLOR") ? COLORS.slice(0, r.int(2, 3)) : [null];
  const sizes = product.axes.includes("SIZE") ? SIZES.slice(0, r.int(2, 3)) : product.axes.includes("SHOE_SIZE") ? SHOE_SIZES.slice(r.int(0, 2), r.int(4, 6)) : [null];
  for (const color of colors) {
    for (const size of sizes) {
      const combo: AttributeCombination[] = [];
      if (color) combo.push(COLOR_ATTR.get(color[1]) as AttributeCombination);
      if (size) combo.push(SIZE_ATTR.get(size) as AttributeCombination);
      combos.push(combo);
    }
  }
  return combos.map((combo, k) => {
    const suffix = combo.map((a) => (a.id === "COLOR" ? (COLORS.find((c) => c[1] === a.value_name)?.[2] ?? "X") : a.value_name)).join("-");
    const sku = `${baseSku}-${suffix}`;
    return {
      id: firstVariationId + k,
      combos: combo,
      price: basePrice,
      qty: r.chance(0.1) ? 0 : r.int(1, 40),
      sold: r.int(0, 30),
      sku,
      customField: r.chance(0.5) ? sku : null,
      pictureIds: null,
    };
  });
}

/** A listing is a pure function of (seed, seller slot, index): its own RNG stream, its own id range. */
export function makeItem(seed: number, slot: SellerSlot, index: number, anchor: number): ItemRec {
  const r = createRng(mix(seed, slot.slot, index));
  const sellerId = slot.sellerId;
  const product = PRODUCTS[index % PRODUCTS.length] as Product;
  const brand = r.pick(BRANDS);
  const model = `${String.fromCharCode(65 + r.int(0, 25))}${r.int(10, 999)}`;
  const id = itemIdFor(seed, slot, index);
  const basePrice = price(r, product.min, product.max);
  const baseSku = `${brand.slice(0, 3).toUpperCase()}-${slot.slot === 0 ? "" : "X"}${String(index + 1).padStart(6, "0")}`;
  const withVariations = product.axes.length > 0 && r.chance(0.7);
  const firstVariationId = 180_000_000_000 + (slot.slot * 10_000_000 + index) * VARIATIONS_PER_ITEM;
  const variations = withVariations ? makeVariations(r, firstVariationId, product, baseSku, basePrice) : null;
  const roll = r.next();
  let status: ItemStatus = "active";
  let subStatus: string[] = [];
  let qty = variations ? variations.reduce((n, v) => n + v.qty, 0) : r.int(0, 200);
  if (roll < 0.04) {
    status = "closed";
  } else if (roll < 0.07) {
    status = "paused";
    subStatus = ["paused_by_seller"];
  } else if (qty === 0 || roll < 0.1) {
    if (variations) for (const v of variations) v.qty = 0;
    qty = 0;
    status = "paused";
    subStatus = ["out_of_stock"];
  }
  // Most listings carry the SKU in both places; some only in SELLER_SKU, some only in the legacy
  // seller_custom_field, so sync code has to handle every combination real sellers have.
  const skuRoll = r.next();
  const sku = variations ? null : skuRoll < 0.85 ? baseSku : null;
  const customField = variations ? null : skuRoll < 0.6 || skuRoll >= 0.85 ? baseSku : null;
  const created = anchor - r.int(20, 700) * DAY - r.int(0, DAY);
  const sold = variations ? variations.reduce((n, v) => n + v.sold, 0) : r.int(0, 120);
  const item: ItemRec = {
    id,
    sellerId,
    title: `${product.name} ${brand} ${model}`,
    categoryId: product.category,
    price: basePrice,
    qty,
    initialQty: qty + sold,
    sold,
    status,
    subStatus,
    listingType: r.chance(0.6) ? "gold_special" : "gold_pro",
    condition: "new",
    logisticType: r.chance(0.05) ? "fulfillment" : r.chance(0.7) ? "cross_docking" : "drop_off",
    freeShipping: basePrice >= 79,
    customField,
    sku,
    brand,
    variations,
    pictureIds: null,
    description: null,
    created,
    updated: created + r.int(0, 19) * DAY,
  };
  // Decided from a separate hash, not from `r`, so every other seeded value stays what it was
  // before User Products existed. UP items carry no variations (each variation is its own item),
  // and Full stock is ML's, so only plain non-Full listings are candidates.
  if (!variations && item.logisticType !== "fulfillment" && mix(seed ^ USER_PRODUCT_SALT, slot.slot, index) % 100 < USER_PRODUCT_PERCENT) {
    item.userProductId = userProductIdFor(id);
  }
  // A separate hash for the same reason as User Products above.
  if (mix(seed ^ GTIN_SALT, slot.slot, index) % 100 < GTIN_PERCENT) {
    if (variations) for (const [k, v] of variations.entries()) v.gtin = gtinFor(slot.slot, index, k + 1);
    else item.gtin = gtinFor(slot.slot, index, 0);
  }
  return item;
}

function seedItemIds(state: MlState, slot: SellerSlot, seed: number): void {
  const ids = new Array<string>(slot.count);
  for (let i = 0; i < slot.count; i++) ids[i] = itemIdFor(seed, slot, i);
  state.sellerItems.set(slot.sellerId, ids);
}

interface OrderDraft {
  sellerId: number;
  buyerId: number;
  item: ItemRec;
  variationId: number | null;
  quantity: number;
  status: OrderStatus;
  created: number;
}

/** Build an order (plus its shipment) without side effects on stock or notifications. */
export function buildOrder(state: MlState, d: OrderDraft, idRng: Rng): { order: OrderRec; shipment: ShipmentRec } {
  state.seq.order += idRng.int(1, 9);
  state.seq.pack += 1;
  state.seq.shipment += 1;
  const variation = d.variationId === null ? undefined : d.item.variations?.find((v) => v.id === d.variationId);
  const unitPrice = variation?.price ?? d.item.price;
  const paid = d.status === "paid";
  const closed = paid ? d.created + idRng.int(20, 600) * 1000 : null;
  const total = Math.round(unitPrice * d.quantity * 100) / 100;
  const payments =
    d.status === "confirmed"
      ? []
      : [
          {
            id: 91_000_000_000 + ++state.seq.payment,
            status: paid ? ("approved" as const) : d.status === "cancelled" ? ("cancelled" as const) : ("pending" as const),
            statusDetail: paid ? "accredited" : d.status === "cancelled" ? "by_collector" : "pending_waiting_payment",
            amount: total,
            method: idRng.pick(["account_money", "pix", "master", "visa", "bolbradesco"]),
            created: d.created,
            approved: closed,
          },
        ];
  const order: OrderRec = {
    id: state.seq.order,
    sellerId: d.sellerId,
    buyerId: d.buyerId,
    itemId: d.item.id,
    variationId: variation?.id ?? null,
    title: d.item.title,
    categoryId: d.item.categoryId,
    sku: variation ? variation.sku : d.item.sku,
    customField: variation ? variation.customField : d.item.customField,
    variationAttributes: variation ? variation.combos.map((x) => ({ ...x })) : [],
    listingType: d.item.listingType,
    quantity: d.quantity,
    unitPrice,
    fullUnitPrice: unitPrice,
    currency: "BRL",
    saleFee: Math.round(unitPrice * (d.item.listingType === "gold_pro" ? 0.16 : 0.11) * 100) / 100,
    status: d.status,
    statusDetail: null,
    packId: state.seq.pack,
    shipmentId: state.seq.shipment,
    payments,
    tags: paid ? ["paid", "not_delivered"] : [],
    cancelDetail: d.status === "cancelled" ? { group: "buyer", code: "buyer_cancel_express", description: "Buyer cancelled before payment", requested_by: "buyer", date: d.created + 3600_000 } : null,
    stockTaken: paid,
    created: d.created,
    closed,
    updated: closed ?? d.created,
  };
  const shipment: ShipmentRec = {
    id: state.seq.shipment,
    orderId: order.id,
    sellerId: d.sellerId,
    buyerId: d.buyerId,
    status: paid ? "ready_to_ship" : d.status === "cancelled" ? "cancelled" : "pending",
    substatus: paid ? "ready_to_print" : null,
    logisticType: d.item.logisticType,
    mode: "me2",
    trackingNumber: null,
    declaredValue: total,
    created: d.created,
    updated: order.updated,
  };
  return { order, shipment };
}

function seedOrders(state: MlState, sellerId: number, count: number, r: Rng, anchor: number): void {
  const ids = state.sellerItems.get(sellerId) ?? [];
  if (ids.length === 0) return;
  for (let i = 0; i < count; i++) {
    const item = state.items.get(ids[r.int(0, ids.length - 1)] as string) as ItemRec;
    const variation = item.variations ? r.pick(item.variations) : null;
    const roll = r.next();
    const status: OrderStatus = roll < 0.1 ? "cancelled" : roll < 0.16 ? "confirmed" : roll < 0.2 ? "payment_required" : "paid";
    const created = anchor - r.int(0, 45 * DAY);
    const { order, shipment } = buildOrder(
      state,
      { sellerId, buyerId: FIRST_BUYER_ID + r.int(0, BUYER_COUNT - 1), item, variationId: variation?.id ?? null, quantity: r.chance(0.8) ? 1 : r.int(2, 3), status, created },
      r,
    );
    // Older paid orders have moved along the shipping flow.
    if (status === "paid" && created < anchor - 10 * DAY) {
      shipment.status = r.chance(0.7) ? "delivered" : "shipped";
      shipment.substatus = null;
      shipment.trackingNumber = `BR${r.digits(9)}BR`;
      order.tags = shipment.status === "delivered" ? ["paid", "delivered"] : ["paid", "not_delivered"];
    }
    state.orders.set(order.id, order);
    state.shipments.set(shipment.id, shipment);
  }
}

const QUESTION_TEXTS = [
  "Olá, tem pronta entrega?",
  "Qual o prazo de envio para o Nordeste?",
  "Serve no modelo anterior?",
  "Vem com nota fiscal?",
  "Tem garantia de quantos meses?",
  "Qual o material?",
  "Consegue fazer um desconto para duas unidades?",
  "A cor é igual à da foto?",
];

function seedQuestions(state: MlState, count: number, r: Rng, anchor: number): void {
  const ids = state.sellerItems.get(DEMO_SELLER_ID) ?? [];
  for (let i = 0; i < count && ids.length > 0; i++) {
    const item = state.items.get(ids[r.int(0, ids.length - 1)] as string) as ItemRec;
    const created = anchor - r.int(0, 20 * DAY);
    const answered = r.chance(0.5);
    state.seq.question += r.int(1, 50);
    state.questions.set(state.seq.question, {
      id: state.seq.question,
      itemId: item.id,
      sellerId: item.sellerId,
      buyerId: FIRST_BUYER_ID + r.int(0, BUYER_COUNT - 1),
      text: r.pick(QUESTION_TEXTS),
      status: answered ? "ANSWERED" : "UNANSWERED",
      answer: answered ? { text: "Olá! Sim, temos. Obrigado pela pergunta.", status: "ACTIVE", created: created + r.int(60, 7200) * 1000 } : null,
      created,
      updated: created,
    });
  }
}

function seedClaims(state: MlState, count: number, r: Rng): void {
  const paid = [...state.orders.values()].filter((o) => o.sellerId === DEMO_SELLER_ID && o.status === "paid");
  for (let i = 0; i < count && i < paid.length; i++) {
    const order = paid[r.int(0, paid.length - 1)] as OrderRec;
    state.seq.claim += r.int(1, 99);
    const created = (order.closed ?? order.created) + r.int(1, 5) * DAY;
    state.claims.set(state.seq.claim, {
      id: state.seq.claim,
      orderId: order.id,
      sellerId: order.sellerId,
      buyerId: order.buyerId,
      status: i === 0 ? "closed" : "opened",
      type: "mediations",
      stage: "claim",
      reasonId: r.pick(["PNR3430", "PDD9549", "PDD9939"]),
      resolution: i === 0 ? { reason: "payment_refunded", date: created + DAY, benefited: ["complainant"], closed_by: "respondent" } : null,
      created,
      updated: created,
    });
  }
}

export function seedState(params: SeedParams): MlState {
  const slots = slotsFor(params);
  const state = new MlState(params, seededItemFactory(params, slots));
  state.slots = slots;
  const root = createRng(params.seed);
  state.seq = {
    // Above every seeded variation id, for variations created by PUT /items.
    variation: 190_000_000_000,
    order: 2_000_010_000_000_000,
    pack: 2_000_006_000_000_000,
    shipment: 44_100_000_000,
    payment: 0,
    question: 13_000_000_000,
    claim: 5_300_000_000,
  };
  seedUsers(state, root.fork("users"), params.anchor);
  for (const slot of slots) seedItemIds(state, slot, params.seed);
  seedOrders(state, DEMO_SELLER_ID, params.orders, root.fork("orders"), params.anchor);
  seedOrders(state, SECOND_SELLER_ID, Math.min(10, params.secondSellerListings), root.fork("orders-second"), params.anchor);
  seedQuestions(state, params.questions, root.fork("questions"), params.anchor);
  seedClaims(state, params.claims, root.fork("claims"));
  return state;
}
