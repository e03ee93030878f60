/**
 * The benchmark's Worker: the real rate-limit middleware, clients and Durable Object behind a
 * bare route and three scenarios in each mode (exact, fast), and nothing else (no Postgres, no
 * Sentry), so the numbers measure the limiter.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../src/lib/context";
import { AppError } from "../../src/lib/errors";
import { problemResponse } from "../../src/lib/problem";
import { rateLimit } from "../../src/lib/rate-limit/middleware";
import { defaultPolicies, type Policies } from "../../src/lib/rate-limit/policies";
import type { Mode } from "../../src/lib/rate-limit/types";

export { RateLimiter } from "../../src/durable-objects/rate-limiter";

const withApiLimit = (limit: number, windowMs: number, mode: Mode): Policies => ({
  ...defaultPolicies,
  api: { ...defaultPolicies.api, limit, windowMs, mode },
});

const app = new Hono<AppEnv>();

app.get("/bare", (c) => c.json({ ok: true }));

// Each scenario in both modes: `/limited/<mode>/<scenario>`.
for (const mode of ["exact", "fast"] as const) {
  // A fresh identity per request: in exact mode every request creates an object.
  app.get(
    `/limited/${mode}/many`,
    async (c, next) => {
      c.set("userId", crypto.randomUUID());
      await next();
    },
    rateLimit("api", { policies: withApiLimit(100, 60_000, mode) }),
    (c) => c.json({ ok: true }),
  );

  app.get(
    `/limited/${mode}/hot-under`,
    async (c, next) => {
      c.set("userId", `hot-under-${mode}`);
      await next();
    },
    rateLimit("api", { policies: withApiLimit(1_000_000_000, 60_000, mode) }),
    (c) => c.json({ ok: true }),
  );

  // One request fits per hour: everything after the first is denied, in exact mode mostly by
  // the short-circuit, in fast mode by the isolate's model.
  app.get(
    `/limited/${mode}/hot-over`,
    async (c, next) => {
      c.set("userId", `hot-over-${mode}`);
      await next();
    },
    rateLimit("api", { policies: withApiLimit(1, 3_600_000, mode) }),
    (c) => c.json({ ok: true }),
  );
}

app.onError((err, c) => {
  const appError =
    err instanceof AppError ? err : new AppError({ code: "INTERNAL_ERROR", cause: err });
  return problemResponse(appError, new URL(c.req.url).pathname, "bench");
});

export default app;
