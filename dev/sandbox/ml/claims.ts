import type { Hono } from "hono";
import { requireUser } from "./auth";
import type { MlContext } from "./context";
import { mlError } from "./errors";
import { renderClaim } from "./render";
import type { ClaimRec } from "./types";

// Claims live under /post-purchase/v1. Search insists on at least one real filter and on paired
// filters (players.role + players.user_id, resource + resource_id), as ML does.

const FILTERS = ["id", "status", "stage", "type", "reason_id", "resource_id", "players.user_id", "site_id"];

export function registerClaimRoutes(app: Hono, ctx: MlContext): void {
  app.get("/post-purchase/v1/claims/search", (c) => {
    const caller = requireUser(ctx, c);
    if (caller instanceof Response) return caller;
    const q = c.req.query();
    if ((q["players.role"] === undefined) !== (q["players.user_id"] === undefined)) {
      return c.json({ error: "invalid_params", message: "players.role and players.user_id must be sent together", status: 400, cause: [] }, 400);
    }
    if ((q.resource === undefined) !== (q.resource_id === undefined)) {
      return c.json({ error: "invalid_params", message: "resource and resource_id must be sent together", status: 400, cause: [] }, 400);
    }
    if (!FILTERS.some((f) => q[f] !== undefined)) {
      return c.json({ error: "invalid_query", message: `at least any of these filters: ${FILTERS.join(", ")}`, status: 400, cause: [] }, 400);
    }
    const limit = q.limit === undefined ? 30 : Number(q.limit);
    const offset = q.offset === undefined ? 0 : Number(q.offset);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return c.json({ error: "invalid_params", message: "limit must be between 1 and 100", status: 400, cause: [] }, 400);
    if (!Number.isInteger(offset) || offset < 0 || offset > 9999) return c.json({ error: "invalid_params", message: "offset must be between 0 and 9999", status: 400, cause: [] }, 400);
    const playerId = q["players.user_id"] !== undefined ? Number(q["players.user_id"]) : undefined;
    const role = q["players.role"];
    const rows: ClaimRec[] = [];
    for (const x of ctx.state.claims.values()) {
      // A caller only ever sees claims it takes part in.
      if (x.sellerId !== caller && x.buyerId !== caller) continue;
      if (q.id !== undefined && String(x.id) !== q.id) continue;
      if (q.status !== undefined && x.status !== q.status) continue;
      if (q.stage !== undefined && x.stage !== q.stage) continue;
      if (q.type !== undefined && x.type !== q.type) continue;
      if (q.reason_id !== undefined && x.reasonId !== q.reason_id) continue;
      if (q.resource_id !== undefined && String(x.orderId) !== q.resource_id) continue;
      if (playerId !== undefined) {
        const asRespondent = x.sellerId === playerId;
        const asComplainant = x.buyerId === playerId;
        if (role === "respondent" ? !asRespondent : role === "complainant" ? !asComplainant : !(asRespondent || asComplainant)) continue;
      }
      rows.push(x);
    }
    rows.sort((a, b) => b.created - a.created);
    return c.json({ paging: { total: rows.length, offset, limit }, data: rows.slice(offset, offset + limit).map(renderClaim) });
  });

  app.get("/post-purchase/v1/claims/:id{[0-9]+}", (c) => {
    const caller = requireUser(ctx, c);
    if (caller instanceof Response) return caller;
    const x = ctx.state.claims.get(Number(c.req.param("id")));
    if (!x) return mlError(c, 404, "not_found", `Claim ${c.req.param("id")} not found`);
    if (x.sellerId !== caller && x.buyerId !== caller) return mlError(c, 403, "forbidden", "The caller is not a player of this claim");
    return c.json(renderClaim(x));
  });
}
