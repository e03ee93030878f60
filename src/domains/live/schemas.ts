import { z } from "@hono/zod-openapi";
import { keysetQuery, paginatedSchema } from "../../lib/pagination";

export const RecordingIdParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

export const MyRecordingsQuery = keysetQuery;

export const RecordingFileSchema = z
  .object({
    id: z.string(),
    fileType: z.string().openapi({ example: "MP4" }),
    recordingType: z.string().optional().openapi({ example: "shared_screen_with_speaker_view" }),
    fileSizeBytes: z.number().int().optional(),
    startedAt: z.string().optional(),
    endedAt: z.string().optional(),
    playUrl: z.string().optional(),
  })
  .openapi("RecordingFile");

export const RecordingSchema = z
  .object({
    id: z.uuid(),
    title: z.string().nullable().openapi({ description: "The meeting's topic on Zoom" }),
    startedAt: z.iso.datetime().nullable(),
    durationMinutes: z.number().int().nullable(),
    playUrl: z.string().nullable().openapi({ description: "Zoom's page that plays the recording" }),
    files: z.array(RecordingFileSchema),
    createdAt: z.iso.datetime(),
    session: z.object({
      id: z.uuid(),
      title: z.string(),
      startsAt: z.iso.datetime(),
    }),
    batch: z.object({
      id: z.uuid(),
      name: z.string().nullable().openapi({ description: "Null when the batch is not public" }),
    }),
    course: z.object({
      id: z.uuid().nullable(),
      title: z.string().nullable().openapi({ description: "Null when the course is not public" }),
    }),
  })
  .openapi("Recording");

export const RecordingPage = paginatedSchema(RecordingSchema, "RecordingPage");

export const ZoomWebhookAnswer = z
  .union([
    z.object({
      outcome: z.enum(["applied", "duplicate", "unknown_meeting", "cancelled_session", "ignored"]),
    }),
    z.object({ plainToken: z.string(), encryptedToken: z.string() }),
  ])
  .openapi("ZoomWebhookAnswer");

export type RecordingView = z.infer<typeof RecordingSchema>;
