import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { requireAuth, requireRole } from "../../middleware/auth";
import * as getCacheStats from "./routes/get-cache-stats";
import * as getErrorLogStats from "./routes/get-error-log-stats";
import * as getUser from "./routes/get-user";
import * as listAuditLogs from "./routes/list-audit-logs";
import * as listErrorLogs from "./routes/list-error-logs";
import * as listUsers from "./routes/list-users";
import * as updateUserStatus from "./routes/update-user-status";
import * as verifyAuditLogs from "./routes/verify-audit-logs";

/** Admin back office: every route needs an admin or super admin. */
export function registerAdminRoutes(app: OpenAPIHono<AppEnv>) {
  for (const path of [
    "/v1/admin/users/*",
    "/v1/admin/audit-logs/*",
    "/v1/admin/error-logs/*",
    "/v1/admin/cache/*",
  ]) {
    app.use(path, requireAuth(), requireRole("admin", "super_admin"));
  }
  // Static paths before parameterised ones so /verify and /stats are not read as ids.
  for (const r of [
    verifyAuditLogs,
    getErrorLogStats,
    listUsers,
    getUser,
    updateUserStatus,
    listAuditLogs,
    listErrorLogs,
    getCacheStats,
  ]) {
    r.register(app);
  }
}
