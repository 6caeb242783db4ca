import { clientInfo } from "../../lib/client-info";
import { createRouter } from "../../lib/router";
import { login, logout, refresh, register } from "../../services/auth";
import { toUserDto } from "../users/users.schemas";
import { loginRoute, logoutRoute, meRoute, refreshRoute, registerRoute } from "./auth.routes";
import { REGISTER_ACCEPTED } from "./auth.schemas";

export const authRouter = createRouter()
  .openapi(registerRoute, async (c) => {
    await register(c.get("services"), c.req.valid("json"), clientInfo(c));
    return c.json(REGISTER_ACCEPTED, 202);
  })
  .openapi(loginRoute, async (c) => {
    const result = await login(c.get("services"), c.req.valid("json"), clientInfo(c));
    return c.json({ ...result, user: toUserDto(result.user) }, 200);
  })
  .openapi(refreshRoute, async (c) => {
    return c.json(await refresh(c.get("services"), c.req.valid("json").refreshToken), 200);
  })
  .openapi(logoutRoute, async (c) => {
    await logout(c.get("services"), c.get("principal").sessionId);
    return c.body(null, 204);
  })
  .openapi(meRoute, async (c) => {
    return c.json(toUserDto(c.get("currentUser")), 200);
  });
