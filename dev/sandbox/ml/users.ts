import type { Hono } from "hono";
import { optionalUser, requireUser } from "./auth";
import type { MlContext } from "./context";
import { notFound } from "./errors";
import { renderPrivateUser, renderPublicUser } from "./render";

export function registerUserRoutes(app: Hono, ctx: MlContext): void {
  app.get("/users/me", (c) => {
    const userId = requireUser(ctx, c);
    if (userId instanceof Response) return userId;
    const user = ctx.state.users.get(userId);
    if (!user) return notFound(c, "User not found");
    return c.json(renderPrivateUser(user));
  });

  app.get("/users/:id{[0-9]+}", (c) => {
    const caller = optionalUser(ctx, c);
    if (caller instanceof Response) return caller;
    const user = ctx.state.users.get(Number(c.req.param("id")));
    if (!user) return notFound(c, "User not found");
    return c.json(caller === user.id ? renderPrivateUser(user) : renderPublicUser(user));
  });
}
