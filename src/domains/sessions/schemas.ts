import { z } from "@hono/zod-openapi";
import { classSessionStatuses } from "../../db/schema";
import { instant, text } from "../../lib/validation";

/** A class longer than a working day is a mistake; the database allows up to 1,440 minutes. */
export const MAX_DURATION_MINUTES = 480;
/** Students may join this long before the start. */
export const JOIN_OPENS_MINUTES_BEFORE = 15;
/** `GET /v1/me/schedule` defaults and bounds. */
export const SCHEDULE_DEFAULT_PAST_DAYS = 1;
export const SCHEDULE_DEFAULT_AHEAD_DAYS = 60;
export const SCHEDULE_MAX_SPAN_DAYS = 180;

const title = () => text({ max: 200 }).openapi({ example: "Kinematics: projectile motion" });
const duration = () =>
  z
    .number()
    .int()
    .min(1)
    .max(MAX_DURATION_MINUTES)
    .openapi({ description: `Minutes, 1 to ${MAX_DURATION_MINUTES}`, example: 90 });
const startsAt = () =>
  instant().openapi({
    description: "ISO 8601 instant with an offset; must be in the future",
    example: "2027-01-05T04:30:00Z",
  });

export const BatchIdParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});
export const SessionIdParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

export const CreateSessionBody = z
  .strictObject({ title: title(), startsAt: startsAt(), durationMinutes: duration() })
  .openapi("CreateSessionRequest");
export type CreateSessionInput = z.infer<typeof CreateSessionBody>;

export const RescheduleSessionBody = z
  .strictObject({
    title: title().optional(),
    startsAt: startsAt().optional(),
    durationMinutes: duration().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, "Send at least one field to change")
  .openapi("RescheduleSessionRequest");
export type RescheduleSessionInput = z.infer<typeof RescheduleSessionBody>;

/** What admins see of a session. The join URL is not in it: `GET /v1/sessions/{id}/join`. */
export const SessionSchema = z
  .object({
    id: z.string(),
    batchId: z.string(),
    title: z.string(),
    startsAt: z.string(),
    endsAt: z.string().openapi({ description: "startsAt + durationMinutes" }),
    durationMinutes: z.number().int(),
    status: z.enum(classSessionStatuses),
    zoomMeetingId: z.string(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    cancelledAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("ClassSession");
export type SessionView = z.infer<typeof SessionSchema>;

export const SessionListSchema = z
  .object({ data: z.array(SessionSchema) })
  .openapi("ClassSessionList");

export const ScheduleQuery = z.object({
  from: instant()
    .optional()
    .openapi({ description: `Default: ${SCHEDULE_DEFAULT_PAST_DAYS} day ago` }),
  to: instant()
    .optional()
    .openapi({
      description: `Default: ${SCHEDULE_DEFAULT_AHEAD_DAYS} days ahead; at most ${SCHEDULE_MAX_SPAN_DAYS} days after from`,
    }),
});
export type ScheduleInput = z.infer<typeof ScheduleQuery>;

export const ScheduleEntrySchema = z
  .object({
    id: z.string(),
    title: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    status: z.enum(classSessionStatuses),
    timezone: z.string().openapi({ description: "The batch's time zone" }),
    batch: z.object({ id: z.string(), name: z.string().nullable() }).openapi({
      description: "name is null once the batch is no longer public (e.g. cancelled)",
    }),
    course: z
      .object({ id: z.string(), slug: z.string(), title: z.string() })
      .nullable()
      .openapi({ description: "null once the course is no longer public (e.g. archived)" }),
    joinable: z.boolean().openapi({
      description: `Whether GET /v1/sessions/{id}/join answers now (${JOIN_OPENS_MINUTES_BEFORE} minutes before the start until the end)`,
    }),
  })
  .openapi("ScheduleEntry");
export type ScheduleEntry = z.infer<typeof ScheduleEntrySchema>;

export const ScheduleSchema = z
  .object({ from: z.string(), to: z.string(), data: z.array(ScheduleEntrySchema) })
  .openapi("Schedule");

export const JoinSchema = z
  .object({
    sessionId: z.string(),
    joinUrl: z.string(),
    opensAt: z.string(),
    closesAt: z.string().nullable().openapi({ description: "null while a live class runs over" }),
  })
  .openapi("SessionJoin");

export const FeedQuery = z.object({
  // Any string: a malformed token is answered like an unknown one (404), so the format is no
  // oracle; the bound only keeps junk out of the hash.
  token: z
    .string()
    .max(256)
    .optional()
    .openapi({ description: "The feed token from POST /v1/me/calendar-feed" }),
});

export const CalendarFeedSchema = z
  .object({
    url: z.string().openapi({
      description: "The feed's address, token included: shown once, keep it private",
    }),
    createdAt: z.string(),
  })
  .openapi("CalendarFeed");
