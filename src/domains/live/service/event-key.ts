/**
 * The dedup key of a Zoom event (webhook_events.event_key): what the event is ABOUT, never how
 * it was delivered. A retry repeats the body (only the signature timestamp is new), so the key
 * hashes the fields that name the effect:
 *   - participant events: meeting instance (uuid, else id), participant key, join/leave time
 *     (a participant cannot join twice in one second);
 *   - meeting.started / meeting.ended: the meeting instance (one start and one end each);
 *   - recording.completed: the instance plus event_ts, so a later, genuinely new delivery for the
 *     same instance (Zoom re-sends when files are added) still updates the recording by upsert.
 * event_ts is left out where the other fields identify the effect, in case a retry restamps it
 * (UNCONFIRMED whether Zoom ever does).
 */
import type {
  ZoomMeetingEnded,
  ZoomMeetingStarted,
  ZoomParticipantJoined,
  ZoomParticipantLeft,
  ZoomRecordingCompleted,
} from "../../../providers/zoom";

export type ZoomEvent =
  | ZoomMeetingStarted
  | ZoomMeetingEnded
  | ZoomParticipantJoined
  | ZoomParticipantLeft
  | ZoomRecordingCompleted;

/** The fields both participant events carry. */
export interface Participant {
  user_id?: string;
  user_name?: string;
  participant_uuid?: string;
  email?: string;
}

/** participant_uuid, else Zoom's user_id, else the email; a name as the last resort. */
export function participantKeyOf(p: Participant): string {
  const key =
    p.participant_uuid?.trim() ||
    p.user_id?.trim() ||
    p.email ||
    (p.user_name?.trim() ? `name:${p.user_name.trim()}` : "");
  return key || "anonymous";
}

/** The meeting instance: Zoom's uuid, else the meeting id with its start time. */
export function meetingInstanceOf(object: { id: string; uuid?: string; start_time?: string }) {
  return object.uuid?.trim() || `${object.id}@${object.start_time ?? ""}`;
}

export async function zoomEventKey(event: ZoomEvent): Promise<string> {
  const object = event.payload.object;
  const instance = meetingInstanceOf(object);
  let parts: unknown[];
  switch (event.event) {
    case "meeting.participant_joined":
      parts = [
        event.event,
        instance,
        participantKeyOf(event.payload.object.participant),
        event.payload.object.participant.join_time,
      ];
      break;
    case "meeting.participant_left":
      parts = [
        event.event,
        instance,
        participantKeyOf(event.payload.object.participant),
        event.payload.object.participant.leave_time,
      ];
      break;
    case "recording.completed":
      parts = [event.event, instance, event.event_ts];
      break;
    default:
      parts = [event.event, instance];
  }
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify(parts)),
  );
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
