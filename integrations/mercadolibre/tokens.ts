import type { Database, RunInTransaction } from "#db/database";
import { isLockTimeout, setLockTimeout } from "#db/locks";
import {
  findMlAccount,
  insertMlAccountEvent,
  lockMlAccount,
  markMlAccountReauthRequired,
  storeRefreshedTokens,
  touchMlAccountApiCall,
  type MlAccount,
  type SealedTokens,
} from "#db/queries/ml-accounts";
import { AppError } from "#core/errors";
import { errorFields, type Logger } from "#core/log";
import { TokenDecryptError, sealTokenPair, type TokenCipher, type TokenContext } from "#core/token-cipher";
import type { MlConfig } from "./config";
import { MlAccountUnavailableError, isMlInvalidGrant } from "./errors";
import { refreshAccessToken, type MlTokenSet } from "./oauth";

export interface TokenManagerDeps {
  /** One-shot queries (the fast path reads here without any lock). */
  db: Database;
  transaction: RunInTransaction;
  cipher: TokenCipher;
  config: MlConfig;
  log: Logger;
  now?: () => Date;
}

export interface AccessTokenOptions {
  /**
   * Refresh now (the manual refresh). Callers that were waiting on the lock while someone
   * else refreshed take that result instead of rotating again.
   */
  forceRefresh?: boolean;
  /** The token ML just answered 401 to: refresh, unless the stored token is already another one. */
  rejectedToken?: string;
  /** Refresh when the token expires within this many seconds (default: the configured margin). */
  minValiditySeconds?: number;
}

export interface AccessToken {
  accountId: string;
  mlUserId: number;
  /** Secret: send it as `Authorization: Bearer`, never log or return it. */
  token: string;
  expiresAt: Date;
  /** True when this call performed the refresh. */
  refreshed: boolean;
}

export interface TokenManager {
  /** The one way to get a usable access token for an account, in either runtime. */
  getAccessToken(accountId: string, options?: AccessTokenOptions): Promise<AccessToken>;
  /** Seals a token set for `accountId`'s row (the connect flow stores what this returns). */
  sealTokens(accountId: string, tokens: MlTokenSet): Promise<SealedTokens>;
  /** Records a successful ML call (throttled: at most one write per account per interval). */
  recordApiCall(accountId: string): Promise<void>;
}

/** AAD for each sealed column: a ciphertext only opens in the row and column it was written for. */
export const tokenContext: TokenContext = (accountId, kind) => `ml_accounts:${accountId}:${kind}`;

// Long enough for one refresh with its retries; a waiter beyond it gets a retryable error, not a hung request.
const LOCK_TIMEOUT_SECONDS = 25;
const API_CALL_MARK_INTERVAL_MS = 10 * 60_000;

type Outcome = { kind: "token"; token: string; expiresAt: Date; refreshed: boolean } | { kind: "unavailable"; status: string } | { kind: "missing" };

export function createTokenManager(deps: TokenManagerDeps): TokenManager {
  const now = deps.now ?? (() => new Date());
  const { cipher, config } = deps;
  const lastMarked = new Map<string, number>();

  const open = async (row: MlAccount, kind: "access" | "refresh"): Promise<string> => {
    const sealed = kind === "access" ? row.accessTokenEnc : row.refreshTokenEnc;
    if (!sealed) throw new MlAccountUnavailableError(row.id, row.status);
    try {
      return await cipher.open(sealed, tokenContext(row.id, kind));
    } catch (error) {
      if (error instanceof TokenDecryptError) {
        // An operator problem (a key removed before rotation finished), not the seller's: never flip the status for it.
        deps.log.error("ml token cannot be decrypted", { accountId: row.id, keyId: row.tokenKeyId, reason: error.message });
        throw new AppError("internal", "Stored MercadoLibre credentials cannot be decrypted.", { retryable: false, cause: error });
      }
      throw error;
    }
  };

  const sealTokens = async (accountId: string, tokens: MlTokenSet): Promise<SealedTokens> => ({
    ...(await sealTokenPair(cipher, tokenContext, accountId, tokens)),
    accessExpiresAt: tokens.expiresAt,
    scope: tokens.scope,
  });

  /** Whether `row`'s token must be replaced for this caller; decided again after the lock. */
  const mustRefresh = async (row: MlAccount, options: AccessTokenOptions, calledAt: Date): Promise<boolean> => {
    if (!row.accessTokenEnc || !row.accessExpiresAt) return true;
    if (options.forceRefresh) return !(row.lastRefreshAt && row.lastRefreshAt.getTime() >= calledAt.getTime());
    if (options.rejectedToken !== undefined && (await open(row, "access")) === options.rejectedToken) return true;
    const marginMs = (options.minValiditySeconds ?? config.refreshMarginSeconds) * 1000;
    return row.accessExpiresAt.getTime() - now().getTime() <= marginMs;
  };

  const refreshUnderLock = (accountId: string, options: AccessTokenOptions, calledAt: Date): Promise<Outcome> =>
    deps.transaction(async (tx): Promise<Outcome> => {
      await setLockTimeout(tx, LOCK_TIMEOUT_SECONDS);
      const row = await lockMlAccount(tx, accountId);
      if (!row) return { kind: "missing" };
      if (row.status !== "active" || !row.refreshTokenEnc) return { kind: "unavailable", status: row.status };
      // Whoever held the lock before us may have refreshed already: then their token is ours too.
      if (!(await mustRefresh(row, options, calledAt))) {
        return { kind: "token", token: await open(row, "access"), expiresAt: row.accessExpiresAt!, refreshed: false };
      }
      const refreshToken = await open(row, "refresh");
      const started = performance.now();
      let tokens: MlTokenSet;
      try {
        tokens = await refreshAccessToken(config, refreshToken, now);
      } catch (error) {
        if (isMlInvalidGrant(error)) {
          // Committed with the transaction: the dead grant is recorded even though the caller gets an error.
          await markMlAccountReauthRequired(tx, accountId, now());
          await insertMlAccountEvent(tx, {
            accountId,
            type: "reauth_required",
            level: "error",
            message: "MercadoLibre rejected the refresh token (invalid_grant): the seller must reconnect the account.",
            details: { mlError: error.mlError ?? null, mlStatus: error.mlStatus ?? null },
            now: now(),
          });
          deps.log.warn("ml grant revoked; account needs reauthorization", { accountId, mlUserId: row.mlUserId });
          return { kind: "unavailable", status: "reauth_required" };
        }
        deps.log.warn("ml token refresh failed", { accountId, ...errorFields(error) });
        throw error;
      }
      // The rotated refresh token is written (and committed below) before anyone sees the access token.
      await storeRefreshedTokens(tx, accountId, await sealTokens(accountId, tokens), now());
      deps.log.info("ml token refreshed", { accountId, durationMs: Math.round(performance.now() - started), expiresInSeconds: tokens.expiresInSeconds });
      return { kind: "token", token: tokens.accessToken, expiresAt: tokens.expiresAt, refreshed: true };
    });

  return {
    sealTokens,

    async getAccessToken(accountId, options = {}) {
      const calledAt = now();
      const row = await findMlAccount(deps.db, accountId);
      if (!row) throw new AppError("not_found", "No such MercadoLibre account.", { retryable: false });
      if (row.status !== "active" || !row.accessTokenEnc) throw new MlAccountUnavailableError(accountId, row.status);
      if (!(await mustRefresh(row, options, calledAt))) {
        return { accountId, mlUserId: row.mlUserId, token: await open(row, "access"), expiresAt: row.accessExpiresAt!, refreshed: false };
      }
      let outcome: Outcome;
      try {
        outcome = await refreshUnderLock(accountId, options, calledAt);
      } catch (error) {
        if (isLockTimeout(error)) {
          throw new AppError("unavailable", "Another refresh of this MercadoLibre account is taking too long.", { retryAfterSeconds: 5, cause: error });
        }
        throw error;
      }
      if (outcome.kind === "missing") throw new AppError("not_found", "No such MercadoLibre account.", { retryable: false });
      if (outcome.kind === "unavailable") throw new MlAccountUnavailableError(accountId, outcome.status);
      return { accountId, mlUserId: row.mlUserId, token: outcome.token, expiresAt: outcome.expiresAt, refreshed: outcome.refreshed };
    },

    async recordApiCall(accountId) {
      const at = now();
      const previous = lastMarked.get(accountId);
      if (previous !== undefined && at.getTime() - previous < API_CALL_MARK_INTERVAL_MS) return;
      lastMarked.set(accountId, at.getTime());
      try {
        await touchMlAccountApiCall(deps.db, accountId, at, API_CALL_MARK_INTERVAL_MS);
      } catch (error) {
        // Bookkeeping only: the ML call itself succeeded and its caller must not fail for this.
        lastMarked.delete(accountId);
        deps.log.warn("could not record ml api call", { accountId, ...errorFields(error) });
      }
    },
  };
}
