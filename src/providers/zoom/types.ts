/**
 * What the rest of the app may ask of Zoom, whichever provider answers: the real API
 * (adapter.ts) or the development stand-in (dev.ts). Meeting ids are strings of digits (Zoom's
 * are numbers of up to 11 digits; strings never lose precision in JSON or SQL).
 */
import { AppError, externalServiceError } from "../../lib/errors";

export type ZoomProviderKind = "zoom" | "dev";

export interface MeetingSettings {
  hostVideo?: boolean;
  participantVideo?: boolean;
  joinBeforeHost?: boolean;
  waitingRoom?: boolean;
  muteUponEntry?: boolean;
  /** `cloud` makes Zoom send `recording.completed` (a paid Zoom plan). */
  autoRecording?: "cloud" | "local" | "none";
  /**
   * Only signed-in Zoom users may join. Zoom puts a participant's email in
   * `participant_joined`/`_left` reliably only for them: attendance matches by email.
   */
  meetingAuthentication?: boolean;
  /** Comma-separated emails of alternative hosts (other teachers of the batch). */
  alternativeHosts?: string;
}

export interface CreateMeetingInput {
  topic: string;
  /** ISO 8601 instant, e.g. `2026-12-01T04:30:00Z`; sent to Zoom as UTC, seconds precision. */
  startTime: string;
  durationMinutes: number;
  /** IANA zone the meeting is shown in, e.g. `Asia/Kolkata`. */
  timezone: string;
  agenda?: string;
  /** Zoom user who hosts: `me` (the app's own user, default), a user id or an email. */
  hostUserId?: string;
  settings?: MeetingSettings;
  /**
   * The id of what the meeting is for (the class session). Zoom has no idempotency keys, so
   * the real adapter only logs it and never retries a create whose outcome is unknown; the
   * dev provider derives the meeting id from it, so `npm run zoom:event -- --session <id>`
   * finds the meeting without a database.
   */
  idempotencyKey?: string;
}

export interface ZoomMeeting {
  meetingId: string;
  joinUrl: string;
  /** Starts the meeting as host: give it to the teacher only (it logs in as the host). */
  startUrl?: string;
  password?: string;
  hostEmail?: string;
  topic?: string;
  startTime?: string;
  durationMinutes?: number;
  timezone?: string;
}

export interface UpdateMeetingPatch {
  topic?: string;
  startTime?: string;
  durationMinutes?: number;
  timezone?: string;
  agenda?: string;
  settings?: MeetingSettings;
}

/**
 * Every method either does what it says or throws an AppError EXTERNAL_SERVICE_ERROR (502)
 * whose `cause` is a ZoomError: its `kind` says what went wrong, and neither carries the
 * provider's body, the client secret or a token.
 */
export interface ZoomProvider {
  readonly kind: ZoomProviderKind;
  createMeeting(input: CreateMeetingInput): Promise<ZoomMeeting>;
  /** `null` when Zoom has no such meeting. */
  getMeeting(meetingId: string): Promise<ZoomMeeting | null>;
  /** A meeting Zoom does not know fails with kind `not_found`. */
  updateMeeting(meetingId: string, patch: UpdateMeetingPatch): Promise<void>;
  /** Succeeds when the meeting is already gone (Zoom's 404). */
  deleteMeeting(meetingId: string): Promise<void>;
}

export type ZoomFailureKind =
  /** The token request was refused (wrong account id, client id or secret) or a 401 persisted. */
  | "auth"
  /** 429 after the backoff budget ran out, or a Retry-After beyond it (a daily limit). */
  | "rate_limited"
  | "timeout"
  /** No HTTP answer at all (DNS, connection refused or reset). */
  | "unreachable"
  | "not_found"
  /** Any other 4xx: Zoom refused the request (e.g. code 300, an invalid field). */
  | "rejected"
  | "server"
  /** A 2xx whose body lacks what the contract promises. */
  | "bad_response";

/** Why a Zoom call failed, safe for logs, Sentry and the error log: no bodies, no secrets. */
export class ZoomError extends Error {
  readonly kind: ZoomFailureKind;
  readonly status?: number;
  /** Zoom's numeric error code (`{"code":3001,…}`), when it sent one. */
  readonly zoomCode?: number;
  /** For `rate_limited`: when Zoom said to come back, if it said (ms from the failure). */
  readonly retryAfterMs?: number;

  constructor(
    kind: ZoomFailureKind,
    message: string,
    opts: { status?: number; zoomCode?: number; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = "ZoomError";
    this.kind = kind;
    this.status = opts.status;
    this.zoomCode = opts.zoomCode;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** The ZoomError behind an error a provider threw (or the error itself), if any. */
export function zoomFailureOf(err: unknown): ZoomError | undefined {
  if (err instanceof ZoomError) return err;
  if (err instanceof AppError && err.cause instanceof ZoomError) return err.cause;
  return undefined;
}

/** The app's error for a failed Zoom call: 502 EXTERNAL_SERVICE_ERROR, cause = the ZoomError. */
export function zoomServiceError(cause: ZoomError): AppError {
  return externalServiceError("zoom", cause);
}

/** Zoom meeting ids are digits; anything else never reaches a URL path. */
export function assertMeetingId(meetingId: string): void {
  if (!/^\d{1,20}$/.test(meetingId)) {
    throw new TypeError("a Zoom meeting id is a string of 1 to 20 digits");
  }
}

/** `2026-12-01T04:30:00Z`: Zoom's UTC form (no milliseconds); throws on an invalid instant. */
export function zoomUtc(iso: string): string {
  // Without a zone a date-time is local time, which in a Worker is UTC by accident only.
  const ms = /(?:Z|[+-]\d{2}:\d{2})$/i.test(iso) ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) throw new TypeError("startTime must be an ISO 8601 instant with a zone");
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
