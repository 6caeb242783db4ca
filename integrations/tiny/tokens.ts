import type { Database, RunInTransaction } from "#db/database";
import { isLockTimeout, setLockTimeout } from "#db/locks";
import {
  findTinyAccount,
  insertTinyAccountEvent,
  lockTinyAccount,
  markTinyAccountReauthRequired,
  recordTinyAccountError,
  storeRefreshedTinyTokens,
  type TinyAccount,
  type TinySealedTokens,
} from "#db/queries/tiny";
import { AppError } from "#core/errors";
import { errorFields, type Logger } from "#core/log";
import { TokenDecryptError, sealTokenPair, type TokenCipher, type TokenContext } from "#core/token-cipher";
import type { TinyConfig } from "./config";
import { TinyAccountUnavailableError, isTinyInvalidGrant } from "./errors";
import { refreshTinyTokens, type TinyTokenSet } from "./oauth";
import { describeError } from "#core/redact";

export interface TinyTokenManagerDeps {
  /** One-shot queries: the fast path reads here without a lock. */
  db: Database;
  transaction: RunInTransaction;
  cipher: TokenCipher;
  config: TinyConfig;
  log: Logger;
  now?: () => Date;
  fetch?: typeof fetch;
}

export interface TinyAccessOptions {
  /** Refresh even though the token is valid (the keep-alive). Waiters that queued behind a refresh take its result. */
  forceRefresh?: boolean;
  /** The token Tiny just answered 401 to: refresh, unless the stored one is already another. */
  rejectedToken?: string;
}

export interface TinyAccessToken {
  accountId: string;
  /** The company's CNPJ: names the quota budget every caller of this company shares. */
  cnpj: string;
  /** Secret: send as the bearer, never log or return it. */
  token: string;
  expiresAt: Date;
  refreshExpiresAt: Date | null;
  /** True when this call performed the refresh. */
  refreshed: boolean;
}

export interface TinyTokenManager {
  /** The one way to obtain a usable access token for an account, in either runtime. */
  getAccessToken(accountId: string, options?: TinyAccessOptions): Promise<TinyAccessToken>;
  /** Seals a token set for the row `accountId` (the connect flow stores what this returns). */
  sealTokens(accountId: string, tokens: TinyTokenSet): Promise<TinySealedTokens>;
}

/** AAD of each sealed column: a ciphertext opens only in the row and column it was written for. */
export const tinyTokenContext: TokenContext = (accountId, kind) => `tiny_accounts:${accountId}:${kind}`;

// Long enough for one token call; a waiter beyond it gets a retryable error rather than a hung request.
const LOCK_TIMEOUT_SECONDS = 25;

type Outcome =
  | { kind: "token"; token: string; expiresAt: Date; refreshExpiresAt: Date | null; refreshed: boolean }
  | { kind: "unavailable"; status: string }
  | { kind: "failed"; error: unknown }
  | { kind: "missing" };

export function createTinyTokenManager(deps: TinyTokenManagerDeps): TinyTokenManager {
  const now = deps.now ?? (() => new Date());
  const { cipher, config } = deps;

  const open = async (row: TinyAccount, kind: "access" | "refresh"): Promise<string> => {
    const sealed = kind === "access" ? row.accessTokenEnc : row.refreshTokenEnc;
    if (!sealed) throw new TinyAccountUnavailableError(row.id, row.status);
    try {
      return await cipher.open(sealed, tinyTokenContext(row.id, kind));
    } catch (error) {
      if (error instanceof TokenDecryptError) {
        // An operator problem (a key removed before rotation finished), not the user's: the status stays.
        deps.log.error("tiny token cannot be decrypted", { accountId: row.id, keyId: row.tokenKeyId, reason: error.message });
        throw new AppError("internal", "Stored Tiny credentials cannot be decrypted.", { retryable: false, cause: error });
      }
      throw error;
    }
  };

  const sealTokens = async (accountId: string, tokens: TinyTokenSet): Promise<TinySealedTokens> => ({
    ...(await sealTokenPair(cipher, tinyTokenContext, accountId, tokens)),
    accessExpiresAt: tokens.accessExpiresAt,
    refreshExpiresAt: tokens.refreshExpiresAt,
  });

  /** Decided before the lock and again under it: whoever held it before us may have refreshed already. */
  const mustRefresh = async (row: TinyAccount, options: TinyAccessOptions, calledAt: Date): Promise<boolean> => {
    if (!row.accessTokenEnc || !row.accessExpiresAt) return true;
    if (options.forceRefresh) return !(row.lastRefreshAt && row.lastRefreshAt.getTime() >= calledAt.getTime());
    if (options.rejectedToken !== undefined && (await open(row, "access")) === options.rejectedToken) return true;
    return row.accessExpiresAt.getTime() - now().getTime() <= config.refreshMarginSeconds * 1000;
  };

  const refreshUnderLock = (accountId: string, options: TinyAccessOptions, calledAt: Date): Promise<Outcome> =>
    deps.transaction(async (tx): Promise<Outcome> => {
      await setLockTimeout(tx, LOCK_TIMEOUT_SECONDS);
      const row = await lockTinyAccount(tx, accountId);
      if (!row) return { kind: "missing" };
      if (row.status !== "active" || !row.refreshTokenEnc) return { kind: "unavailable", status: row.status };
      if (!(await mustRefresh(row, options, calledAt))) {
        return { kind: "token", token: await open(row, "access"), expiresAt: row.accessExpiresAt!, refreshExpiresAt: row.refreshExpiresAt, refreshed: false };
      }
      const refreshToken = await open(row, "refresh");
      const started = performance.now();
      let tokens: TinyTokenSet;
      try {
        tokens = await refreshTinyTokens(config, refreshToken, { now, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
      } catch (error) {
        if (isTinyInvalidGrant(error)) {
          const reason = "Tiny rejected the refresh token (invalid_grant): reconnect the account to resume.";
          // Committed with the transaction: the dead grant is recorded even though the caller gets an error.
          await markTinyAccountReauthRequired(tx, accountId, reason, now());
          await insertTinyAccountEvent(tx, { accountId, type: "reauth_required", level: "error", message: reason, details: { tinyStatus: error.tinyStatus ?? null }, now: now() });
          deps.log.warn("tiny grant revoked; account needs reauthorization", { accountId });
          return { kind: "unavailable", status: "reauth_required" };
        }
        await recordTinyAccountError(tx, accountId, `Token refresh failed: ${describeError(error)}`.slice(0, 500), now());
        await insertTinyAccountEvent(tx, { accountId, type: "refresh_failed", level: "warn", message: describeError(error).slice(0, 500), now: now() });
        deps.log.warn("tiny token refresh failed", { accountId, ...errorFields(error) });
        // Returned, not thrown: throwing would roll back the error record the dashboard needs.
        return { kind: "failed", error };
      }
      // The rotated refresh token is written (and committed below) before anyone uses the new access token.
      await storeRefreshedTinyTokens(tx, accountId, await sealTokens(accountId, tokens), now());
      deps.log.info("tiny token refreshed", { accountId, durationMs: Math.round(performance.now() - started), expiresInSeconds: tokens.expiresInSeconds });
      return { kind: "token", token: tokens.accessToken, expiresAt: tokens.accessExpiresAt, refreshExpiresAt: tokens.refreshExpiresAt, refreshed: true };
    });

  return {
    sealTokens,
    async getAccessToken(accountId, options = {}) {
      const calledAt = now();
      const row = await findTinyAccount(deps.db, accountId);
      if (!row) throw new AppError("not_found", "No such Tiny ERP account.", { retryable: false });
      if (row.status !== "active" || !row.accessTokenEnc) throw new TinyAccountUnavailableError(accountId, row.status);
      if (!(await mustRefresh(row, options, calledAt))) {
        return { accountId, cnpj: row.cnpj, token: await open(row, "access"), expiresAt: row.accessExpiresAt!, refreshExpiresAt: row.refreshExpiresAt, refreshed: false };
      }
      let outcome: Outcome;
      try {
        outcome = await refreshUnderLock(accountId, options, calledAt);
      } catch (error) {
        if (isLockTimeout(error)) throw new AppError("unavailable", "Another refresh of this Tiny account is taking too long.", { retryAfterSeconds: 5, cause: error });
        throw error;
      }
      if (outcome.kind === "missing") throw new AppError("not_found", "No such Tiny ERP account.", { retryable: false });
      if (outcome.kind === "unavailable") throw new TinyAccountUnavailableError(accountId, outcome.status);
      if (outcome.kind === "failed") throw outcome.error;
      return { accountId, cnpj: row.cnpj, token: outcome.token, expiresAt: outcome.expiresAt, refreshExpiresAt: outcome.refreshExpiresAt, refreshed: outcome.refreshed };
    },
  };
}
