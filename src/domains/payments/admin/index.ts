import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { requireAuth, requireRole } from "../../../middleware/auth";
import * as exportPayments from "./routes/export-payments";
import * as getPayment from "./routes/get-payment";
import * as getReconciliation from "./routes/get-reconciliation";
import * as listPayments from "./routes/list-payments";

/** The admins' read-only payment views: every route needs an admin or super admin. */
export function registerAdminPaymentRoutes(app: OpenAPIHono<AppEnv>) {
  for (const path of ["/v1/admin/payments", "/v1/admin/payments/*"]) {
    app.use(path, requireAuth(), requireRole("admin", "super_admin"));
  }
  // Static paths before the parameterised one, so /reconciliation is not read as an id.
  for (const r of [getReconciliation, exportPayments, listPayments, getPayment]) {
    r.register(app);
  }
}
