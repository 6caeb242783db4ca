import { SignJWT, errors as joseErrors, jwtVerify } from "jose";

export interface AccessTokenConfig {
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface AccessClaims {
  userId: string;
  sessionId: string;
}

const keyCache = new Map<string, Uint8Array>();
function keyFor(secret: string): Uint8Array {
  let key = keyCache.get(secret);
  if (!key) {
    key = new TextEncoder().encode(secret);
    keyCache.set(secret, key);
  }
  return key;
}

export async function signAccessToken(config: AccessTokenConfig, claims: AccessClaims, now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  return new SignJWT({ sid: claims.sessionId })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.userId)
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + config.ttlSeconds)
    .sign(keyFor(config.secret));
}

export type AccessTokenFailure = "expired" | "invalid";

/**
 * The algorithm is pinned to HS256: tokens with `alg: none` or any other algorithm are
 * rejected before their signature is even considered.
 */
export async function verifyAccessToken(config: AccessTokenConfig, token: string): Promise<{ ok: true; claims: AccessClaims } | { ok: false; reason: AccessTokenFailure }> {
  try {
    const { payload } = await jwtVerify(token, keyFor(config.secret), {
      algorithms: ["HS256"],
      issuer: config.issuer,
      audience: config.audience,
      requiredClaims: ["sub", "exp", "iat"],
    });
    if (typeof payload.sub !== "string" || typeof payload.sid !== "string") return { ok: false, reason: "invalid" };
    return { ok: true, claims: { userId: payload.sub, sessionId: payload.sid } };
  } catch (error) {
    return { ok: false, reason: error instanceof joseErrors.JWTExpired ? "expired" : "invalid" };
  }
}
