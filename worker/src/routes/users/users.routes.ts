import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, jsonBody, jsonResponse, problem } from "../../lib/openapi";
import { requireAuth } from "../../middleware/auth";
import { DeleteUserBody, UpdateUserBody, UserIdParams, UserSchema } from "./users.schemas";

const tags = ["users"];
const shared = {
  tags,
  security: [{ bearerAuth: [] }],
  middleware: requireAuth,
};
const ownership = {
  404: problem("No such user (also for another user's account)"),
};
const stepUp = {
  403: problem("The current password is incorrect"),
  429: problem("Too many password checks for this user; see Retry-After"),
};

export const getUserRoute = createRoute({
  ...shared,
  method: "get",
  path: "/users/{id}",
  summary: "Read your own account",
  request: { params: UserIdParams },
  responses: { 200: jsonResponse(UserSchema, "The user"), ...ownership, ...authErrorResponses },
});

export const updateUserRoute = createRoute({
  ...shared,
  method: "put",
  path: "/users/{id}",
  summary: "Change name, email or password",
  description: "Changing email or password requires currentPassword; every check of it counts against PASSWORD_CHECK_RATE_LIMIT. " + "A password or email change ends every other session of the user.",
  request: { params: UserIdParams, body: jsonBody(UpdateUserBody) },
  responses: {
    200: jsonResponse(UserSchema, "The updated user"),
    ...ownership,
    ...stepUp,
    409: problem("Email already registered (password checks are rate-limited, so this cannot be used to list customers)"),
    ...authErrorResponses,
  },
});

export const deleteUserRoute = createRoute({
  ...shared,
  method: "delete",
  path: "/users/{id}",
  summary: "Delete your account and everything it owns",
  description: "Requires currentPassword in the body; every check of it counts against PASSWORD_CHECK_RATE_LIMIT.",
  request: { params: UserIdParams, body: jsonBody(DeleteUserBody) },
  responses: { 204: { description: "Deleted; every session is revoked" }, ...ownership, ...stepUp, ...authErrorResponses },
});
