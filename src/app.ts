import type { OpenAPIHono } from "@hono/zod-openapi";
import { secureHeaders } from "hono/secure-headers";
import { registerAdminRoutes } from "./domains/admin";
import { registerAdminRequestRoutes } from "./domains/admin-requests";
import { registerAuthRoutes } from "./domains/auth";
import { registerAuthLimits } from "./domains/auth/limits";
import { registerCatalogueRoutes } from "./domains/catalogue";
import { registerCertificateRoutes } from "./domains/certificates";
import { registerEnrolmentRoutes } from "./domains/enrolments";
import { registerGetLiveness, registerGetReadiness } from "./domains/health";
import { registerInboxRoutes } from "./domains/inbox";
import { isCsvImport, registerLeadRoutes } from "./domains/leads";
import { registerLiveRoutes } from "./domains/live";
import { registerNotificationRoutes } from "./domains/notifications";
import { registerPaymentRoutes } from "./domains/payments";
import { registerRateLimitRoutes } from "./domains/rate-limits";
import { registerSessionRoutes } from "./domains/sessions";
import { isAttachmentUpload, registerTicketRoutes } from "./domains/tickets";
import { registerWellKnownRoutes } from "./domains/well-known";
import type { AppEnv } from "./lib/context";
import { handleError } from "./lib/handle-error";
import { createRouter } from "./lib/openapi";
import { analyticsFromConfig, rateLimit } from "./lib/rate-limit/middleware";
import { bodyLimitFromConfig } from "./middleware/body-limit";
import { corsFromConfig } from "./middleware/cors";
import { init } from "./middleware/init";
import { notFoundOrMethodNotAllowed } from "./middleware/method-not-allowed";
import { requestId } from "./middleware/request-id";
import { requestLog } from "./middleware/request-log";
import { requireJson } from "./middleware/require-json";
import { registerInstamojoDevPages } from "./providers/instamojo";
import { registerZoomDevPages } from "./providers/zoom";

export const API_VERSION = "0.1.0";

/** The whole HTTP surface. Order matters: see the comments at each step. */
export function createApp(): OpenAPIHono<AppEnv> {
  const app = createRouter();

  app.use("*", requestId());
  app.use("*", requestLog());
  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      referrerPolicy: "no-referrer",
      // A page that needs its own policy (the dev checkout's forms) sets it; all else gets this.
      overwrite: false,
    }),
  );

  app.use("*", corsFromConfig());

  // Registered before `init` so liveness answers even when configuration is broken.
  registerGetLiveness(app);

  app.use("*", init());
  // The attachment upload (multipart, up to 10 MB) has its own limit on its route.
  const limitBody = bodyLimitFromConfig();
  app.use("*", (c, next) =>
    isAttachmentUpload(c.req.method, c.req.path) ? next() : limitBody(c, next),
  );
  // JSON only, except the leads import (a CSV file) and the attachment upload (multipart).
  const json = requireJson();
  app.use("*", (c, next) =>
    isCsvImport(c.req.method, c.req.path, c.req.header("Content-Type")) ||
    isAttachmentUpload(c.req.method, c.req.path)
      ? next()
      : json(c, next),
  );
  // After the body limit: per-account and per-session counters read the (size-checked) body.
  registerAuthLimits(app);
  app.use("/v1/admin-requests/verify", rateLimit("strict", { analytics: analyticsFromConfig }));

  app.use("/health/ready", rateLimit("health", { analytics: analyticsFromConfig }));
  registerGetReadiness(app);
  // After init: the JWKS comes from configuration (CERT_SIGNING_KEY, CERT_PREVIOUS_KEYS).
  registerWellKnownRoutes(app);
  registerAuthRoutes(app);
  registerAdminRequestRoutes(app);
  registerAdminRoutes(app);
  registerRateLimitRoutes(app);
  registerCatalogueRoutes(app);
  registerLiveRoutes(app);
  registerEnrolmentRoutes(app);
  // After enrolments: checkout (/v1/enrolments/{id}/payments) runs behind their auth and role.
  registerPaymentRoutes(app);
  registerCertificateRoutes(app);
  registerSessionRoutes(app);
  registerLeadRoutes(app);
  registerNotificationRoutes(app);
  // The CRM inbox (admins) and the messaging providers' webhooks (signed, no login).
  registerInboxRoutes(app);
  // Support tickets (students and admins) and their attachments.
  registerTicketRoutes(app);
  // Development and tests only (404 elsewhere): where the dev Zoom provider's join URLs lead.
  registerZoomDevPages(app);
  // Likewise: the dev payments provider's checkout page, which posts the webhook to this app.
  registerInstamojoDevPages(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "Access token from /v1/auth/login, /signup or /refresh (15 minutes)",
  });

  app.doc31("/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: {
      title: "Coaching API",
      version: API_VERSION,
      description:
        "API for students and admins of the coaching business. Errors are RFC 9457 " +
        "problem+json bodies with a stable `code`.",
    },
    servers: [{ url: new URL(c.req.url).origin }],
  }));

  app.notFound(notFoundOrMethodNotAllowed(app));
  app.onError(handleError);
  return app;
}
