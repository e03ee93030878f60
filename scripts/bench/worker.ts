/**
 * The benchmark's Worker: the real rate-limit middleware, client and Durable Object behind four
 * routes, and nothing else (no Postgres, no Sentry), so the numbers measure the limiter.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../src/lib/context";
import { AppError } from "../../src/lib/errors";
import { problemResponse } from "../../src/lib/problem";
import { rateLimit } from "../../src/lib/rate-limit/middleware";
import { defaultPolicies, type Policies } from "../../src/lib/rate-limit/policies";

export { RateLimiter } from "../../src/durable-objects/rate-limiter";

const withApiLimit = (limit: number, windowMs: number): Policies => ({
  ...defaultPolicies,
  api: { ...defaultPolicies.api, limit, windowMs },
});

const app = new Hono<AppEnv>();

app.get("/bare", (c) => c.json({ ok: true }));

// A fresh identity per request: every request is a new object (the worst case for the DO).
app.get(
  "/limited/many",
  async (c, next) => {
    c.set("userId", crypto.randomUUID());
    await next();
  },
  rateLimit("api", { policies: withApiLimit(100, 60_000) }),
  (c) => c.json({ ok: true }),
);

app.get(
  "/limited/hot-under",
  async (c, next) => {
    c.set("userId", "hot-under");
    await next();
  },
  rateLimit("api", { policies: withApiLimit(1_000_000_000, 60_000) }),
  (c) => c.json({ ok: true }),
);

// One request fits per hour: everything after the first is denied, mostly by the short-circuit.
app.get(
  "/limited/hot-over",
  async (c, next) => {
    c.set("userId", "hot-over");
    await next();
  },
  rateLimit("api", { policies: withApiLimit(1, 3_600_000) }),
  (c) => c.json({ ok: true }),
);

app.onError((err, c) => {
  const appError =
    err instanceof AppError ? err : new AppError({ code: "INTERNAL_ERROR", cause: err });
  return problemResponse(appError, new URL(c.req.url).pathname, "bench");
});

export default app;
