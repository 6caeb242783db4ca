import { uuidv7 } from "#core/ids";
import type { TinyServices } from "#integrations/tiny";
import type { Database } from "#db/database";
import { setMlEcommerceChannel } from "#db/queries/tiny-orders";
import { mlAccounts, mlOrderItems, mlOrders, tinyProductLinks } from "#db/schema";
import type { TinySandbox } from "#dev/sandbox/tiny";
import { seedUserWithTinyAccount } from "./tiny";

/**
 * What an order push needs from the database, without the ML sync: a user with a Tiny account
 * (real sandbox grant, its Mercado Livre channel set) and an ML account, then ML orders whose
 * items are linked to Tiny products.
 */
export async function seedOrderSeller(db: Database, tiny: Pick<TinyServices, "tokens">, sandbox: TinySandbox, emailPrefix: string) {
  const { userId, tinyAccountId } = await seedUserWithTinyAccount(db, tiny, sandbox, emailPrefix);
  await setMlEcommerceChannel(db, tinyAccountId, sandbox.state().lookups.ecommerces[0]!.id);
  const mlAccountId = uuidv7();
  const mlUserId = 700_000_000 + Math.floor(Math.random() * 99_000_000);
  await db.insert(mlAccounts).values({ id: mlAccountId, userId, mlUserId, nickname: `SELLER_${mlUserId}`, siteId: "MLB" });
  return { userId, tinyAccountId, mlAccountId };
}

export type OrderSeller = Awaited<ReturnType<typeof seedOrderSeller>>;

export interface SeededItem {
  mlItemId: string;
  mlVariationId: number | null;
  sku: string;
  quantity: number;
  unitPrice: string;
}

/** One ML order as the sync would store it (status, buyer, items). */
export async function seedMlOrder(db: Database, seller: OrderSeller, order: { mlOrderId: number; buyerId: number; buyerDoc?: string; status?: string; items: SeededItem[] }): Promise<void> {
  const now = new Date();
  const [row] = await db
    .insert(mlOrders)
    .values({
      accountId: seller.mlAccountId,
      mlOrderId: order.mlOrderId,
      status: order.status ?? "paid",
      totalAmount: order.items.reduce((sum, it) => sum + it.quantity * Number(it.unitPrice), 0).toFixed(2),
      buyerId: order.buyerId,
      buyer: { id: order.buyerId, nickname: `BUYER${order.buyerId}`, firstName: "Maria", lastName: "Silva", ...(order.buyerDoc ? { docType: "CPF", docNumber: order.buyerDoc } : {}) },
      mlDateCreated: now,
      mlLastUpdated: now,
      fetchedAt: now,
    })
    .returning({ id: mlOrders.id });
  await db
    .insert(mlOrderItems)
    .values(
      order.items.map((it, position) => ({ orderId: row!.id, position, mlItemId: it.mlItemId, mlVariationId: it.mlVariationId, sellerSku: it.sku, quantity: it.quantity, unitPrice: it.unitPrice })),
    );
}

/** Manual links from ML items to the sandbox's products of the same SKU. */
export async function linkToSandboxProducts(db: Database, seller: OrderSeller, sandbox: TinySandbox, items: Array<Pick<SeededItem, "mlItemId" | "mlVariationId" | "sku">>): Promise<void> {
  const ids = new Map([...sandbox.state().products.values()].map((p) => [p.sku, p.id]));
  await db.insert(tinyProductLinks).values(
    items.map((it) => {
      const tinyProductId = ids.get(it.sku);
      if (tinyProductId === undefined) throw new Error(`the sandbox has no product ${it.sku}`);
      return { userId: seller.userId, tinyAccountId: seller.tinyAccountId, mlItemId: it.mlItemId, mlVariationId: it.mlVariationId, tinyProductId, tinySku: it.sku, source: "manual" as const };
    }),
  );
}
