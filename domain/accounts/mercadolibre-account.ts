import { AppError } from "#core/errors";
import { uuidv7 } from "#core/ids";
import { deleteMlAccount, disconnectMlAccount, insertMlAccount, insertMlAccountEvent, lockMlAccountByMlUserId, reconnectMlAccount } from "#db/queries/ml-accounts";
import type { MlTokenSet, MlUserMe } from "#integrations/mercadolibre";
import type { ActingContext, DomainContext } from "../context";

export interface ConnectMlAccountInput {
  /** The tokens of the code exchange. */
  tokens: MlTokenSet;
  /** Who they belong to (GET /users/me with those tokens, already checked against `tokens.userId`). */
  me: Pick<MlUserMe, "id" | "nickname" | "site_id">;
  /**
   * Drops whatever the edge cached about this ML user (webhooks' "not ours"), after the commit.
   * It must not throw: the connect has happened by then.
   */
  forgetSeller: (mlUserId: number) => Promise<void>;
}

/**
 * An ML user granted us access for the signed-in seller. One ML user belongs to one of our
 * users: someone else's is a 409; the seller's own is a reconnect (new tokens, same row and
 * synced data); otherwise a new account. The tokens are stored sealed and an event recorded,
 * in the same transaction that holds the ML user's row lock.
 */
export async function connectMlAccount({
  ctx,
  input,
}: {
  ctx: Pick<ActingContext, "transaction" | "log" | "now" | "ml" | "actor">;
  input: ConnectMlAccountInput;
}): Promise<{ result: "connected" | "reconnected"; accountId: string }> {
  const { tokens, me } = input;
  const { userId } = ctx.actor;
  const ml = await ctx.ml();
  const log = ctx.log.child({ userId });
  const taken = () => {
    log.warn("ml account connect refused", { mlUserId: me.id, error: "ml_account_taken" });
    return new AppError("conflict", "This MercadoLibre account is already connected to another AutoEcom user.");
  };
  const now = ctx.now();
  const { result, accountId } = await ctx.transaction(async (tx) => {
    const existing = await lockMlAccountByMlUserId(tx, me.id);
    if (existing && existing.userId !== userId) throw taken();
    const id = existing?.id ?? uuidv7();
    const sealed = await ml.tokens.sealTokens(id, tokens);
    if (existing) {
      await reconnectMlAccount(tx, id, { ...sealed, nickname: me.nickname, siteId: me.site_id, now });
      await insertMlAccountEvent(tx, { accountId: id, type: "reconnected", message: `Reconnected as ${me.nickname}.`, details: { previousStatus: existing.status }, now });
      return { result: "reconnected" as const, accountId: id };
    }
    const inserted = await insertMlAccount(tx, { id, userId, mlUserId: me.id, nickname: me.nickname, siteId: me.site_id, ...sealed, now });
    // Lost a race with another connect of the same ML user between the lock and the insert.
    if (!inserted) throw taken();
    await insertMlAccountEvent(tx, { accountId: id, type: "connected", message: `Connected ${me.nickname} (${me.site_id}).`, now });
    return { result: "connected" as const, accountId: id };
  });
  // The edge may have cached "not ours" for this seller; its next notification must be taken.
  await input.forgetSeller(me.id);
  log.info("ml account connected", { accountId, mlUserId: me.id, result });
  return { result, accountId };
}

/**
 * Disconnect deletes the tokens at once; scheduled work selects active accounts only, and
 * queued jobs for it fail permanently on the status. `purge` also deletes the row, and with
 * it (cascade) its events and every record synced for it.
 */
export async function disconnectMercadoLibreAccount({
  ctx,
  input,
}: {
  ctx: Pick<DomainContext, "db" | "log" | "now">;
  input: { account: { id: string; mlUserId: number }; purge: boolean; forgetSeller: (mlUserId: number) => Promise<void> };
}): Promise<void> {
  const { account, purge } = input;
  const now = ctx.now();
  if (purge) {
    await deleteMlAccount(ctx.db, account.id);
  } else {
    await disconnectMlAccount(ctx.db, account.id, now);
    await insertMlAccountEvent(ctx.db, { accountId: account.id, type: "disconnected", message: "Disconnected by the user; tokens deleted, synced data kept.", now });
  }
  await input.forgetSeller(account.mlUserId);
  ctx.log.info("ml account disconnected", { accountId: account.id, mlUserId: account.mlUserId, purge });
}
