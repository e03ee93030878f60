import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { analyticsFromConfig, rateLimit } from "../../lib/rate-limit/middleware";
import { requireAuth } from "../../middleware/auth";
import * as changePassword from "./routes/change-password";
import * as forgotPassword from "./routes/forgot-password";
import * as getMe from "./routes/get-me";
import * as login from "./routes/login";
import * as logout from "./routes/logout";
import * as logoutAll from "./routes/logout-all";
import * as refresh from "./routes/refresh";
import * as resendVerification from "./routes/resend-verification";
import * as resetPassword from "./routes/reset-password";
import * as signup from "./routes/signup";
import * as updateMe from "./routes/update-me";
import * as verifyEmail from "./routes/verify-email";

/** Public auth routes, then the ones that need a signed-in user. */
export function registerAuthRoutes(app: OpenAPIHono<AppEnv>) {
  for (const r of [signup, login, refresh, logout, forgotPassword, resetPassword, verifyEmail]) {
    r.register(app);
  }
  // In Hono "/v1/me/*" also matches "/v1/me": one registration, one principal check.
  app.use("/v1/me/*", requireAuth());
  // Guessing the current password is a credential attack: the auth policy, per user.
  app.use(
    "/v1/me/password",
    rateLimit("auth", {
      key: { name: "user", extract: (c) => c.get("userId") },
      analytics: analyticsFromConfig,
    }),
  );
  app.use("/v1/auth/logout-all", requireAuth());
  app.use("/v1/auth/email/resend", requireAuth());
  for (const r of [getMe, updateMe, changePassword, logoutAll, resendVerification]) r.register(app);
}
