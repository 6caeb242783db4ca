import bcrypt from "bcryptjs";
import { randomToken, utf8Length } from "../crypto";

/** bcrypt reads only the first 72 bytes: longer passwords are refused rather than silently truncated. */
export const PASSWORD_MAX_BYTES = 72;
export const PASSWORD_MIN_LENGTH = 8;
export const BCRYPT_MIN_COST = 10;

export function passwordTooLong(password: string): boolean {
  return utf8Length(password) > PASSWORD_MAX_BYTES;
}

export async function hashPassword(password: string, cost: number): Promise<string> {
  if (passwordTooLong(password)) throw new RangeError("password longer than 72 bytes");
  return bcrypt.hash(password, Math.max(cost, BCRYPT_MIN_COST));
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (passwordTooLong(password)) return Promise.resolve(false);
  return bcrypt.compare(password, hash);
}

const timingDecoys = new Map<number, Promise<string>>();

/**
 * A real bcrypt hash (of a random string) to compare against when the email is unknown, so an
 * attacker cannot tell unknown emails from wrong passwords by timing. It must cost what the
 * stored hashes cost, so it is made at the configured cost, once per process (isolate) and cost.
 */
export function timingDecoyHash(cost: number): Promise<string> {
  const effective = Math.max(cost, BCRYPT_MIN_COST);
  let decoy = timingDecoys.get(effective);
  if (!decoy) {
    decoy = bcrypt.hash(randomToken(16), effective);
    timingDecoys.set(effective, decoy);
  }
  return decoy;
}
