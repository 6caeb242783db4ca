import type { Context } from "hono";
import type { MlContext } from "./context";
import type { AccessTokenRec } from "./types";

// ML wants the token in the Authorization header; the deprecated ?access_token= form is still
// accepted because older clients send it.
export function bearerToken(c: Context): string | undefined {
  const header = c.req.header("authorization");
  if (header) {
    const m = /^bearer\s+(.+)$/i.exec(header.trim());
    return m?.[1]?.trim();
  }
  return c.req.query("access_token") ?? undefined;
}

export function unauthorized(c: Context, missing: boolean): Response {
  return missing
    ? c.json({ message: "authorization value not present", error: "unauthorized", status: 401, cause: [] }, 401)
    : c.json({ message: "invalid_token", error: "not_found", status: 401, cause: [] }, 401);
}

export function lookupToken(ctx: MlContext, token: string): AccessTokenRec | undefined {
  const rec = ctx.state.accessTokens.get(token);
  if (!rec) return undefined;
  if (rec.expires <= ctx.clock.now()) return undefined;
  return rec;
}

/** The caller's user id, or the 401 ML would send. */
export function requireUser(ctx: MlContext, c: Context): number | Response {
  const token = bearerToken(c);
  if (!token) return unauthorized(c, true);
  const rec = lookupToken(ctx, token);
  if (!rec) return unauthorized(c, false);
  return rec.userId;
}

/** For public resources: no token is fine, a bad token is still a 401. */
export function optionalUser(ctx: MlContext, c: Context): number | undefined | Response {
  const token = bearerToken(c);
  if (!token) return undefined;
  const rec = lookupToken(ctx, token);
  if (!rec) return unauthorized(c, false);
  return rec.userId;
}

/** Cheap account key for fault rules; does not validate expiry so faults can target any token. */
export function accountOfRequest(ctx: MlContext, c: Context): string | undefined {
  const token = bearerToken(c);
  if (!token) return undefined;
  const rec = ctx.state.accessTokens.get(token);
  return rec ? String(rec.userId) : undefined;
}
