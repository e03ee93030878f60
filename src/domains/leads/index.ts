import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { analyticsFromConfig, rateLimit } from "../../lib/rate-limit/middleware";
import { requireAuth, requireRole } from "../../middleware/auth";
import * as convertLead from "./routes/convert-lead";
import * as createLead from "./routes/create-lead";
import * as getLead from "./routes/get-lead";
import * as importLeads from "./routes/import-leads";
import * as listLeads from "./routes/list-leads";
import * as updateLead from "./routes/update-lead";

export { isCsvImport } from "./routes/import-leads";

/** The public lead form, then the admins' lead pipeline (admins and super admins only). */
export function registerLeadRoutes(app: OpenAPIHono<AppEnv>) {
  // An unauthenticated write: the strict per-address policy, before the idempotency claim.
  app.use("/v1/leads", rateLimit("strict", { analytics: analyticsFromConfig }));
  for (const path of ["/v1/admin/leads", "/v1/admin/leads/*"]) {
    app.use(path, requireAuth(), requireRole("admin", "super_admin"));
  }
  for (const r of [createLead, importLeads, listLeads, getLead, updateLead, convertLead]) {
    r.register(app);
  }
}
