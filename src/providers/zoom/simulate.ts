/**
 * Realistic Zoom webhooks for local work, shared by `npm run zoom:event` (Node) and the tests
 * (workerd), so what the script sends is what the tests verify and parse. Shapes follow
 * PROVIDERS.md §2 and Zoom's published examples; derived ids are stable, so a joined and a
 * left event of one person in one meeting carry the same participant ids.
 * Imports only WebCrypto code, with `.js` specifiers (see signature.ts).
 */
import { signZoomWebhook, zoomUrlValidationResponse } from "./signature.js";

export type SimulatedEvent =
  | "meeting.started"
  | "meeting.ended"
  | "meeting.participant_joined"
  | "meeting.participant_left"
  | "recording.completed"
  | "endpoint.url_validation";

const ALIASES: Record<string, SimulatedEvent> = {
  started: "meeting.started",
  ended: "meeting.ended",
  participant_joined: "meeting.participant_joined",
  participant_left: "meeting.participant_left",
  joined: "meeting.participant_joined",
  left: "meeting.participant_left",
  recording_completed: "recording.completed",
  url_validation: "endpoint.url_validation",
};

const FULL_NAMES = new Set<string>(Object.values(ALIASES));

/** `participant_joined` → `meeting.participant_joined`; full names pass; else undefined. */
export function resolveEventName(name: string): SimulatedEvent | undefined {
  if (FULL_NAMES.has(name)) return name as SimulatedEvent;
  return ALIASES[name];
}

export const SIMULATED_EVENT_NAMES = [...FULL_NAMES] as SimulatedEvent[];

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * The development provider's meeting id for an idempotency key (the class session id): 11
 * digits like Zoom's, the same on every run, so a session's meeting is found without a
 * database.
 */
export async function devMeetingId(key: string): Promise<string> {
  const bytes = await sha256(`zoom-dev-meeting:${key}`);
  let n = 0n;
  for (const b of bytes.slice(0, 8)) n = (n << 8n) | BigInt(b);
  return String(10_000_000_000n + (n % 90_000_000_000n));
}

/** `--session`: a meeting id as is (digits), anything else a session id of the dev provider. */
export async function meetingIdFor(session: string): Promise<string> {
  return /^\d{9,20}$/.test(session) ? session : devMeetingId(session);
}

const utc = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

export interface SimulateInput {
  event: SimulatedEvent;
  meetingId: string;
  /** Participant events: who joined or left. */
  email?: string;
  /** Participant's display name; defaults to the email's local part. */
  name?: string;
  /** When it happened (default now). */
  at?: Date;
  topic?: string;
  durationMinutes?: number;
  accountId?: string;
  timezone?: string;
  /** Origin for recording URLs (the dev API serves placeholders there). */
  apiBaseUrl?: string;
  /** endpoint.url_validation: the token to echo (default random). */
  plainToken?: string;
}

/** The webhook body Zoom would send for `input.event`. */
export async function buildZoomEvent(input: SimulateInput): Promise<Record<string, unknown>> {
  const at = input.at ?? new Date();
  const duration = input.durationMinutes ?? 60;
  const id = input.meetingId;
  if (input.event === "endpoint.url_validation") {
    return {
      event: "endpoint.url_validation",
      event_ts: at.getTime(),
      payload: { plainToken: input.plainToken ?? hex(crypto.getRandomValues(new Uint8Array(16))) },
    };
  }
  // One meeting instance a day: events of the same class share its uuid.
  const uuid = base64((await sha256(`uuid:${id}:${utc(at).slice(0, 10)}`)).slice(0, 16));
  const hostId = base64((await sha256(`host:${id}`)).slice(0, 16))
    .replace(/[+/=]/g, "")
    .slice(0, 22);
  const meeting = {
    id,
    uuid,
    host_id: hostId,
    topic: input.topic ?? "Live class",
    type: 2,
    start_time: utc(at),
    duration,
    timezone: input.timezone ?? "Asia/Kolkata",
  };
  const envelope = (object: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    event: input.event,
    event_ts: at.getTime(),
    ...extra,
    payload: { account_id: input.accountId ?? "dev-account", object },
  });

  switch (input.event) {
    case "meeting.started":
      return envelope(meeting);
    case "meeting.ended": {
      const started = new Date(at.getTime() - duration * 60_000);
      return envelope({ ...meeting, start_time: utc(started), end_time: utc(at) });
    }
    case "meeting.participant_joined":
    case "meeting.participant_left": {
      if (!input.email) throw new TypeError(`${input.event} needs the participant's email`);
      const email = input.email.trim().toLowerCase();
      const who = await sha256(`participant:${id}:${email}`);
      const participant: Record<string, unknown> = {
        user_id: String(16_000_000 + ((who[0] ?? 0) << 16) + ((who[1] ?? 0) << 8) + (who[2] ?? 0)),
        user_name: input.name ?? email.split("@")[0] ?? email,
        participant_user_id: "",
        participant_uuid: hex(who.slice(4, 20))
          .toUpperCase()
          .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5"),
        email,
      };
      if (input.event === "meeting.participant_joined") participant.join_time = utc(at);
      else {
        participant.leave_time = utc(at);
        participant.leave_reason = "left the meeting";
      }
      return envelope({ ...meeting, participant });
    }
    case "recording.completed": {
      const start = new Date(at.getTime() - duration * 60_000);
      const base = (input.apiBaseUrl ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
      const file = (fileId: string, fileType: string, recordingType: string, size: number) => ({
        id: fileId,
        meeting_id: uuid,
        recording_start: utc(start),
        recording_end: utc(at),
        file_type: fileType,
        file_extension: fileType,
        file_size: size,
        play_url: `${base}/dev/zoom/join/${id}`,
        download_url: `${base}/dev/zoom/recordings/${id}/${fileId}`,
        status: "completed",
        recording_type: recordingType,
      });
      const files = [
        file(`${id}-video`, "MP4", "shared_screen_with_speaker_view", 48_000_000),
        file(`${id}-audio`, "M4A", "audio_only", 9_000_000),
      ];
      return envelope(
        {
          ...meeting,
          start_time: utc(start),
          share_url: `${base}/dev/zoom/join/${id}`,
          total_size: 57_000_000,
          recording_count: files.length,
          recording_files: files,
        },
        { download_token: hex((await sha256(`download:${id}:${utc(at)}`)).slice(0, 24)) },
      );
    }
  }
}

/** A body ready to POST: its exact bytes and Zoom's headers, signed at `at` (default now). */
export async function signedZoomWebhook(
  body: Record<string, unknown>,
  secret: string,
  at: Date = new Date(),
): Promise<{ rawBody: string; headers: Record<string, string> }> {
  const rawBody = JSON.stringify(body);
  const headers = {
    "content-type": "application/json",
    ...(await signZoomWebhook(rawBody, secret, at)),
  };
  return { rawBody, headers };
}

/** What our endpoint must answer to a url_validation body (for the script to check). */
export const expectedValidationAnswer = zoomUrlValidationResponse;
