import { eq } from "drizzle-orm";
import type { Database } from "../database";
import { users, type User } from "../schema";

export type PublicUser = Pick<User, "id" | "email" | "name" | "createdAt" | "updatedAt">;

export const publicUserColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
};

export async function findUserByEmail(db: Database, email: string): Promise<User | undefined> {
  const [row] = await db.select().from(users).where(eq(users.email, email)).limit(1);
  return row;
}

export async function findUserById(db: Database, id: string): Promise<User | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row;
}

/** Returns undefined when the email is taken; the unique index decides, so concurrent sign-ups cannot both win. */
export async function insertUser(db: Database, values: { email: string; name: string | null; passwordHash: string }): Promise<PublicUser | undefined> {
  const [row] = await db.insert(users).values(values).onConflictDoNothing({ target: users.email }).returning(publicUserColumns);
  return row;
}

export async function updateUser(db: Database, id: string, changes: Partial<{ email: string; name: string | null; passwordHash: string; passwordChangedAt: Date }>): Promise<PublicUser | undefined> {
  const [row] = await db
    .update(users)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(users.id, id))
    .returning(publicUserColumns);
  return row;
}

/** Sessions, refresh tokens and everything else a user owns go with them (ON DELETE CASCADE). */
export async function deleteUser(db: Database, id: string): Promise<boolean> {
  const rows = await db.delete(users).where(eq(users.id, id)).returning({ id: users.id });
  return rows.length > 0;
}
