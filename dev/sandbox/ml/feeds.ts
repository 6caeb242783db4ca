import type { Hono } from "hono";
import { requireUser } from "./auth";
import type { MlContext } from "./context";
import { badRequest, forbidden } from "./errors";

// /missed_feeds lists notifications that were never acknowledged after every retry, for 2 days.
// It is scoped to the app and, in the sandbox, to the caller's own user so sellers stay isolated.

export function registerFeedRoutes(app: Hono, ctx: MlContext): void {
  app.get("/missed_feeds", (c) => {
    const caller = requireUser(ctx, c);
    if (caller instanceof Response) return caller;
    const appId = c.req.query("app_id");
    if (!appId) return badRequest(c, "app_id is required");
    if (appId !== ctx.config.appId) return forbidden(c);
    ctx.state.pruneMissedFeeds(ctx.clock.now());
    const topic = c.req.query("topic");
    const offset = Number(c.req.query("offset") ?? 0);
    const limit = Number(c.req.query("limit") ?? 10);
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1 || limit > 1000) return badRequest(c, "Invalid offset or limit");
    const rows = ctx.state.missedFeeds.filter((m) => m.user_id === caller && (topic === undefined || m.topic === topic));
    return c.json({
      messages: rows.slice(offset, offset + limit).map(({ failedAt: _failedAt, ...m }) => m),
      paging: { total: rows.length, offset, limit },
    });
  });
}
