import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { analyticsFromConfig, rateLimit } from "../../lib/rate-limit/middleware";
import { requireAuth, requireRole } from "../../middleware/auth";
import * as addTicketMessage from "./routes/add-ticket-message";
import * as closeTicket from "./routes/close-ticket";
import * as createTicket from "./routes/create-ticket";
import * as getAdminTicket from "./routes/get-admin-ticket";
import * as getAttachment from "./routes/get-attachment";
import * as getTicket from "./routes/get-ticket";
import * as getTicketStats from "./routes/get-ticket-stats";
import * as listMyTickets from "./routes/list-my-tickets";
import * as listTickets from "./routes/list-tickets";
import * as rateTicket from "./routes/rate-ticket";
import * as replyToTicket from "./routes/reply-to-ticket";
import * as updateTicket from "./routes/update-ticket";
import * as uploadTicketAttachment from "./routes/upload-ticket-attachment";
import { isAttachmentUpload } from "./routes/upload-ticket-attachment";

export { isAttachmentUpload };

/**
 * Support tickets. Students open, read, answer, close and rate their own (`/v1/tickets`,
 * students only: another's ticket is 404); the ticket's student or an admin uploads and
 * downloads attachments; admins run the help desk under `/v1/admin/tickets`.
 */
export function registerTicketRoutes(app: OpenAPIHono<AppEnv>) {
  const student = requireRole("student");
  // In Hono "/v1/tickets/*" also matches "/v1/tickets".
  app.use("/v1/tickets/*", requireAuth(), (c, next) =>
    isAttachmentUpload(c.req.method, c.req.path) ? next() : student(c, next),
  );
  // Per user (or address): after requireAuth, so a signed-in caller is counted as themself.
  app.use("/v1/tickets/:id/attachments", (c, next) =>
    isAttachmentUpload(c.req.method, c.req.path) ? upload(c, next) : next(),
  );
  app.use("/v1/attachments/*", requireAuth());
  for (const path of ["/v1/admin/tickets", "/v1/admin/tickets/*"]) {
    app.use(path, requireAuth(), requireRole("admin", "super_admin"));
  }
  // /v1/me/* is behind requireAuth already (auth domain).
  for (const r of [
    createTicket,
    listMyTickets,
    getTicket,
    replyToTicket,
    closeTicket,
    rateTicket,
    uploadTicketAttachment,
    getAttachment,
    listTickets,
    // Before /{id}: "stats" is not an id.
    getTicketStats,
    getAdminTicket,
    updateTicket,
    addTicketMessage,
  ]) {
    r.register(app);
  }
}

const upload = rateLimit("upload", { analytics: analyticsFromConfig });
