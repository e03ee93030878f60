import * as z from "zod";
import { email, hello } from "../email";
import { formatTime, instant, link, text, timeZone } from "../format";
import { sms } from "../sms";
import { defineTemplate } from "../types";
import { whatsapp } from "../whatsapp";

// `link` is the student's schedule in the app (sign in to join), never a Zoom join URL: that
// carries the meeting passcode and would have to be a secret variable.
const classFields = {
  name: text(200),
  courseTitle: text(200),
  batchName: text(200),
  sessionTitle: text(200),
  /** Where the student's schedule is. */
  link: link(),
  /** The batch's zone; times read "Mon, 7 Dec 2026, 5:30 pm IST". */
  timeZone: timeZone(),
};

const duration = () =>
  z
    .int()
    .min(1)
    .max(24 * 60);

export const classReminder = defineTemplate({
  name: "class_reminder",
  description: "A class of the student's batch starts soon.",
  transactional: true,
  variables: z.strictObject({ ...classFields, startsAt: instant(), durationMinutes: duration() }),
  secretVariables: [],
  channels: {
    email: (v) => {
      const at = formatTime(v.startsAt, v.timeZone);
      return email(`Reminder: ${v.sessionTitle} on ${at}`, [
        hello(v.name),
        {
          p: `Your class ${v.sessionTitle} of ${v.courseTitle} (${v.batchName}) starts on ${at} and runs for ${v.durationMinutes} minutes.`,
        },
        { link: v.link, label: "Join from your schedule" },
      ]);
    },
    whatsapp: (v) =>
      whatsapp("class_reminder_v1", [
        v.name,
        v.sessionTitle,
        v.courseTitle,
        formatTime(v.startsAt, v.timeZone),
        String(v.durationMinutes),
        { link: v.link },
      ]),
    sms: (v) =>
      sms("class_reminder_v1", [
        v.sessionTitle,
        formatTime(v.startsAt, v.timeZone),
        { link: v.link },
      ]),
  },
  sample: {
    name: "Aarav Sharma",
    courseTitle: "JEE Main Physics 2027",
    batchName: "Evening Batch B",
    sessionTitle: "Rotational Motion",
    link: "https://learn.example.in/schedule",
    timeZone: "Asia/Kolkata",
    startsAt: "2026-12-07T12:00:00.000Z",
    durationMinutes: 90,
  },
});

const rescheduled = z.strictObject({
  change: z.literal("rescheduled"),
  ...classFields,
  /** Equal to `startsAt` when only the length or title changed. */
  previousStartsAt: instant(),
  startsAt: instant(),
  durationMinutes: duration(),
});

const cancelled = z.strictObject({
  change: z.literal("cancelled"),
  ...classFields,
  startsAt: instant(),
});

const moved = (v: { previousStartsAt: string; startsAt: string }) =>
  Date.parse(v.previousStartsAt) !== Date.parse(v.startsAt);

export const scheduleChange = defineTemplate({
  name: "schedule_change",
  description: "A class was rescheduled (old and new times) or cancelled.",
  transactional: true,
  variables: z.discriminatedUnion("change", [rescheduled, cancelled]),
  secretVariables: [],
  channels: {
    email: (v) => {
      if (v.change === "cancelled") {
        return email(`Class cancelled: ${v.sessionTitle}`, [
          hello(v.name),
          {
            p: `The class ${v.sessionTitle} of ${v.courseTitle} (${v.batchName}) on ${formatTime(v.startsAt, v.timeZone)} is cancelled.`,
          },
          { link: v.link, label: "See your schedule" },
        ]);
      }
      const now = formatTime(v.startsAt, v.timeZone);
      return email(`Class changed: ${v.sessionTitle}`, [
        hello(v.name),
        {
          p: `A class of ${v.courseTitle} (${v.batchName}) has changed: ${v.sessionTitle}.`,
        },
        {
          p: moved(v)
            ? `New time: ${now} (was ${formatTime(v.previousStartsAt, v.timeZone)}), ${v.durationMinutes} minutes.`
            : `Time: ${now}, ${v.durationMinutes} minutes.`,
        },
        { link: v.link, label: "See your schedule" },
      ]);
    },
    whatsapp: (v) => {
      const now = formatTime(v.startsAt, v.timeZone);
      if (v.change === "cancelled") {
        return whatsapp("schedule_change_cancelled_v1", [
          v.name,
          v.sessionTitle,
          v.courseTitle,
          now,
          { link: v.link },
        ]);
      }
      const minutes = String(v.durationMinutes);
      return moved(v)
        ? whatsapp("schedule_change_rescheduled_v1", [
            v.name,
            v.courseTitle,
            v.sessionTitle,
            now,
            formatTime(v.previousStartsAt, v.timeZone),
            minutes,
            { link: v.link },
          ])
        : whatsapp("schedule_change_updated_v1", [
            v.name,
            v.courseTitle,
            v.sessionTitle,
            now,
            minutes,
            { link: v.link },
          ]);
    },
    // The old time is left out of the SMS: two times and a link do not fit one part.
    sms: (v) => {
      const now = formatTime(v.startsAt, v.timeZone);
      if (v.change === "cancelled") {
        return sms("schedule_change_cancelled_v1", [v.sessionTitle, now, { link: v.link }]);
      }
      return moved(v)
        ? sms("schedule_change_rescheduled_v1", [v.sessionTitle, now, { link: v.link }])
        : sms("schedule_change_updated_v1", [v.sessionTitle, now, { link: v.link }]);
    },
  },
  sample: {
    change: "rescheduled",
    name: "Ananya Krishnan",
    courseTitle: "Class 10 Mathematics (CBSE)",
    batchName: "Weekend Batch A",
    sessionTitle: "Quadratic Equations",
    link: "https://learn.example.in/schedule",
    timeZone: "Asia/Kolkata",
    previousStartsAt: "2026-12-05T04:30:00.000Z",
    startsAt: "2026-12-06T05:30:00.000Z",
    durationMinutes: 60,
  },
});
