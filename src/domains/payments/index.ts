import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { requireAuth } from "../../middleware/auth";
import { registerAdminPaymentRoutes } from "./admin";
import * as createRefund from "./routes/create-refund";
import * as getInvoicePdf from "./routes/get-invoice-pdf";
import * as listMyInvoices from "./routes/list-my-invoices";
import * as paymentReturn from "./routes/payment-return";
import * as receiveInstamojoWebhook from "./routes/receive-instamojo-webhook";
import * as startCheckout from "./routes/start-checkout";

/**
 * Payments: checkout (students, under /v1/enrolments/*, already behind requireAuth and the
 * student role), Instamojo's webhook and return page (no session: the MAC, and a read from
 * Instamojo's API, are what is trusted), invoices (their student or an admin, by RLS) and
 * refunds (admins).
 */
export function registerPaymentRoutes(app: OpenAPIHono<AppEnv>) {
  app.use("/v1/invoices/*", requireAuth());
  // The admins' views; they mount the admin-only middleware on /v1/admin/payments/*, which the
  // refund route below shares.
  registerAdminPaymentRoutes(app);
  for (const r of [
    startCheckout,
    paymentReturn,
    receiveInstamojoWebhook,
    listMyInvoices,
    getInvoicePdf,
    createRefund,
  ]) {
    r.register(app);
  }
}
