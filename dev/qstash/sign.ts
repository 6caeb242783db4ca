import { createHash, createHmac, randomBytes } from "node:crypto";

const SIGNATURE_LIFETIME_S = 300;

/**
 * The `Upstash-Signature` JWT: HS256 keyed with the signing key's UTF-8 bytes,
 * `sub` = the destination exactly as published (the Receiver compares it verbatim)
 * and `body` = base64url(SHA-256(raw body)).
 */
export function signDelivery(opts: { key: string; url: string; body: Uint8Array; nowMs?: number }): string {
  const now = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = b64url(
    JSON.stringify({
      iss: "Upstash",
      sub: opts.url,
      exp: now + SIGNATURE_LIFETIME_S,
      nbf: now,
      iat: now,
      jti: `jwt_${randomBytes(12).toString("base64url")}`,
      body: createHash("sha256").update(opts.body).digest("base64url"),
    }),
  );
  const signature = createHmac("sha256", opts.key).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
}

function b64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}
