import { z } from "@hono/zod-openapi";
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_LENGTH, passwordTooLong } from "#core/auth/passwords";
import type { PublicUser } from "#db/queries/users";
import { text } from "../text.schemas";

export const Email = z.string().trim().toLowerCase().max(254).email("must be a valid email address").openapi({ example: "seller@example.com" });

export const Password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .refine((value) => !passwordTooLong(value), `must be at most ${PASSWORD_MAX_BYTES} bytes in UTF-8`)
  .openapi({ example: "correct horse battery staple" });

export const Name = text().trim().min(1).max(120);

export const UserSchema = z
  .object({
    id: z.string().uuid(),
    email: z.string(),
    name: z.string().nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi("User");

export type UserDto = z.infer<typeof UserSchema>;

export function toUserDto(user: PublicUser): UserDto {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

export const UserIdParams = z.object({
  id: z
    .string()
    .uuid("must be a UUID")
    .openapi({ param: { name: "id", in: "path" } }),
});

const CurrentPassword = z.string().max(1024);

export const DeleteUserBody = z
  .object({ currentPassword: CurrentPassword.min(1) })
  .strict()
  .openapi("DeleteUser");

export const UpdateUserBody = z
  .object({
    name: Name.nullable().optional(),
    email: Email.optional(),
    currentPassword: CurrentPassword.optional(),
    newPassword: Password.optional(),
  })
  .strict()
  .refine((body) => Object.values(body).some((value) => value !== undefined), "at least one field must be given")
  .openapi("UpdateUser");
