import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { requireAuth } from "../../middleware/auth";
import { FEED_PATH } from "../sessions/public";
import { changePasswordLimit } from "./limits";
import * as acceptInvitation from "./routes/accept-invitation";
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
  // Rate-limited like reset-password: limits.ts gives unlisted /v1/auth/* paths `recovery`.
  acceptInvitation.register(app);
  // In Hono "/v1/me/*" also matches "/v1/me": one registration, one principal check.
  // (The limits of /v1/auth/* are in limits.ts, registered by the app before the body parsers.)
  // Except the calendar feed: calendar apps send no headers, its token is in the URL.
  const authenticated = requireAuth();
  app.use("/v1/me/*", async function requireAuthExceptFeed(c, next) {
    if (c.req.path === FEED_PATH) return next();
    return authenticated(c, next);
  });
  app.use("/v1/me/password", changePasswordLimit());
  for (const r of [getMe, updateMe, changePassword, logoutAll, resendVerification]) r.register(app);
}
