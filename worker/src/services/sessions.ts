import { signAccessToken } from "#core/auth/access-token";
import { randomToken, sha256Hex } from "#core/crypto";
import { createSession, insertRefreshToken } from "#db/queries/sessions";
import type { PublicUser } from "#db/queries/users";
import type { Services } from ".";
import { accessTokenConfig } from "./tokens";

export interface TokenPair {
  tokenType: "Bearer";
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshTokenExpiresAt: string;
}

export interface AuthResult extends TokenPair {
  user: PublicUser;
}

/** Issues the next refresh token of a session; only its hash is stored. */
export async function issueTokens(services: Services, userId: string, sessionId: string, sessionExpiresAt: Date): Promise<TokenPair> {
  const { config, db } = services;
  const refreshToken = randomToken(32);
  await insertRefreshToken(db, { sessionId, tokenHash: await sha256Hex(refreshToken), expiresAt: sessionExpiresAt });
  const accessToken = await signAccessToken(accessTokenConfig(config), { userId, sessionId });
  return {
    tokenType: "Bearer",
    accessToken,
    expiresIn: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshToken,
    refreshTokenExpiresAt: sessionExpiresAt.toISOString(),
  };
}

export async function startSession(services: Services, user: PublicUser, userAgent: string | null): Promise<AuthResult> {
  const expiresAt = new Date(services.now().getTime() + services.config.REFRESH_TOKEN_TTL_SECONDS * 1000);
  const sessionId = await createSession(services.db, { userId: user.id, expiresAt, userAgent: userAgent?.slice(0, 256) ?? null });
  return { user, ...(await issueTokens(services, user.id, sessionId, expiresAt)) };
}
