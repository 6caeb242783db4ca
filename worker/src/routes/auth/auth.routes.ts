import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, errorResponses, jsonBody, jsonResponse, problem } from "../../lib/openapi";
import { requireAuth } from "../../middleware/auth";
import { UserSchema } from "../users/users.schemas";
import { AuthResultSchema, LoginBody, RefreshBody, RegisterAcceptedSchema, RegisterBody, TokenPairSchema } from "./auth.schemas";

const tags = ["auth"];
const rateLimited = problem("Too many attempts; see Retry-After");
const unavailable = problem("The rate limiter cannot be reached; see Retry-After");

export const registerRoute = createRoute({
  method: "post",
  path: "/auth/register",
  tags,
  summary: "Create an account",
  description:
    "Answers 202 with the same body whether or not the email already has an account, so sign-up cannot tell who is a customer. " +
    "A new email gets its account; a taken one is left unchanged. The client logs in next (POST /auth/login) with the same email and " +
    "password: that succeeds for a new account, and gives the one 401 of every wrong credential otherwise.",
  request: { body: jsonBody(RegisterBody) },
  responses: {
    202: jsonResponse(RegisterAcceptedSchema, "Accepted: log in next"),
    429: rateLimited,
    503: unavailable,
    ...errorResponses,
  },
});

export const loginRoute = createRoute({
  method: "post",
  path: "/auth/login",
  tags,
  summary: "Log in with email and password",
  description:
    "Only failed attempts count against the limits: per client address, per (email, address) and per email " +
    "(LOGIN_RATE_LIMIT_*), so someone else's failures never lock the owner out from their own address.",
  request: { body: jsonBody(LoginBody) },
  responses: {
    200: jsonResponse(AuthResultSchema, "Logged in"),
    401: problem("Email or password is incorrect (one answer for both)"),
    429: rateLimited,
    503: unavailable,
    ...errorResponses,
  },
});

export const refreshRoute = createRoute({
  method: "post",
  path: "/auth/refresh",
  tags,
  summary: "Rotate a refresh token for a new token pair",
  description: "Each refresh token works once. Reusing a rotated one revokes its whole session.",
  request: { body: jsonBody(RefreshBody) },
  responses: {
    200: jsonResponse(TokenPairSchema, "New token pair"),
    401: problem("Invalid, expired or reused refresh token"),
    ...errorResponses,
  },
});

export const logoutRoute = createRoute({
  method: "post",
  path: "/auth/logout",
  tags,
  summary: "End the current session",
  security: [{ bearerAuth: [] }],
  middleware: requireAuth,
  responses: { 204: { description: "Session ended" }, ...authErrorResponses },
});

export const meRoute = createRoute({
  method: "get",
  path: "/auth/me",
  tags,
  summary: "The logged-in user",
  security: [{ bearerAuth: [] }],
  middleware: requireAuth,
  responses: { 200: jsonResponse(UserSchema, "The current user"), ...authErrorResponses },
});
