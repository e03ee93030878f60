import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { requireAuth } from "../../middleware/auth";
import * as getRecording from "./routes/get-recording";
import * as listMyRecordings from "./routes/list-my-recordings";
import * as receiveZoomWebhook from "./routes/receive-zoom-webhook";

/**
 * Live classes: Zoom's webhook (no login: the signature is the credential; verified, limited
 * and deduplicated in its route) and the recordings students may watch. `/v1/me/*` is behind
 * requireAuth already (the auth domain registers it first).
 */
export function registerLiveRoutes(app: OpenAPIHono<AppEnv>) {
  receiveZoomWebhook.register(app);
  app.use("/v1/recordings/*", requireAuth());
  listMyRecordings.register(app);
  getRecording.register(app);
}
