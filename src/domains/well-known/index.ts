import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { registerGetJwks } from "./routes/get-jwks";

/** Public documents under /.well-known (RFC 8615). */
export function registerWellKnownRoutes(app: OpenAPIHono<AppEnv>) {
  registerGetJwks(app);
}
