import { z } from "@hono/zod-openapi";
import { Email, Name, Password, UserSchema } from "../users/users.schemas";

export const RegisterBody = z.object({ email: Email, password: Password, name: Name.optional() }).strict().openapi("Register");

export const REGISTER_ACCEPTED = {
  status: "accepted",
  detail: "Log in with this email and password. If the email already had an account, that account is unchanged.",
} as const;

export const RegisterAcceptedSchema = z.object({ status: z.literal(REGISTER_ACCEPTED.status), detail: z.string() }).openapi("RegisterAccepted");

/** Login does not re-check password rules: one answer for every wrong credential. */
export const LoginBody = z
  .object({ email: Email, password: z.string().min(1).max(1024) })
  .strict()
  .openapi("Login");

export const RefreshBody = z
  .object({ refreshToken: z.string().min(16).max(256) })
  .strict()
  .openapi("Refresh");

export const TokenPairSchema = z
  .object({
    tokenType: z.literal("Bearer"),
    accessToken: z.string(),
    expiresIn: z.number().int().openapi({ description: "Seconds until the access token expires" }),
    refreshToken: z.string().openapi({ description: "Single use: each refresh returns a new one" }),
    refreshTokenExpiresAt: z.string().datetime(),
  })
  .openapi("TokenPair");

export const AuthResultSchema = TokenPairSchema.extend({ user: UserSchema }).openapi("AuthResult");
