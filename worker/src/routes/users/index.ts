import { createRouter } from "../../lib/router";
import { changeUser, getUser, removeUser } from "../../services/users";
import { deleteUserRoute, getUserRoute, updateUserRoute } from "./users.routes";
import { toUserDto } from "./users.schemas";

export const usersRouter = createRouter()
  .openapi(getUserRoute, async (c) => {
    const user = await getUser(c.get("services"), c.get("principal"), c.req.valid("param").id);
    return c.json(toUserDto(user), 200);
  })
  .openapi(updateUserRoute, async (c) => {
    const user = await changeUser(c.get("services"), c.get("principal"), c.req.valid("param").id, c.req.valid("json"));
    return c.json(toUserDto(user), 200);
  })
  .openapi(deleteUserRoute, async (c) => {
    await removeUser(c.get("services"), c.get("principal"), c.req.valid("param").id, c.req.valid("json").currentPassword);
    return c.body(null, 204);
  });
