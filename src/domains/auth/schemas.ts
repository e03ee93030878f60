import { z } from "@hono/zod-openapi";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../../lib/password";
import { email, text } from "../../lib/validation";

/**
 * A password as given (no trim). zod counts UTF-16 units, the policy counts code points, so the
 * runtime bound here is loose (a code point is at most 2 units) and the policy in
 * src/lib/password.ts decides, with its own messages; the document states the policy's bounds
 * (JSON Schema lengths are code points, as the policy's are).
 */
const passwordString = (minLength: number, description: string) =>
  z
    .string()
    .min(1)
    .max(PASSWORD_MAX_LENGTH * 2)
    .openapi({
      format: "password",
      minLength,
      maxLength: PASSWORD_MAX_LENGTH,
      description,
      example: "correct horse battery staple",
    });

/** An existing password (login, current password). */
export const password = () => passwordString(1, "The account's password, exactly as set.");

/** A password being set: the policy's bounds, and no common passwords. */
export const newPassword = () =>
  passwordString(
    PASSWORD_MIN_LENGTH,
    `${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters (Unicode code points, counted after NFC normalisation); any characters; common passwords are refused.`,
  );

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
    password: newPassword(),
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
  .strictObject({ token: opaqueToken(), password: newPassword() })
  .openapi("ResetPasswordRequest");

export const TokenBody = z.strictObject({ token: opaqueToken() }).openapi("TokenRequest");

export const UpdateProfileBody = z
  .strictObject({ fullName: text({ max: 120 }).optional(), phone: phone().nullable().optional() })
  .refine((b) => b.fullName !== undefined || b.phone !== undefined, "Send fullName or phone")
  .openapi("UpdateProfileRequest");

export const ChangePasswordBody = z
  .strictObject({ currentPassword: password(), newPassword: newPassword() })
  .openapi("ChangePasswordRequest");

export const AcceptedSchema = z.object({ status: z.literal("accepted") }).openapi("Accepted");

export type UserView = z.infer<typeof UserSchema>;
export type TokenPair = z.infer<typeof TokenPairSchema>;
