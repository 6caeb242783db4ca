import { createMiddleware } from "hono/factory";
import { readConfig } from "../env";
import type { AppEnv } from "../lib/types";
import { buildServices } from "../services";

export const initServices = createMiddleware<AppEnv>(async (c, next) => {
  c.set("services", buildServices(readConfig(c.env), c.get("requestId")));
  await next();
});
