import { TIMING_DECOY_HASH, hashPassword, verifyPassword } from "../../../core/auth/passwords";
import { sha256Hex } from "../../../core/crypto";
import { AppError } from "../../../core/errors";
import { consumeRefreshToken, findSessionOfUsedRefreshToken, revokeSession } from "../../../db/queries/sessions";
import { findUserByEmail, insertUser } from "../../../db/queries/users";
import type { Services } from ".";
import { enforceRateLimits } from "./rate-limit";
import { issueTokens, startSession, type AuthResult, type TokenPair } from "./sessions";

const invalidCredentials = () => new AppError("unauthorized", "Email or password is incorrect.");

export async function register(
  services: Services,
  input: { email: string; password: string; name?: string | undefined },
  context: { ip: string; userAgent: string | null },
): Promise<AuthResult> {
  const { config } = services;
  await enforceRateLimits(services, [
    { subject: `register:ip:${context.ip}`, limit: config.LOGIN_RATE_LIMIT_PER_IP, windowSeconds: config.LOGIN_RATE_LIMIT_WINDOW_SECONDS },
  ]);
  const passwordHash = await hashPassword(input.password, config.BCRYPT_COST);
  const user = await insertUser(services.db, { email: input.email, name: input.name ?? null, passwordHash });
  if (!user) {
    throw new AppError("conflict", "An account with this email already exists.", {
      fields: [{ path: "body.email", message: "already registered", code: "taken" }],
    });
  }
  return startSession(services, user, context.userAgent);
}

/** One answer for an unknown email and a wrong password, in about the same time. */
export async function login(
  services: Services,
  input: { email: string; password: string },
  context: { ip: string; userAgent: string | null },
): Promise<AuthResult> {
  const { config } = services;
  await enforceRateLimits(services, [
    { subject: `login:ip:${context.ip}`, limit: config.LOGIN_RATE_LIMIT_PER_IP, windowSeconds: config.LOGIN_RATE_LIMIT_WINDOW_SECONDS },
    { subject: `login:email:${input.email}`, limit: config.LOGIN_RATE_LIMIT_PER_EMAIL, windowSeconds: config.LOGIN_RATE_LIMIT_WINDOW_SECONDS },
  ]);
  const user = await findUserByEmail(services.db, input.email);
  const valid = await verifyPassword(input.password, user?.passwordHash ?? TIMING_DECOY_HASH);
  if (!user || !valid) throw invalidCredentials();
  const { id, email, name, createdAt, updatedAt } = user;
  return startSession(services, { id, email, name, createdAt, updatedAt }, context.userAgent);
}

/**
 * Rotation: each refresh token works once. Presenting one that was already rotated means
 * it leaked or was replayed, so the whole session (its token family) is revoked.
 */
export async function refresh(services: Services, refreshToken: string): Promise<TokenPair> {
  const tokenHash = await sha256Hex(refreshToken);
  const consumed = await consumeRefreshToken(services.db, tokenHash, services.now());
  if (!consumed) {
    const reusedSession = await findSessionOfUsedRefreshToken(services.db, tokenHash);
    if (reusedSession) {
      await revokeSession(services.db, reusedSession, "refresh_reuse");
      services.logger.warn("refresh token reuse; session revoked", { sessionId: reusedSession });
    }
    throw new AppError("unauthorized", "The refresh token is invalid, expired or already used.");
  }
  return issueTokens(services, consumed.userId, consumed.sessionId, consumed.sessionExpiresAt);
}

export async function logout(services: Services, sessionId: string): Promise<void> {
  await revokeSession(services.db, sessionId, "logout");
}
