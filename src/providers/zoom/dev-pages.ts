/**
 * The pages behind the development provider's URLs: join (student), start (host) and recording
 * downloads (placeholders for the files a `recording.completed` event points at). They answer
 * only while ZOOM_PROVIDER=dev in development or tests, and 404 like an unknown path anywhere
 * else. Not in the OpenAPI document: they are not part of the API.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../../lib/context";
import { AppError } from "../../lib/errors";
import { escapeHtml } from "../../lib/notifications/templates/email";
import { type DevMeeting, DevZoomProvider } from "./dev";

export const DEV_ZOOM_ROUTES = [
  "/dev/zoom/join/:meetingId",
  "/dev/zoom/start/:meetingId",
  "/dev/zoom/recordings/:meetingId/:fileId",
] as const;

function devProvider(c: AppContext): DevZoomProvider {
  const config = c.get("config");
  const enabled =
    config.ZOOM_PROVIDER === "dev" &&
    (config.ENVIRONMENT === "development" || config.ENVIRONMENT === "test");
  if (!enabled) {
    throw new AppError({
      code: "NOT_FOUND",
      detail: `No route matches ${c.req.method} ${new URL(c.req.url).pathname}.`,
    });
  }
  return new DevZoomProvider({ kv: c.env.CACHE, baseUrl: new URL(c.req.url).origin });
}

async function meetingOr404(c: AppContext): Promise<DevMeeting> {
  const meeting = await devProvider(c).getStored(c.req.param("meetingId") ?? "");
  if (!meeting) {
    throw new AppError({ code: "NOT_FOUND", detail: "No development meeting has this id." });
  }
  return meeting;
}

function localTime(iso: string, timezone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat("en-IN", {
      dateStyle: "medium",
      timeStyle: "short",
      timeZone: timezone,
    }).format(new Date(iso));
  } catch {
    return undefined; // an unknown zone: the UTC time still says it
  }
}

function page(meeting: DevMeeting, role: "participant" | "host"): string {
  const e = escapeHtml;
  const local = localTime(meeting.startTime, meeting.timezone);
  const command =
    role === "host"
      ? `npm run zoom:event -- --session ${meeting.meetingId} --event meeting.started`
      : `npm run zoom:event -- --session ${meeting.meetingId} --event participant_joined --email <your email>`;
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${e(meeting.topic)} (development Zoom)</title></head><body>`,
    `<h1>${e(meeting.topic)}</h1>`,
    `<p>Development stand-in for Zoom: no meeting runs here. You opened the ${
      role === "host" ? "host's start link" : "join link"
    }.</p>`,
    "<dl>",
    `<dt>Meeting id</dt><dd>${e(meeting.meetingId)}</dd>`,
    `<dt>Starts</dt><dd>${e(meeting.startTime)}${
      local ? ` (${e(local)}, ${e(meeting.timezone)})` : ""
    }</dd>`,
    `<dt>Duration</dt><dd>${meeting.durationMinutes} minutes</dd>`,
    "</dl>",
    `<p>Simulate it: <code>${e(command)}</code></p>`,
    "</body></html>",
  ].join("\n");
}

export function registerZoomDevPages(app: OpenAPIHono<AppEnv>) {
  app.get("/dev/zoom/join/:meetingId", async (c) =>
    c.html(page(await meetingOr404(c), "participant")),
  );
  app.get("/dev/zoom/start/:meetingId", async (c) => c.html(page(await meetingOr404(c), "host")));
  // Zoom wants `Authorization: Bearer <download_token>`; the stand-in wants one too.
  app.get("/dev/zoom/recordings/:meetingId/:fileId", async (c) => {
    const meeting = await meetingOr404(c);
    if (!/^Bearer \S+$/.test(c.req.header("Authorization") ?? "")) {
      throw new AppError({
        code: "UNAUTHENTICATED",
        detail: "Send the download_token as a bearer token.",
      });
    }
    return c.text(
      `Development recording placeholder: meeting ${meeting.meetingId}, file ${c.req.param("fileId")}.\n`,
    );
  });
}
