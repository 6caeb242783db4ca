import { AppError } from "#core/errors";
import { uuidv7 } from "#core/ids";
import { disconnectTinyAccount, insertTinyAccount, insertTinyAccountEvent, lockTinyAccountOfUserByCnpj, reconnectTinyAccount, type TinyAccountSummary } from "#db/queries/tiny";
import { updateTinyAccountSettings, type TinyAccountSettings } from "#db/queries/tiny-account-settings";
import type { TinyTokenSet } from "#integrations/tiny";
import type { ActingContext, DomainContext } from "../context";

export interface TinyCompany {
  /** Normalised (digits only); the company's identity. */
  cnpj: string;
  companyName: string;
  tradeName: string | null;
}

/**
 * A Tiny company granted us access for the signed-in seller. A seller holds a company once
 * (by CNPJ): connecting it again is a reconnect (new tokens, same row, product links kept);
 * otherwise a new account. The tokens are stored sealed and an event recorded, in the same
 * transaction that holds the row lock.
 */
export async function connectTinyAccount({
  ctx,
  input,
}: {
  ctx: Pick<ActingContext, "transaction" | "log" | "now" | "tiny" | "actor">;
  input: { tokens: TinyTokenSet; company: TinyCompany };
}): Promise<{ result: "connected" | "reconnected"; accountId: string }> {
  const { tokens } = input;
  const { cnpj, companyName, tradeName } = input.company;
  const { userId } = ctx.actor;
  const tiny = await ctx.tiny();
  const log = ctx.log.child({ userId });
  const now = ctx.now();
  const { result, accountId } = await ctx.transaction(async (tx) => {
    const existing = await lockTinyAccountOfUserByCnpj(tx, userId, cnpj);
    const id = existing?.id ?? uuidv7();
    const sealed = await tiny.tokens.sealTokens(id, tokens);
    if (existing) {
      await reconnectTinyAccount(tx, id, { ...sealed, companyName, tradeName, now });
      await insertTinyAccountEvent(tx, { accountId: id, type: "reconnected", message: `Reconnected ${companyName}.`, details: { previousStatus: existing.status }, now });
      return { result: "reconnected" as const, accountId: id };
    }
    const inserted = await insertTinyAccount(tx, { id, userId, companyName, tradeName, cnpj, ...sealed, now });
    // A concurrent completion for the same company won between the lock and the insert; the next connect reconnects it.
    if (!inserted) {
      log.warn("tiny account connect refused", { error: "connect_conflict" });
      throw new AppError("conflict", "This Tiny company was being connected by another request at the same time; start again.");
    }
    await insertTinyAccountEvent(tx, { accountId: id, type: "connected", message: `Connected ${companyName}.`, now });
    return { result: "connected" as const, accountId: id };
  });
  log.info("tiny account connected", { accountId, result });
  return { result, accountId };
}

/** A disconnected account cannot be reconfigured; also what a write that lost a race with a disconnect answers. */
export const disconnectedAccountError = () => new AppError("conflict", "The Tiny account is disconnected; reconnect it first.", { retryable: false });

/** Deletes the tokens; the product links stay, so a reconnect picks up where the seller left off. */
export async function disconnectTinyErpAccount({ ctx, input }: { ctx: Pick<DomainContext, "db" | "log" | "now">; input: { accountId: string } }): Promise<void> {
  const now = ctx.now();
  if (!(await disconnectTinyAccount(ctx.db, input.accountId, now))) throw new AppError("not_found", "No such Tiny ERP account.");
  await insertTinyAccountEvent(ctx.db, { accountId: input.accountId, type: "disconnected", message: "Disconnected by the user; tokens deleted, product links kept.", now });
  ctx.log.info("tiny account disconnected", { accountId: input.accountId });
}

/** How the account is used (forwarding, invoicing, …); none of these settings needs Tiny, so an account awaiting reauthorization may change them too. */
export async function changeTinyAccountSettings({
  ctx,
  input,
}: {
  ctx: Pick<DomainContext, "db" | "log" | "now">;
  input: { accountId: string; settings: TinyAccountSettings };
}): Promise<TinyAccountSummary> {
  const { accountId, settings } = input;
  const now = ctx.now();
  const updated = await updateTinyAccountSettings(ctx.db, accountId, settings, now);
  if (!updated) throw disconnectedAccountError();
  await insertTinyAccountEvent(ctx.db, { accountId, type: "settings_changed", message: "Settings changed by the user.", details: { ...settings }, now });
  ctx.log.info("tiny account settings changed", { accountId, ...settings });
  return updated;
}
