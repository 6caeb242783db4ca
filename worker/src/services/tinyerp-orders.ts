import { AppError } from "#core/errors";
import { tinyOrderApi, tinyOrderSituacao, type TinyOrder } from "#integrations/tiny";
import { pushOrderToTiny, resendOrderPush, type OrderPushDeps, type OrderPushResult } from "#domain/orders/tiny-order-push";
import { findOrderPushOfUser, listOrderPushes, setMlEcommerceChannel, type OrderPushFilters, type TinyOrderPush } from "#db/queries/tiny-orders";
import { findOwnTinyAccountAnyStatus } from "#db/queries/tiny-account-settings";
import type { Principal } from "../lib/types";
import { resolveAccount } from "./tinyerp";
import type { Services } from ".";

/**
 * Pushes run inline here rather than through QStash: the caller wants our record back, a push
 * is 2–4 Tiny calls (seconds at worst), and exactly-once does not depend on where it runs —
 * the row's lease and the lookup-before-retry hold across the Worker and the jobs container.
 * The jobs processor `tinyerp.order.push` runs the same code for background forwarding and for
 * retrying pushes whose outcome stayed unknown.
 */
export async function pushOrder(services: Services, principal: Principal, input: { mlOrderId: number; accountId?: string | undefined }): Promise<OrderPushResult> {
  const account = await resolveAccount(services, principal, input.accountId, "body");
  return pushOrderToTiny({ ctx: await pushContext(services, account.id), input: { userId: principal.userId, tinyAccountId: account.id, mlOrderId: input.mlOrderId } });
}

/** What a push needs from this request: the Tiny account's client (503 when Tiny is not configured). */
async function pushContext(services: Services, tinyAccountId: string): Promise<OrderPushDeps> {
  const tiny = await services.tiny();
  return { db: services.db, client: tiny.client.forAccount(tinyAccountId), log: services.logger, now: services.now };
}

/** History stays readable whatever the account's state; another user's account is a 404 like everywhere. */
export async function listPushes(services: Services, principal: Principal, filters: Omit<OrderPushFilters, "tinyAccountId"> & { accountId?: string | undefined }) {
  if (filters.accountId !== undefined && !(await findOwnTinyAccountAnyStatus(services.db, principal.userId, filters.accountId))) {
    throw new AppError("not_found", "No such Tiny ERP account.");
  }
  return listOrderPushes(services.db, principal.userId, { ...filters, tinyAccountId: filters.accountId });
}

/** The push and its Tiny account must be the caller's (and the account usable); `resendOrderPush` does the rest. */
export async function resendPush(services: Services, principal: Principal, id: string): Promise<OrderPushResult> {
  const push = await findOrderPushOfUser(services.db, principal.userId, id);
  if (!push) throw new AppError("not_found", "No such order push.");
  await resolveAccount(services, principal, push.tinyAccountId);
  return resendOrderPush({ ctx: await pushContext(services, push.tinyAccountId), input: { push } });
}

export interface OrderPushView {
  push: TinyOrderPush;
  /** Tiny's order as of now; null before it exists or when Tiny could not be read. */
  tiny: TinyOrder | null;
  tinyError: string | null;
}

/** Our record plus a live read of Tiny's order; a failed read degrades to our record, never a failed answer. */
export async function getOrderPush(services: Services, principal: Principal, id: string): Promise<OrderPushView> {
  const push = await findOrderPushOfUser(services.db, principal.userId, id);
  if (!push) throw new AppError("not_found", "No such order push.");
  if (push.tinyOrderId === null) return { push, tiny: null, tinyError: null };
  try {
    const tiny = await services.tiny();
    const order = await tinyOrderApi(tiny.client.forAccount(push.tinyAccountId)).getOrder(push.tinyOrderId);
    return { push, tiny: order, tinyError: null };
  } catch (error) {
    services.logger.warn("live tiny order read failed", { pushId: id, error: error instanceof Error ? error.message : String(error) });
    return { push, tiny: null, tinyError: error instanceof Error ? error.message : "Tiny could not be read." };
  }
}

export const situacaoSlug = (situacao: number | null) => (situacao === null ? undefined : tinyOrderSituacao[situacao]) ?? "desconhecida";

/** 404 for another user's account, like every Tiny account route. Returns the account id. */
export async function setMlChannel(services: Services, principal: Principal, accountId: string, channelId: number | null): Promise<string> {
  const account = await resolveAccount(services, principal, accountId);
  await setMlEcommerceChannel(services.db, account.id, channelId);
  services.logger.info("tiny ml channel set", { tinyAccountId: account.id, channelId });
  return account.id;
}
