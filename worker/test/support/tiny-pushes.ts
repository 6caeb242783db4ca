import { setMlEcommerceChannel } from "#db/queries/tiny-orders";
import { mlOrderItems, mlOrders, tinyProductLinks, type MlBuyerSnapshot } from "#db/schema";
import type { Services } from "../../src/services";
import { registerUser, type Session } from "./api";
import { seedAccount as seedMlAccount } from "./ml";
import { api, sandbox, sandboxProducts, seedAccount, testServices, tinyUrl } from "./tiny";

/**
 * A seller with both sides connected, and ML orders that can be pushed: what the shipping,
 * customer and finance endpoints read. The ML account holds a real grant of a sandbox seller of
 * its own (a test user), so ML calls (shipments, labels) reach the sandbox; the Tiny account one of the
 * Tiny sandbox, shared by every test file of the run — so ids, buyer ids and documents are
 * random, never fixed.
 */

export interface Seller {
  user: Session;
  services: Services;
  tinyAccountId: string;
  mlAccountId: string;
  /** The ML account's own sandbox seller (a test user). */
  mlUserId: number;
}

export async function seller(): Promise<Seller> {
  const user = await registerUser();
  const services = testServices();
  const tiny = await seedAccount(services, user.user.id);
  const info = await sandbox<{ lookups: { ecommerces: Array<{ id: number }> } }>("/_sandbox");
  await setMlEcommerceChannel(services.db, tiny.id, info.lookups.ecommerces[0]!.id);
  const ml = await seedMlAccount(services, user.user.id);
  return { user, services, tinyAccountId: tiny.id, mlAccountId: ml.id, mlUserId: ml.mlUserId };
}

let products: Promise<Map<string, number>> | undefined;

export const randomBuyerId = () => 600_000_000 + Math.floor(Math.random() * 399_000_000);
/** Eleven digits: the sandbox, like our code, checks the length of a CPF, not its check digits. */
export const randomCpf = () => String(10_000_000_000 + Math.floor(Math.random() * 89_999_999_999));

export interface MlOrderOptions {
  mlOrderId?: number;
  status?: string;
  buyer?: Partial<MlBuyerSnapshot> & { id?: number };
  shippingId?: number | null;
  /** false: the item is left unlinked, so a push fails before Tiny has the order. */
  linked?: boolean;
}

/** An ML order as the sync stores it: one unit of a listing linked to the Tiny product SKU-1. */
export async function mlOrder(s: Seller, options: MlOrderOptions = {}): Promise<{ mlOrderId: number; buyerId: number }> {
  const mlOrderId = options.mlOrderId ?? 4_000_000_000_000 + Math.floor(Math.random() * 1e12);
  const buyerId = options.buyer?.id ?? randomBuyerId();
  const mlItemId = `MLB${Math.floor(Math.random() * 1e10)}`;
  const now = new Date();
  const [order] = await s.services.db
    .insert(mlOrders)
    .values({
      accountId: s.mlAccountId,
      mlOrderId,
      status: options.status ?? "paid",
      buyerId,
      buyer: { nickname: `COMPRADOR_${buyerId}`, firstName: "Ana", lastName: `Souza ${buyerId}`, ...options.buyer, id: buyerId },
      shippingId: options.shippingId ?? null,
      totalAmount: "59.90",
      mlDateCreated: now,
      mlLastUpdated: now,
      fetchedAt: now,
    })
    .returning({ id: mlOrders.id });
  await s.services.db.insert(mlOrderItems).values({ orderId: order!.id, position: 0, mlItemId, sellerSku: "SKU-1", quantity: 1, unitPrice: "59.90" });
  if (options.linked !== false) {
    products ??= sandboxProducts();
    await s.services.db.insert(tinyProductLinks).values({ userId: s.user.user.id, tinyAccountId: s.tinyAccountId, mlItemId, tinyProductId: (await products).get("SKU-1")!, source: "manual" });
  }
  return { mlOrderId, buyerId };
}

export interface PushDto {
  id: string;
  status: string;
  mlOrderId: number;
  tinyOrderId: number | null;
  tinyOrderNumber: string | null;
  tinyContactId: number | null;
}

export async function push(s: Seller, mlOrderId: number): Promise<PushDto> {
  const pushed = await api<PushDto>("/tinyerp/orders", { method: "POST", token: s.user.accessToken, json: { mlOrderId } });
  if (pushed.status !== 200) throw new Error(`push failed: ${pushed.status} ${JSON.stringify(pushed.body)}`);
  return pushed.body;
}

/** Tiny's API as the seller's other tools (or the ERP panel) would use it, bypassing ours. */
export async function tinyApi<T = Record<string, unknown>>(path: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: T }> {
  const minted = await sandbox<{ access_token: string }>("/_sandbox/oauth/token", { json: {} });
  const response = await fetch(`${tinyUrl()}/public-api/v3${path}`, {
    method: init.method ?? (init.json === undefined ? "GET" : "POST"),
    headers: { authorization: `Bearer ${minted.access_token}`, ...(init.json === undefined ? {} : { "content-type": "application/json" }) },
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

/** A second user with a Tiny account of their own: every id of the first must read as missing to them. */
export async function stranger(): Promise<{ user: Session; tinyAccountId: string }> {
  const user = await registerUser();
  const account = await seedAccount(testServices(), user.user.id);
  return { user, tinyAccountId: account.id };
}
