import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, jsonBody, jsonResponse, problem } from "../../lib/openapi";
import { requireAuth } from "../../middleware/auth";
import { UpdateUserBody, UserIdParams, UserSchema } from "./users.schemas";

const tags = ["users"];
const shared = {
  tags,
  security: [{ bearerAuth: [] }],
  middleware: requireAuth,
};
const ownership = {
  403: problem("Not your account"),
  404: problem("No such user"),
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
  description: "Changing email or password requires currentPassword. A password change ends every other session.",
  request: { params: UserIdParams, body: jsonBody(UpdateUserBody) },
  responses: { 200: jsonResponse(UserSchema, "The updated user"), ...ownership, 409: problem("Email already registered"), ...authErrorResponses },
});

export const deleteUserRoute = createRoute({
  ...shared,
  method: "delete",
  path: "/users/{id}",
  summary: "Delete your account and everything it owns",
  request: { params: UserIdParams },
  responses: { 204: { description: "Deleted; every session is revoked" }, ...ownership, ...authErrorResponses },
});
