import { hashPassword, verifyPassword } from "../../../core/auth/passwords";
import { AppError } from "../../../core/errors";
import { revokeOtherSessions } from "../../../db/queries/sessions";
import { deleteUser, findUserByEmail, findUserById, updateUser, type PublicUser } from "../../../db/queries/users";
import type { Principal } from "../lib/types";
import type { Services } from ".";

/** Only the user themself: 403 for someone else's existing account, 404 when there is none. */
async function assertSelf(services: Services, principal: Principal, id: string): Promise<void> {
  if (principal.userId === id) return;
  const other = await findUserById(services.db, id);
  if (other) throw new AppError("forbidden", "You can only access your own account.");
  throw new AppError("not_found", "No such user.");
}

export async function getUser(services: Services, principal: Principal, id: string): Promise<PublicUser> {
  await assertSelf(services, principal, id);
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
 * Email and password changes need the current password: a stolen access token alone
 * must not be enough to take the account over. A password change ends every other session.
 */
export async function changeUser(services: Services, principal: Principal, id: string, changes: UserChanges): Promise<PublicUser> {
  await assertSelf(services, principal, id);
  const user = await findUserById(services.db, id);
  if (!user) throw new AppError("not_found", "No such user.");

  const sensitive = (changes.email !== undefined && changes.email !== user.email) || changes.newPassword !== undefined;
  if (sensitive) {
    if (!changes.currentPassword) {
      throw new AppError("validation_failed", "The current password is required to change email or password.", {
        fields: [{ path: "body.currentPassword", message: "required to change email or password", code: "required" }],
      });
    }
    if (!(await verifyPassword(changes.currentPassword, user.passwordHash))) {
      throw new AppError("forbidden", "The current password is incorrect.", {
        fields: [{ path: "body.currentPassword", message: "incorrect", code: "incorrect" }],
      });
    }
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
  return updated;
}

export async function removeUser(services: Services, principal: Principal, id: string): Promise<void> {
  await assertSelf(services, principal, id);
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
