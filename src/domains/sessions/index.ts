import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { analyticsFromConfig, rateLimit } from "../../lib/rate-limit/middleware";
import { requireAuth, requireRole } from "../../middleware/auth";
import { FEED_PATH } from "./public";
import * as cancelSession from "./routes/cancel-session";
import * as createCalendarFeed from "./routes/create-calendar-feed";
import * as createSession from "./routes/create-session";
import * as getMySchedule from "./routes/get-my-schedule";
import * as getScheduleFeed from "./routes/get-schedule-feed";
import * as getSessionJoin from "./routes/get-session-join";
import * as listBatchSessions from "./routes/list-batch-sessions";
import * as rescheduleSession from "./routes/reschedule-session";
import * as revokeCalendarFeed from "./routes/revoke-calendar-feed";

/**
 * Live classes on Zoom. Admin routes under /v1/admin/batches/* (guarded by the catalogue's
 * admin middleware) and /v1/admin/sessions/*; a student's schedule and join URL; the calendar
 * feed, which carries its own token and is exempt from /v1/me/*'s requireAuth (auth/index.ts).
 */
export function registerSessionRoutes(app: OpenAPIHono<AppEnv>) {
  app.use("/v1/admin/sessions/*", requireAuth(), requireRole("admin", "super_admin"));
  app.use("/v1/sessions/*", requireAuth());
  // Calendar apps poll every few minutes to hours, often many behind one address (a class on
  // one Wi-Fi, CGNAT): the generous per-address read policy; the token is 256 bits, so the
  // limit bounds load, not guessing.
  app.use(FEED_PATH, rateLimit("catalogue", { analytics: analyticsFromConfig }));
  for (const r of [
    createSession,
    listBatchSessions,
    rescheduleSession,
    cancelSession,
    getMySchedule,
    getSessionJoin,
    createCalendarFeed,
    revokeCalendarFeed,
    getScheduleFeed,
  ]) {
    r.register(app);
  }
}
