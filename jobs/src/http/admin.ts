import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import { AppError } from "#core/errors";
import type { Producer } from "../queues/enqueue";
import { isRedisReady } from "../redis";
import { basicAuth } from "./basic-auth";
import { problemResponse } from "#core/http/problem";
import type { AppEnv } from "./types";

export const adminBasePath = "/admin/queues";

/** Bull Board over every catalog queue, behind basic auth (it can retry, promote and delete jobs). */
export function adminRoutes(deps: { producer: Producer; credentials: { username: string; password: string } }) {
  const serverAdapter = new HonoAdapter(serveStatic).setBasePath(adminBasePath);
  createBullBoard({
    queues: Object.values(deps.producer.queues).map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: "AutoEcom jobs" } },
  });
  return (
    new Hono<AppEnv>()
      .use("*", basicAuth(deps.credentials, "AutoEcom jobs"))
      // BullMQ waits for a Redis that never connected instead of failing; don't hang the board.
      .use("/api/*", async (c, next) => {
        if (!isRedisReady(deps.producer.connection)) {
          return problemResponse(c, new AppError("unavailable", "Redis is unavailable.", { retryAfterSeconds: 5 }));
        }
        await next();
      })
      .route("/", serverAdapter.registerPlugin())
  );
}
