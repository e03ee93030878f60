import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { requireAuth, requireRole } from "../../middleware/auth";
import * as cancelEnrolment from "./routes/cancel-enrolment";
import * as createEnrolment from "./routes/create-enrolment";
import * as getBatchRoster from "./routes/get-batch-roster";
import * as grantEnrolment from "./routes/grant-enrolment";
import * as listMyEnrolments from "./routes/list-my-enrolments";

/**
 * Enrolments: students take and give back their own seats (students only: admins give seats
 * through the grant route, with a reason on the record); admins grant seats and read rosters.
 * Every route sits behind requireAuth, whose `api` policy (per user) covers them.
 */
export function registerEnrolmentRoutes(app: OpenAPIHono<AppEnv>) {
  // In Hono "/v1/enrolments/*" also matches "/v1/enrolments".
  app.use("/v1/enrolments/*", requireAuth(), requireRole("student"));
  // Already behind requireAuth: /v1/me/* (auth domain) for any signed-in role, and
  // /v1/admin/batches/* for admins and super admins (catalogue domain, registered first).
  for (const r of [
    createEnrolment,
    listMyEnrolments,
    cancelEnrolment,
    grantEnrolment,
    getBatchRoster,
  ]) {
    r.register(app);
  }
}
