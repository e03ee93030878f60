import { z } from "@hono/zod-openapi";
import { errorSeverities, userRoles, userStatuses } from "../../db/schema";
import { paginatedSchema, paginationQuery } from "../../lib/pagination";
import { UserSchema } from "../auth/schemas";

const isoDate = () => z.iso.datetime({ offset: true });

export const UserListQuery = paginationQuery.extend({
  role: z.enum(userRoles).optional(),
  status: z.enum(userStatuses).optional(),
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: "Search in name and email" }),
});
export const UserPage = paginatedSchema(UserSchema, "UserPage", { offset: true });

export const UserIdParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

export const UpdateUserStatusBody = z
  .strictObject({ status: z.enum(userStatuses) })
  .openapi("UpdateUserStatusRequest");

export const AuditLogSchema = z
  .object({
    id: z.number().int(),
    occurredAt: z.string(),
    actorId: z.string().nullable(),
    actorRole: z.string().nullable(),
    action: z.string(),
    entityType: z.string(),
    entityId: z.string().nullable(),
    before: z.unknown().nullable(),
    after: z.unknown().nullable(),
    requestId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
  })
  .openapi("AuditLog");

export const AuditLogQuery = paginationQuery.extend({
  actorId: z.uuid().optional(),
  action: z.string().trim().max(100).optional(),
  entityType: z.string().trim().max(100).optional(),
  entityId: z.string().trim().max(200).optional(),
  from: isoDate().optional(),
  to: isoDate().optional(),
});
export const AuditLogPage = paginatedSchema(AuditLogSchema, "AuditLogPage", { offset: true });

export const AuditVerifySchema = z
  .object({
    ok: z.boolean(),
    problem: z.string().nullable().openapi({
      description: "altered | deleted | inserted out of order | checkpoint chain broken",
    }),
    firstBadId: z.number().int().nullable(),
    checkedRows: z.number().int(),
    checkpoints: z.number().int(),
  })
  .openapi("AuditVerification");

export const ErrorLogSchema = z
  .object({
    id: z.number().int(),
    occurredAt: z.string(),
    severity: z.enum(errorSeverities),
    code: z.string(),
    status: z.number().int(),
    message: z.string(),
    stack: z.string().nullable(),
    route: z.string().nullable(),
    method: z.string().nullable(),
    path: z.string().nullable(),
    requestId: z.string().nullable(),
    userId: z.string().nullable(),
    userAgent: z.string().nullable(),
  })
  .openapi("ErrorLog");

export const ErrorLogQuery = paginationQuery.extend({
  severity: z.enum(errorSeverities).optional(),
  code: z.string().trim().max(64).optional(),
  from: isoDate().optional(),
  to: isoDate().optional(),
});
export const ErrorLogPage = paginatedSchema(ErrorLogSchema, "ErrorLogPage", { offset: true });

export const ErrorLogStatsQuery = z.object({
  from: isoDate().optional().openapi({ description: "Default: 24 hours ago" }),
  to: isoDate().optional().openapi({ description: "Default: now" }),
});

export const ErrorLogStatsSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    total: z.number().int(),
    byCode: z.array(z.object({ code: z.string(), count: z.number().int() })),
    bySeverity: z.array(z.object({ severity: z.string(), count: z.number().int() })),
  })
  .openapi("ErrorLogStats");
