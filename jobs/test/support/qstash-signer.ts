import { createHash, randomBytes } from "node:crypto";
import { SignJWT } from "jose";

/**
 * Signs a delivery the way QStash does (local-stack.md §1.5): an HS256 JWT keyed with the
 * signing key string, iss "Upstash", sub = destination URL as published, body = base64url
 * SHA-256 of the raw body. Tests use it to act as QStash, including a misbehaving one.
 */
export interface SignOptions {
  key: string;
  url: string;
  body: string;
  /** Unix seconds; defaults to now. */
  issuedAt?: number;
  /** Seconds the token lives; QStash uses 5 minutes. */
  lifetimeSeconds?: number;
}

export async function signDelivery(options: SignOptions): Promise<string> {
  const iat = options.issuedAt ?? Math.floor(Date.now() / 1000);
  const bodyHash = createHash("sha256").update(options.body).digest("base64url");
  return new SignJWT({ body: bodyHash })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("Upstash")
    .setSubject(options.url)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + (options.lifetimeSeconds ?? 300))
    .setJti(`jwt_${randomBytes(8).toString("hex")}`)
    .sign(new TextEncoder().encode(options.key));
}
