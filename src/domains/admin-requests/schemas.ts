import { z } from "@hono/zod-openapi";
import { adminRequestStatuses } from "../../db/schema";
import { text } from "../../lib/validation";
import { opaqueToken, phone } from "../auth/schemas";

export const AdminRequestSchema = z
  .object({
    id: z.uuid(),
    userId: z.uuid(),
    phone: z.string(),
    reason: z.string(),
    status: z.enum(adminRequestStatuses),
    verifiedAt: z.iso.datetime().nullable(),
    decidedAt: z.iso.datetime().nullable(),
    decidedBy: z.uuid().nullable(),
    decisionReason: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .openapi("AdminRequest");

export const SubmitAdminRequestBody = z
  .strictObject({ phone: phone(), reason: text({ min: 10, max: 1000 }) })
  .openapi("SubmitAdminRequest");

export const VerifyAdminRequestBody = z.strictObject({ token: opaqueToken() });

export const RejectAdminRequestBody = z
  .strictObject({ reason: text({ min: 3, max: 1000 }) })
  .openapi("RejectAdminRequest");

export const AdminRequestIdParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

export type AdminRequestView = z.infer<typeof AdminRequestSchema>;
