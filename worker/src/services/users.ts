import { hashPassword, verifyPassword } from "#core/auth/passwords";
import { AppError } from "#core/errors";
import { revokeOtherSessions } from "#db/queries/sessions";
import { deleteUser, findUserByEmail, findUserById, updateUser, type PublicUser } from "#db/queries/users";
import type { Principal } from "../lib/types";
import type { Services } from ".";
import { enforceRateLimits } from "./rate-limit";

/** Only the user themself. Someone else's account reads as missing: a 403 would tell which user ids exist. */
function assertSelf(principal: Principal, id: string): void {
  if (principal.userId !== id) throw new AppError("not_found", "No such user.");
}

export async function getUser(services: Services, principal: Principal, id: string): Promise<PublicUser> {
  assertSelf(principal, id);
  const user = await findUserById(services.db, id);
  if (!user) throw new AppError("not_found", "No such user.");
  const { email, name, createdAt, updatedAt } = user;
  return { id, email, name, createdAt, updatedAt };
}

export interface UserChanges {
  name?: string | null | undefined;
  email?: string | undefined;
  currentPassword?: string | undefined;
  newPassword?: string | undefined;
}

/**
 * Proves the person holding the access token knows the password (step-up before an account
 * takeover or deletion). Every check counts against the user's budget, so a stolen token cannot
 * be used to guess the password, nor to probe which emails are taken through email changes.
 */
async function checkCurrentPassword(services: Services, userId: string, passwordHash: string, currentPassword: string): Promise<void> {
  const { config } = services;
  await enforceRateLimits(services, [{ rule: { name: "password-check-user", limit: config.PASSWORD_CHECK_RATE_LIMIT, windowSeconds: config.LOGIN_RATE_LIMIT_WINDOW_SECONDS }, subject: userId }]);
  if (!(await verifyPassword(currentPassword, passwordHash))) {
    throw new AppError("forbidden", "The current password is incorrect.", {
      fields: [{ path: "body.currentPassword", message: "incorrect", code: "incorrect" }],
    });
  }
}

/**
 * Email and password changes need the current password: a stolen access token alone must not be
 * enough to take the account over. Either change ends every other session (a new email is a new
 * login name; whoever else is logged in must prove they know it).
 */
export async function changeUser(services: Services, principal: Principal, id: string, changes: UserChanges): Promise<PublicUser> {
  assertSelf(principal, id);
  const user = await findUserById(services.db, id);
  if (!user) throw new AppError("not_found", "No such user.");

  const sensitive = (changes.email !== undefined && changes.email !== user.email) || changes.newPassword !== undefined;
  if (sensitive) {
    if (!changes.currentPassword) {
      throw new AppError("validation_failed", "The current password is required to change email or password.", {
        fields: [{ path: "body.currentPassword", message: "required to change email or password", code: "required" }],
      });
    }
    await checkCurrentPassword(services, id, user.passwordHash, changes.currentPassword);
  }

  const update: Parameters<typeof updateUser>[2] = {};
  if (changes.name !== undefined) update.name = changes.name;
  if (changes.email !== undefined && changes.email !== user.email) {
    const holder = await findUserByEmail(services.db, changes.email);
    if (holder) throw emailTaken();
    update.email = changes.email;
  }
  if (changes.newPassword !== undefined) {
    update.passwordHash = await hashPassword(changes.newPassword, services.config.BCRYPT_COST);
    update.passwordChangedAt = services.now();
  }

  let updated: PublicUser | undefined;
  try {
    updated = await updateUser(services.db, id, update);
  } catch (error) {
    // A concurrent sign-up can take the address between the check and the write; the unique index decides.
    if (isUniqueViolation(error)) throw emailTaken();
    throw error;
  }
  if (!updated) throw new AppError("not_found", "No such user.");
  if (changes.newPassword !== undefined) await revokeOtherSessions(services.db, id, principal.sessionId, "password_change");
  else if (update.email !== undefined) await revokeOtherSessions(services.db, id, principal.sessionId, "email_change");
  return updated;
}

/** Deletion cascades to everything the user owns, so it needs the current password too. */
export async function removeUser(services: Services, principal: Principal, id: string, currentPassword: string): Promise<void> {
  assertSelf(principal, id);
  const user = await findUserById(services.db, id);
  if (!user) throw new AppError("not_found", "No such user.");
  await checkCurrentPassword(services, id, user.passwordHash, currentPassword);
  if (!(await deleteUser(services.db, id))) throw new AppError("not_found", "No such user.");
}

function emailTaken() {
  return new AppError("conflict", "An account with this email already exists.", {
    fields: [{ path: "body.email", message: "already registered", code: "taken" }],
  });
}

function isUniqueViolation(error: unknown): boolean {
  for (let current: unknown = error; current; current = (current as { cause?: unknown }).cause) {
    if ((current as { code?: string }).code === "23505") return true;
  }
  return false;
}
