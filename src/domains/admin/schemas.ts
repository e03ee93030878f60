import { z } from "@hono/zod-openapi";
import { errorSeverities, userRoles, userStatuses } from "../../db/schema";
import { paginatedSchema, paginationQuery } from "../../lib/pagination";
import { filterText, instant, text } from "../../lib/validation";
import { UserSchema } from "../auth/schemas";

const isoDate = () => instant();

export const UserListQuery = paginationQuery.extend({
  role: z.enum(userRoles).optional(),
  status: z.enum(userStatuses).optional(),
  q: text({ max: 100 }).optional().openapi({ description: "Search in name and email" }),
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
  email: z.string().trim().toLowerCase().min(3).max(254).optional().openapi({
    description:
      "Rows about this email address (failed logins store a keyed hash of the typed email, not the email)",
  }),
  actorId: z.uuid().optional(),
  action: filterText(100).optional(),
  entityType: filterText(100).optional(),
  entityId: filterText(200).optional(),
  from: isoDate().optional(),
  to: isoDate().optional(),
});
export const AuditLogPage = paginatedSchema(AuditLogSchema, "AuditLogPage", { offset: true });

export const AuditVerifyQuery = z.object({
  full: z.enum(["true", "false"]).optional().openapi({
    description:
      "true: recheck every row from the first one. Default: incremental, from the last checkpoint a previous run accepted",
  }),
});

export const AuditVerifySchema = z
  .object({
    ok: z.boolean(),
    problem: z
      .enum([
        "altered",
        "deleted",
        "inserted out of order",
        "checkpoint chain broken",
        "verified checkpoint missing",
        "verified checkpoint altered",
        "anchor invalid",
        "anchored checkpoint missing",
        "anchor mismatch",
        "not anchored",
      ])
      .nullable(),
    firstBadId: z.number().int().nullable().openapi({
      description:
        "The first altered or missing row; for an anchor mismatch, the first row of the first checkpoint that differs from its anchor",
    }),
    detail: z.string().nullable().openapi({ description: "What failed and what it means" }),
    mode: z.enum(["full", "incremental"]),
    fromCheckpoint: z
      .number()
      .int()
      .openapi({ description: "The checkpoint this run started after (0: the first row)" }),
    checkedRows: z.number().int(),
    checkpoints: z.number().int().openapi({ description: "Checkpoints recomputed in this run" }),
    anchoredCheckpoint: z.number().int().nullable().openapi({
      description: "The newest checkpoint anchored outside the database (KV, MACed)",
    }),
    unanchoredCheckpoints: z.number().int().openapi({
      description: "Sealed checkpoints newer than the anchor: consistent, not yet anchored",
    }),
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
  code: filterText(64).optional(),
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

const CacheCountersSchema = z
  .object({
    hits: z.number().int().openapi({ description: "Served fresh (memory or KV)" }),
    memoryHits: z.number().int().openapi({ description: "Of the hits, from the isolate's memory" }),
    staleServes: z.number().int().openapi({ description: "Served stale while a refresh ran" }),
    misses: z.number().int().openapi({ description: "Loaded from the database" }),
    invalid: z
      .number()
      .int()
      .openapi({ description: "Stored values that failed their schema (each also a miss)" }),
    refreshes: z.number().int().openapi({ description: "Background refreshes completed" }),
    refreshFailures: z.number().int(),
    kvErrors: z.number().int().openapi({ description: "KV calls that failed" }),
  })
  .openapi("CacheCounters");

const byKind = z.record(z.string(), CacheCountersSchema).openapi({
  description: "Per cache kind (e.g. courses.list); `*` for isolates that reported totals only",
});

export const CacheStatsSchema = z
  .object({
    isolate: z
      .object({
        id: z.string(),
        startedAt: z.string(),
        memory: z.object({
          entries: z.number().int(),
          bytes: z.number().int(),
          maxEntries: z.number().int(),
          maxBytes: z.number().int(),
        }),
        total: CacheCountersSchema,
        kinds: byKind,
      })
      .openapi({ description: "The isolate that answered, live, since it started" }),
    fleet: z
      .object({
        isolates: z.number().int(),
        since: z.string().openapi({ description: "The earliest start among the isolates" }),
        oldestReportAt: z.string().nullable(),
        complete: z.boolean(),
        unreadable: z.number().int(),
        total: CacheCountersSchema,
        kinds: byKind,
      })
      .openapi({
        description:
          "This isolate plus the last report (at most a minute old) of every other isolate seen in the last hour",
      }),
  })
  .openapi("CacheStats");
