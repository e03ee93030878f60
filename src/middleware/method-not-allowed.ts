import type { Hono, NotFoundHandler } from "hono";
import { PatternRouter } from "hono/router/pattern-router";
import type { AppEnv } from "../lib/context";
import { AppError } from "../lib/errors";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/**
 * notFound handler that tells "no such path" (404) from "path exists, wrong method" (405 with
 * Allow). The route table is compiled once, on first use, from the app's registered routes.
 */
export function notFoundOrMethodNotAllowed(app: Hono<AppEnv>): NotFoundHandler<AppEnv> {
  let router: PatternRouter<string> | undefined;
  return (c) => {
    if (!router) {
      router = new PatternRouter<string>();
      for (const r of app.routes) {
        if (r.method !== "ALL") router.add(r.method, r.path, r.method);
      }
    }
    const path = new URL(c.req.url).pathname;
    const allowed = METHODS.filter((m) => router?.match(m, path)[0].length);
    if (allowed.length > 0) {
      if (allowed.includes("GET")) allowed.push("HEAD" as never);
      throw new AppError({
        code: "METHOD_NOT_ALLOWED",
        detail: `${c.req.method} is not allowed on ${path}. Allowed: ${allowed.join(", ")}.`,
        headers: { Allow: allowed.join(", ") },
      });
    }
    throw new AppError({ code: "NOT_FOUND", detail: `No route matches ${c.req.method} ${path}.` });
  };
}
