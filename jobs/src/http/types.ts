import type { RequestIdVariables } from "hono/request-id";

export type AppEnv = { Variables: RequestIdVariables };
