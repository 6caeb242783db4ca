import { AppError } from "#core/errors";
import { tinyShippingApi, type TinyShippingGroupPage } from "#integrations/tiny/shipping-api";
import { findOrderPushOfUser } from "#db/queries/tiny-orders";
import { chooseShippingLabel, type CachedGroup, type ShippingGroupCache, type ShippingLabel } from "#domain/shipping/labels";
import type { Principal } from "../lib/types";
import { actingContext } from "./domain-context";
import { resolveAccount } from "./tinyerp";
import type { Services } from ".";

/** Tiny shipping groups, and the label of a pushed order (the choice is domain/shipping/labels.ts's). */

export interface ShippingGroupQuery {
  accountId?: string | undefined;
  dataInicial?: string | undefined;
  dataFinal?: string | undefined;
  shippingMethodId?: number | undefined;
  limit: number;
  offset: number;
}

export async function listShippingGroups(services: Services, principal: Principal, query: ShippingGroupQuery): Promise<{ accountId: string; page: TinyShippingGroupPage }> {
  const account = await resolveAccount(services, principal, query.accountId);
  const tiny = await services.tiny();
  const page = await tinyShippingApi(tiny.client.forAccount(account.id)).listGroups({
    idFormaEnvio: query.shippingMethodId,
    dataInicial: query.dataInicial,
    dataFinal: query.dataFinal,
    limit: query.limit,
    offset: query.offset,
  });
  return { accountId: account.id, page };
}

/** The order push must be the caller's (404 otherwise); which label it gets is the rule's. */
export async function getShippingLabel(services: Services, principal: Principal, pushId: string, format: "pdf" | "zpl"): Promise<ShippingLabel> {
  const push = await findOrderPushOfUser(services.db, principal.userId, pushId);
  if (!push) throw new AppError("not_found", "No such order push.");
  return chooseShippingLabel({ ctx: actingContext(services, principal), input: { push, format, groupCache: shippingGroupCache(services) } });
}

/** The group cache in the Worker's Redis, under the request's key prefix. */
function shippingGroupCache(services: Services): ShippingGroupCache {
  const key = (tinyAccountId: string, tinyOrderId: number) => services.key("tiny-shipping-group", tinyAccountId, String(tinyOrderId));
  return {
    async get(tinyAccountId, tinyOrderId) {
      // Upstash hands back JSON it recognises already parsed.
      const raw = await services.redis.get<CachedGroup | string>(key(tinyAccountId, tinyOrderId));
      if (!raw) return null;
      return typeof raw === "string" ? (JSON.parse(raw) as CachedGroup) : raw;
    },
    async set(tinyAccountId, tinyOrderId, group, ttlSeconds) {
      await services.redis.set(key(tinyAccountId, tinyOrderId), JSON.stringify(group), { ex: ttlSeconds });
    },
    async forget(tinyAccountId, tinyOrderId) {
      await services.redis.del(key(tinyAccountId, tinyOrderId));
    },
  };
}
