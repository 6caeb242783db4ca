import { createMiddleware } from "hono/factory";
import { verifyAccessToken } from "../../../core/auth/access-token";
import { AppError } from "../../../core/errors";
import { findActiveSessionUser } from "../../../db/queries/sessions";
import type { AppEnv } from "../lib/types";
import { accessTokenConfig } from "../services/tokens";

/**
 * Verifies the bearer token, then checks in one query that its session is still live, so
 * logout, password change, refresh-token reuse and account deletion take effect at once.
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
  const user = await findActiveSessionUser(db, result.claims.userId, result.claims.sessionId);
  if (!user) throw new AppError("unauthorized", "The session has ended; log in again.");
  c.set("principal", result.claims);
  c.set("currentUser", user);
  await next();
});
