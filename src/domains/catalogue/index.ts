import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { requireAuth, requireRole } from "../../middleware/auth";
import * as createBatch from "./routes/create-batch";
import * as createCourse from "./routes/create-course";
import * as getAdminCourse from "./routes/get-admin-course";
import * as listAdminCourses from "./routes/list-admin-courses";
import * as updateBatch from "./routes/update-batch";
import * as updateCourse from "./routes/update-course";

/** The catalogue's admin routes (admins and super admins). */
export function registerCatalogueRoutes(app: OpenAPIHono<AppEnv>) {
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
