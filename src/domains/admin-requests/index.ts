import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { requireAuth, requireRole } from "../../middleware/auth";
import * as approve from "./routes/approve-admin-request";
import * as list from "./routes/list-admin-requests";
import * as reject from "./routes/reject-admin-request";
import * as submit from "./routes/submit-admin-request";
import * as verify from "./routes/verify-admin-request";

export function registerAdminRequestRoutes(app: OpenAPIHono<AppEnv>) {
  verify.register(app);
  app.on("POST", "/v1/admin-requests", requireAuth());
  submit.register(app);
  app.use("/v1/admin/admin-requests/*", requireAuth(), requireRole("super_admin"));
  list.register(app);
  approve.register(app);
  reject.register(app);
}
