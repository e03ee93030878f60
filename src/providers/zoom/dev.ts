/**
 * Development stand-in for Zoom (ZOOM_PROVIDER=dev; refused in staging and production).
 *
 * Meetings live in KV (the CACHE binding), which `wrangler dev` persists under .wrangler/ and
 * so outlives reloads and restarts, unlike isolate memory; tests get the same binding. Ids
 * are derived from the idempotency key (the session id) when one is given, so
 * `npm run zoom:event -- --session <session id>` addresses the same meeting with no database.
 * Join URLs open a page this API serves (dev-pages.ts). It validates what the real adapter
 * validates, and fails as Zoom would where the app must cope (update of an unknown meeting).
 */
import type { Logger } from "../../lib/logger";
import { devMeetingId } from "./simulate";
import {
  assertMeetingId,
  type CreateMeetingInput,
  type UpdateMeetingPatch,
  ZoomError,
  type ZoomMeeting,
  type ZoomProvider,
  zoomServiceError,
  zoomUtc,
} from "./types";

const KEY_PREFIX = "zoom-dev:meeting:";
/** Long enough for a term's timetable; a development store needs no cleanup job. */
const TTL_SECONDS = 180 * 24 * 60 * 60;

export interface DevMeeting {
  meetingId: string;
  topic: string;
  startTime: string;
  durationMinutes: number;
  timezone: string;
  agenda?: string;
  hostUserId: string;
  idempotencyKey?: string;
  createdAt: string;
  updatedAt: string;
}

export interface DevZoomOptions {
  kv: KVNamespace;
  /** Origin of this API, for join URLs (e.g. http://127.0.0.1:8787). */
  baseUrl: string;
  logger?: Logger;
}

export const devJoinPath = (meetingId: string) => `/dev/zoom/join/${meetingId}`;
export const devStartPath = (meetingId: string) => `/dev/zoom/start/${meetingId}`;

function randomMeetingId(): string {
  const [a = 0, b = 0] = crypto.getRandomValues(new Uint32Array(2));
  return String(10_000_000_000 + ((a * 2 ** 21 + (b >>> 11)) % 90_000_000_000));
}

export class DevZoomProvider implements ZoomProvider {
  readonly kind = "dev" as const;
  private readonly baseUrl: string;

  constructor(private readonly opts: DevZoomOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
  }

  async createMeeting(input: CreateMeetingInput): Promise<ZoomMeeting> {
    const startTime = zoomUtc(input.startTime);
    const meetingId = input.idempotencyKey
      ? await devMeetingId(input.idempotencyKey)
      : randomMeetingId();
    const now = new Date().toISOString();
    const existing = await this.read(meetingId);
    const meeting: DevMeeting = {
      meetingId,
      topic: input.topic,
      startTime,
      durationMinutes: input.durationMinutes,
      timezone: input.timezone,
      agenda: input.agenda,
      hostUserId: input.hostUserId ?? "me",
      idempotencyKey: input.idempotencyKey,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await this.write(meeting);
    const view = this.view(meeting);
    this.opts.logger?.info("zoom meeting (dev)", {
      meetingId,
      topic: meeting.topic,
      startTime,
      joinUrl: view.joinUrl,
    });
    return view;
  }

  async getMeeting(meetingId: string): Promise<ZoomMeeting | null> {
    assertMeetingId(meetingId);
    const meeting = await this.read(meetingId);
    return meeting ? this.view(meeting) : null;
  }

  /** The stored record, for the development pages. */
  async getStored(meetingId: string): Promise<DevMeeting | null> {
    return /^\d{1,20}$/.test(meetingId) ? this.read(meetingId) : null;
  }

  async updateMeeting(meetingId: string, patch: UpdateMeetingPatch): Promise<void> {
    assertMeetingId(meetingId);
    const startTime = patch.startTime !== undefined ? zoomUtc(patch.startTime) : undefined;
    const meeting = await this.read(meetingId);
    if (!meeting) {
      const cause = new ZoomError("not_found", "zoom update: 404 (code 3001): no such meeting", {
        status: 404,
        zoomCode: 3001,
      });
      this.opts.logger?.warn("zoom request failed", {
        provider: "dev",
        op: "update",
        kind: cause.kind,
      });
      throw zoomServiceError(cause);
    }
    await this.write({
      ...meeting,
      topic: patch.topic ?? meeting.topic,
      startTime: startTime ?? meeting.startTime,
      durationMinutes: patch.durationMinutes ?? meeting.durationMinutes,
      timezone: patch.timezone ?? meeting.timezone,
      agenda: patch.agenda ?? meeting.agenda,
      updatedAt: new Date().toISOString(),
    });
  }

  async deleteMeeting(meetingId: string): Promise<void> {
    assertMeetingId(meetingId);
    await this.guard(() => this.opts.kv.delete(KEY_PREFIX + meetingId));
  }

  private view(m: DevMeeting): ZoomMeeting {
    return {
      meetingId: m.meetingId,
      joinUrl: `${this.baseUrl}${devJoinPath(m.meetingId)}`,
      startUrl: `${this.baseUrl}${devStartPath(m.meetingId)}`,
      hostEmail: m.hostUserId.includes("@") ? m.hostUserId : undefined,
      topic: m.topic,
      startTime: m.startTime,
      durationMinutes: m.durationMinutes,
      timezone: m.timezone,
    };
  }

  private read(meetingId: string): Promise<DevMeeting | null> {
    return this.guard(() => this.opts.kv.get<DevMeeting>(KEY_PREFIX + meetingId, "json"));
  }

  private write(meeting: DevMeeting): Promise<void> {
    return this.guard(() =>
      this.opts.kv.put(KEY_PREFIX + meeting.meetingId, JSON.stringify(meeting), {
        expirationTtl: TTL_SECONDS,
      }),
    );
  }

  /** A KV failure is this provider failing: the same 502 the real one gives. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw zoomServiceError(
        new ZoomError(
          "server",
          `zoom (dev): storage failed (${err instanceof Error ? err.name : "unknown"})`,
        ),
      );
    }
  }
}
