import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { requireAuth, requireRole } from "../../middleware/auth";
import * as getKey from "./routes/get-rate-limit-key";
import * as top from "./routes/get-top-limited";
import * as reset from "./routes/reset-rate-limit-key";
import * as override from "./routes/set-rate-limit-override";

export function registerRateLimitRoutes(app: OpenAPIHono<AppEnv>) {
  // Limits are a way around every other control (lock someone out, unthrottle an attacker):
  // super admins only.
  app.use("/v1/admin/rate-limits/*", requireAuth(), requireRole("super_admin"));
  // /top before /{policy}/{identity}.
  for (const r of [top, getKey, reset, override]) r.register(app);
}
