import { createMiddleware } from "hono/factory";
import { verifyAccessToken } from "#core/auth/access-token";
import { AppError } from "#core/errors";
import { findActiveSessionUser } from "#db/queries/sessions";
import type { AppEnv } from "../lib/types";
import { accessTokenConfig } from "../services/tokens";
import { limitUserRequests } from "./rate-limit";

/**
 * Verifies the bearer token, then checks in one query that its session is still live, so
 * logout, password change, refresh-token reuse and account deletion take effect at once.
 * The request also counts against its user's rate limits.
 */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new AppError("unauthorized", "A bearer access token is required.");
  const { config, db } = c.get("services");
  const result = await verifyAccessToken(accessTokenConfig(config), match[1]!);
  if (!result.ok) {
    throw new AppError("unauthorized", result.reason === "expired" ? "The access token has expired." : "The access token is invalid.");
  }
  c.set("principal", result.claims);
  // The signed claims name the user, so the rate limit's round trip to Upstash runs beside the
  // session query instead of after it; an ended session still answers 401 first.
  const [session, limit] = await Promise.allSettled([findActiveSessionUser(db, result.claims.userId, result.claims.sessionId), limitUserRequests(c)]);
  if (session.status === "rejected") throw session.reason;
  if (!session.value) throw new AppError("unauthorized", "The session has ended; log in again.");
  if (limit.status === "rejected") throw limit.reason;
  c.set("currentUser", session.value);
  await next();
});
