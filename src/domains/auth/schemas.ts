import { z } from "@hono/zod-openapi";
import { PASSWORD_MAX_LENGTH } from "../../lib/password";
import { email, text } from "../../lib/validation";

/** Length is checked by the password policy (code points, exact as given): no trim here. */
export const password = () =>
  z
    .string()
    .min(1)
    .max(PASSWORD_MAX_LENGTH * 4)
    .openapi({ format: "password", example: "correct horse battery staple" });

export const phone = () => z.string().trim().min(6).max(24).openapi({ example: "+919876543210" });

export const opaqueToken = () => z.string().trim().min(16).max(256);

export const UserSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    fullName: z.string(),
    phone: z.string().nullable(),
    role: z.enum(["student", "admin", "super_admin"]),
    status: z.enum(["active", "disabled"]),
    emailVerified: z.boolean(),
    createdAt: z.iso.datetime(),
    lastActiveAt: z.iso.datetime().nullable(),
  })
  .openapi("User");

export const TokenPairSchema = z
  .object({
    tokenType: z.literal("Bearer"),
    accessToken: z.string(),
    expiresIn: z.number().int().openapi({ description: "Access token lifetime in seconds" }),
    refreshToken: z.string().openapi({ description: "Opaque; rotated on every use" }),
  })
  .openapi("TokenPair");

export const SignupBody = z
  .strictObject({
    email: email(),
    password: password(),
    fullName: text({ max: 120 }),
    phone: phone().optional(),
  })
  .openapi("SignupRequest");

export const SignupResponse = z
  .object({ user: UserSchema, tokens: TokenPairSchema })
  .openapi("SignupResponse");

export const LoginBody = z
  .strictObject({ email: email(), password: password() })
  .openapi("LoginRequest");

export const RefreshBody = z
  .strictObject({ refreshToken: opaqueToken() })
  .openapi("RefreshRequest");

export const ForgotPasswordBody = z
  .strictObject({ email: email() })
  .openapi("ForgotPasswordRequest");

export const ResetPasswordBody = z
  .strictObject({ token: opaqueToken(), password: password() })
  .openapi("ResetPasswordRequest");

export const TokenBody = z.strictObject({ token: opaqueToken() }).openapi("TokenRequest");

export const UpdateProfileBody = z
  .strictObject({ fullName: text({ max: 120 }).optional(), phone: phone().nullable().optional() })
  .refine((b) => b.fullName !== undefined || b.phone !== undefined, "Send fullName or phone")
  .openapi("UpdateProfileRequest");

export const ChangePasswordBody = z
  .strictObject({ currentPassword: password(), newPassword: password() })
  .openapi("ChangePasswordRequest");

export const AcceptedSchema = z.object({ status: z.literal("accepted") }).openapi("Accepted");

export type UserView = z.infer<typeof UserSchema>;
export type TokenPair = z.infer<typeof TokenPairSchema>;
