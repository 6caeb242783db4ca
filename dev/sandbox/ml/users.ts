import type { Hono } from "hono";
import { optionalUser, requireUser } from "./auth";
import type { MlContext } from "./context";
import { badRequest, notFound } from "./errors";
import { renderPrivateUser, renderPublicUser } from "./render";

export function registerUserRoutes(app: Hono, ctx: MlContext): void {
  app.get("/users/me", (c) => {
    const userId = requireUser(ctx, c);
    if (userId instanceof Response) return userId;
    const user = ctx.state.users.get(userId);
    if (!user) return notFound(c, "User not found");
    return c.json(renderPrivateUser(user));
  });

  // mercadolibre-api.md §11: an app creates test users, each a fresh seller. ML caps them at 10 per
  // account; the sandbox does not, so every test can have sellers of its own.
  app.post("/users/test_user", async (c) => {
    const caller = requireUser(ctx, c);
    if (caller instanceof Response) return caller;
    const body = (await c.req.json().catch(() => null)) as { site_id?: unknown } | null;
    if (typeof body?.site_id !== "string" || !/^M[A-Z]{2}$/.test(body.site_id)) return badRequest(c, "site_id is required", "invalid_site_id");
    const user = ctx.state.addTestUser(ctx.clock.now());
    ctx.state.onChange();
    return c.json({ id: user.id, nickname: user.nickname, password: `qatest${user.id % 1000}`, site_status: "active" }, 201);
  });

  app.get("/users/:id{[0-9]+}", (c) => {
    const caller = optionalUser(ctx, c);
    if (caller instanceof Response) return caller;
    const user = ctx.state.users.get(Number(c.req.param("id")));
    if (!user) return notFound(c, "User not found");
    return c.json(caller === user.id ? renderPrivateUser(user) : renderPublicUser(user));
  });
}
