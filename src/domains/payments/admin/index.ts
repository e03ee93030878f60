import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { requireAuth, requireRole } from "../../../middleware/auth";
import * as exportAdminPayments from "./routes/export-admin-payments";
import * as getAdminPayment from "./routes/get-admin-payment";
import * as getPaymentReconciliation from "./routes/get-payment-reconciliation";
import * as listAdminPayments from "./routes/list-admin-payments";

/** The admins' read-only payment views: every route needs an admin or super admin. */
export function registerAdminPaymentRoutes(app: OpenAPIHono<AppEnv>) {
  for (const path of ["/v1/admin/payments", "/v1/admin/payments/*"]) {
    app.use(path, requireAuth(), requireRole("admin", "super_admin"));
  }
  // Static paths before the parameterised one, so /reconciliation is not read as an id.
  for (const r of [
    getPaymentReconciliation,
    exportAdminPayments,
    listAdminPayments,
    getAdminPayment,
  ]) {
    r.register(app);
  }
}
