import { hashPassword, timingDecoyHash, verifyPassword } from "#core/auth/passwords";
import { sha256Hex } from "#core/crypto";
import { AppError } from "#core/errors";
import { consumeRefreshToken, findSessionOfUsedRefreshToken, revokeSession } from "#db/queries/sessions";
import { findUserByEmail, insertUser } from "#db/queries/users";
import type { Services } from ".";
import { enforceRateLimits, rateLimitState, rateLimited, recordRateLimitHits, type RateLimitCheck } from "./rate-limit";
import { issueTokens, startSession, type AuthResult, type TokenPair } from "./sessions";

const invalidCredentials = () => new AppError("unauthorized", "Email or password is incorrect.");

/**
 * Sign-up answers the same whether or not the email already has an account, so it cannot be
 * used to find out who is a customer: a new email gets its account, a taken one is left as it
 * was (its password unchanged), and either way the client logs in next. Both paths hash the
 * password and run one insert, so they take the same time too.
 */
export async function register(services: Services, input: { email: string; password: string; name?: string | undefined }, context: { ip: string }): Promise<void> {
  const { config } = services;
  await enforceRateLimits(services, [{ rule: { name: "register-ip", limit: config.LOGIN_RATE_LIMIT_PER_IP, windowSeconds: config.LOGIN_RATE_LIMIT_WINDOW_SECONDS }, subject: context.ip }]);
  const passwordHash = await hashPassword(input.password, config.BCRYPT_COST);
  const user = await insertUser(services.db, { email: input.email, name: input.name ?? null, passwordHash });
  if (!user) services.logger.info("sign-up for an email that already has an account");
}

/**
 * Only failures count, so logging in never uses up a budget, and they count per address, per
 * (email, address) and per email: an attacker's failures lock only the attacker's address out.
 * The per-email budget stops guessing spread over many addresses: once it is spent, an address
 * that has already failed on this email gets no more tries, while one that has not (the owner's)
 * still does.
 */
async function loginChecks(config: Services["config"], email: string, ip: string): Promise<[RateLimitCheck, RateLimitCheck, RateLimitCheck]> {
  const windowSeconds = config.LOGIN_RATE_LIMIT_WINDOW_SECONDS;
  // Emails stay out of Redis keys.
  const emailId = await sha256Hex(email);
  return [
    { rule: { name: "login-failures-ip", limit: config.LOGIN_RATE_LIMIT_PER_IP, windowSeconds }, subject: ip },
    { rule: { name: "login-failures-email-ip", limit: config.LOGIN_RATE_LIMIT_PER_EMAIL, windowSeconds }, subject: `${emailId}:${ip}` },
    { rule: { name: "login-failures-email", limit: config.LOGIN_RATE_LIMIT_PER_ACCOUNT, windowSeconds }, subject: emailId },
  ];
}

/** One answer for an unknown email and a wrong password, in about the same time. */
export async function login(services: Services, input: { email: string; password: string }, context: { ip: string; userAgent: string | null }): Promise<AuthResult> {
  const checks = await loginChecks(services.config, input.email, context.ip);
  const [address, emailAtAddress, email] = await rateLimitState(services, checks);
  const binding = emailAtAddress.remaining < emailAtAddress.limit ? [address, emailAtAddress, email] : [address, emailAtAddress];
  const exhausted = binding.filter((state) => state.remaining <= 0);
  if (exhausted.length > 0) throw rateLimited(exhausted.map((state) => state.reset));

  const user = await findUserByEmail(services.db, input.email);
  const valid = await verifyPassword(input.password, user?.passwordHash ?? (await timingDecoyHash(services.config.BCRYPT_COST)));
  if (!user || !valid) {
    await recordRateLimitHits(services, checks);
    throw invalidCredentials();
  }
  const { id, email: userEmail, name, createdAt, updatedAt } = user;
  return startSession(services, { id, email: userEmail, name, createdAt, updatedAt }, context.userAgent);
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
