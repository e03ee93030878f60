import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { requireAuth, requireRole } from "../../middleware/auth";
import * as listNotifications from "./routes/list-notifications";
import * as previewTemplate from "./routes/preview-template";
import * as retryNotification from "./routes/retry-notification";
import * as unsubscribe from "./routes/unsubscribe";

/** The outbox, for admins: what went out, what failed (and retrying it), template previews. */
export function registerNotificationRoutes(app: OpenAPIHono<AppEnv>) {
  for (const path of ["/v1/admin/notifications", "/v1/admin/notifications/*"]) {
    app.use(path, requireAuth(), requireRole("admin", "super_admin"));
  }
  for (const r of [previewTemplate, listNotifications, retryNotification, unsubscribe]) {
    r.register(app);
  }
}
