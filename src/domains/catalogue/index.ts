import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { analyticsFromConfig, rateLimit } from "../../lib/rate-limit/middleware";
import { requireAuth, requireRole } from "../../middleware/auth";
import * as createBatch from "./routes/create-batch";
import * as createCourse from "./routes/create-course";
import * as getAdminCourse from "./routes/get-admin-course";
import * as getCourse from "./routes/get-course";
import * as listAdminCourses from "./routes/list-admin-courses";
import * as listCourses from "./routes/list-courses";
import * as updateBatch from "./routes/update-batch";
import * as updateCourse from "./routes/update-course";

/**
 * The catalogue: public reads (no login, cached, the `catalogue` limit per address) and the
 * admin routes that manage it (admins and super admins).
 */
export function registerCatalogueRoutes(app: OpenAPIHono<AppEnv>) {
  // In Hono "/v1/courses/*" also matches "/v1/courses".
  app.use("/v1/courses/*", rateLimit("catalogue", { analytics: analyticsFromConfig }));
  listCourses.register(app);
  getCourse.register(app);

  for (const path of ["/v1/admin/courses/*", "/v1/admin/batches/*"]) {
    app.use(path, requireAuth(), requireRole("admin", "super_admin"));
  }
  for (const r of [
    createCourse,
    listAdminCourses,
    getAdminCourse,
    updateCourse,
    createBatch,
    updateBatch,
  ]) {
    r.register(app);
  }
}
