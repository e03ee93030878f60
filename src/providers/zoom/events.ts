/**
 * The webhook bodies the product acts on (PROVIDERS.md §2), as zod schemas that keep unknown
 * fields (Zoom adds fields without notice) and require only what attendance and recordings
 * need. Ids arrive as strings in meeting events and as numbers in recording events: both
 * become strings of digits. Emails are trimmed and lower-cased; an empty one is absent (Zoom
 * leaves it empty for participants who are not signed in).
 */
import * as z from "zod";

export const ZOOM_EVENTS = [
  "endpoint.url_validation",
  "meeting.started",
  "meeting.ended",
  "meeting.participant_joined",
  "meeting.participant_left",
  "recording.completed",
] as const;
export type ZoomEventName = (typeof ZOOM_EVENTS)[number];

const digits = z
  .union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative()])
  .transform(String);

const optionalEmail = z
  .string()
  .nullish()
  .transform((v) => {
    const t = v?.trim().toLowerCase();
    return t ? t : undefined;
  });

const meetingFields = {
  id: digits,
  uuid: z.string().optional(),
  host_id: z.string().optional(),
  topic: z.string().optional(),
  type: z.number().optional(),
  start_time: z.string().optional(),
  duration: z.number().optional(),
  timezone: z.string().optional(),
};

const participantFields = {
  user_id: z.union([z.string(), z.number()]).transform(String).optional(),
  user_name: z.string().optional(),
  participant_uuid: z.string().optional(),
  participant_user_id: z.string().optional(),
  registrant_id: z.string().optional(),
  email: optionalEmail,
};

const envelope = <E extends ZoomEventName, O extends z.ZodType>(event: E, object: O) =>
  z.looseObject({
    event: z.literal(event),
    event_ts: z.number(),
    payload: z.looseObject({ account_id: z.string().optional(), object }),
  });

export const urlValidationEvent = z.looseObject({
  event: z.literal("endpoint.url_validation"),
  event_ts: z.number().optional(),
  payload: z.looseObject({ plainToken: z.string().min(1).max(512) }),
});

export const meetingStartedEvent = envelope("meeting.started", z.looseObject(meetingFields));

export const meetingEndedEvent = envelope(
  "meeting.ended",
  z.looseObject({ ...meetingFields, end_time: z.string().optional() }),
);

export const participantJoinedEvent = envelope(
  "meeting.participant_joined",
  z.looseObject({
    ...meetingFields,
    participant: z.looseObject({ ...participantFields, join_time: z.string() }),
  }),
);

export const participantLeftEvent = envelope(
  "meeting.participant_left",
  z.looseObject({
    ...meetingFields,
    participant: z.looseObject({
      ...participantFields,
      leave_time: z.string(),
      leave_reason: z.string().optional(),
    }),
  }),
);

export const recordingFile = z.looseObject({
  id: z.string().optional(),
  meeting_id: z.string().optional(),
  recording_start: z.string().optional(),
  recording_end: z.string().optional(),
  file_type: z.string(),
  file_extension: z.string().optional(),
  file_size: z.number().optional(),
  play_url: z.string().optional(),
  download_url: z.url(),
  status: z.string().optional(),
  recording_type: z.string().optional(),
});

export const recordingCompletedEvent = z.looseObject({
  event: z.literal("recording.completed"),
  event_ts: z.number(),
  /** Bearer token for `download_url` (lifetime about 24 h, unconfirmed): copy files promptly. */
  download_token: z.string().optional(),
  payload: z.looseObject({
    account_id: z.string().optional(),
    object: z.looseObject({
      ...meetingFields,
      share_url: z.string().optional(),
      total_size: z.number().optional(),
      recording_count: z.number().optional(),
      recording_files: z.array(recordingFile),
    }),
  }),
});

export const zoomWebhookSchema = z.discriminatedUnion("event", [
  urlValidationEvent,
  meetingStartedEvent,
  meetingEndedEvent,
  participantJoinedEvent,
  participantLeftEvent,
  recordingCompletedEvent,
]);

export type ZoomWebhook = z.infer<typeof zoomWebhookSchema>;
export type ZoomUrlValidation = z.infer<typeof urlValidationEvent>;
export type ZoomMeetingStarted = z.infer<typeof meetingStartedEvent>;
export type ZoomMeetingEnded = z.infer<typeof meetingEndedEvent>;
export type ZoomParticipantJoined = z.infer<typeof participantJoinedEvent>;
export type ZoomParticipantLeft = z.infer<typeof participantLeftEvent>;
export type ZoomRecordingCompleted = z.infer<typeof recordingCompletedEvent>;

export type ZoomWebhookParse =
  | { ok: true; webhook: ZoomWebhook }
  /** An event this product does not handle: answer 2xx so Zoom does not retry it. */
  | { ok: false; reason: "unsupported_event"; event: string }
  | { ok: false; reason: "invalid_payload"; event?: string; issues: string[] };

/** Parses an already verified body. Issues name paths and rules, never values. */
export function parseZoomWebhook(body: unknown): ZoomWebhookParse {
  const event =
    typeof body === "object" &&
    body !== null &&
    typeof (body as { event?: unknown }).event === "string"
      ? (body as { event: string }).event
      : undefined;
  if (event !== undefined && !(ZOOM_EVENTS as readonly string[]).includes(event)) {
    return { ok: false, reason: "unsupported_event", event };
  }
  const parsed = zoomWebhookSchema.safeParse(body);
  if (parsed.success) return { ok: true, webhook: parsed.data };
  return {
    ok: false,
    reason: "invalid_payload",
    event,
    issues: parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.code}`),
  };
}
