import { Hono } from "hono";
import { mountCommonControl, type CallCounters } from "../common";
import { registerClaimRoutes } from "./claims";
import type { MlContext } from "./context";
import { registerMlControl, type MlControlHooks } from "./control";
import { registerFeedRoutes } from "./feeds";
import { registerItemRoutes } from "./items";
import { registerOAuthRoutes } from "./oauth";
import { registerOrderRoutes } from "./orders";
import { registerQuestionRoutes } from "./questions";
import { registerShipmentRoutes } from "./shipments";
import { registerUserProductRoutes } from "./user-products";
import { registerUserRoutes } from "./users";

export function buildMlApp(ctx: MlContext, counters: CallCounters, hooks: MlControlHooks): Hono {
  const app = new Hono();
  // Counters first so calls answered by the rate limit or injected faults are counted as the client made them.
  app.use("*", counters.middleware);
  app.use("*", ctx.rateLimit.middleware);
  app.use("*", ctx.faults.middleware);

  mountCommonControl(app, { faults: ctx.faults, counters, webhooks: ctx.webhooks, clock: ctx.clock });
  registerMlControl(app, ctx, hooks);

  registerOAuthRoutes(app, ctx);
  registerUserRoutes(app, ctx);
  registerItemRoutes(app, ctx);
  registerUserProductRoutes(app, ctx);
  registerOrderRoutes(app, ctx);
  registerShipmentRoutes(app, ctx);
  registerQuestionRoutes(app, ctx);
  registerClaimRoutes(app, ctx);
  registerFeedRoutes(app, ctx);

  app.notFound((c) => c.json({ message: `Resource ${c.req.path} not found.`, error: "not_found", status: 404, cause: [] }, 404));
  app.onError((err, c) => {
    console.error("[ml-sandbox] unhandled error:", err);
    return c.json({ message: "Internal server error", error: "internal_error", status: 500, cause: [] }, 500);
  });
  return app;
}
