import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { runAs } from "../../src/db/transaction";
import type { RateLimiter } from "../../src/durable-objects/rate-limiter";
import { handleError } from "../../src/lib/handle-error";
import { createRouter } from "../../src/lib/openapi";
import {
  type AnalyticsTarget,
  analyticsKeyFor,
  RateLimitAnalytics,
  topLimitedKeys,
} from "../../src/lib/rate-limit/analytics";
import { DenialCache, DurableObjectRateLimitClient } from "../../src/lib/rate-limit/client";
import { rateLimit } from "../../src/lib/rate-limit/middleware";
import { defaultPolicies, type Policies } from "../../src/lib/rate-limit/policies";
import { adminQuery, withDatabase } from "../support/database";
import { testEnv } from "../support/env";
import { fileDatabase } from "../support/setup";

const ns = env.RATE_LIMITER as DurableObjectNamespace<RateLimiter>;
const SALT = "test-salt-0123456789abcdef";
const MINUTE = 60_000;

/** A target on this file's database (the Worker's own role, so RLS applies), counting flushes. */
function target(url = withDatabase(testEnv.DATABASE_URL, fileDatabase())) {
  const writes = { connects: 0 };
  const t: AnalyticsTarget = {
    ipSalt: SALT,
    connect: () => {
      writes.connects++;
      return createDb({ url, wsProxy: testEnv.NEON_WS_PROXY, timeoutMs: 3_000 });
    },
  };
  return { target: t, writes };
}

interface CounterRow {
  policy: string;
  key: string;
  allowed: number;
  denied: number;
}

async function countersFor(keys: string[]): Promise<CounterRow[]> {
  return adminQuery<CounterRow>(
    `SELECT policy, key, sum(allowed)::int AS allowed, sum(denied)::int AS denied
       FROM rate_limit_counters WHERE key = ANY($1) GROUP BY policy, key ORDER BY key`,
    [keys],
    fileDatabase(),
  );
}

function app(
  policies: Policies,
  analytics: RateLimitAnalytics,
  t: AnalyticsTarget,
  counted: { checks: number },
) {
  const router = createRouter();
  router.get(
    "/strict",
    rateLimit("strict", {
      policies,
      analytics: () => t,
      analyticsBuffer: analytics,
      client: () =>
        new DurableObjectRateLimitClient(
          {
            idFromName: (name: string) => ns.idFromName(name),
            get: (id: DurableObjectId) => {
              const stub = ns.get(id);
              return {
                check: (...args: Parameters<typeof stub.check>) => {
                  counted.checks++;
                  return stub.check(...args);
                },
              };
            },
          } as unknown as DurableObjectNamespace<RateLimiter>,
          { cache: shortCircuit },
        ),
    }),
    (c) => c.json({ ok: true }),
  );
  router.onError(handleError);
  return router;
}

const shortCircuit = new DenialCache();

async function hit(router: ReturnType<typeof app>, ip: string) {
  const ctx = createExecutionContext();
  const res = await router.request("/strict", { headers: { "CF-Connecting-IP": ip } }, env, ctx);
  await waitOnExecutionContext(ctx);
  return res.status;
}

describe("rate-limit analytics", () => {
  beforeAll(async () => {
    await ns.get(ns.idFromName("warm-up")).ping();
  });

  it("a flood becomes a handful of batched writes with exact totals", async () => {
    let clock = Date.UTC(2026, 10, 28, 10, 0, 0);
    const analytics = new RateLimitAnalytics({
      flushIntervalMs: 5_000,
      maxEntries: 1_000,
      clock: () => clock,
    });
    const { target: t, writes } = target();
    const counted = { checks: 0 };
    const policies = { ...defaultPolicies, strict: { ...defaultPolicies.strict, limit: 5 } };
    const router = app(policies, analytics, t, counted);
    const ips = Array.from({ length: 3 }, (_, i) => `198.51.100.${i}-${crypto.randomUUID()}`);

    const statuses: number[] = [];
    // 3 IPs × 40 requests over 12 simulated seconds.
    for (let i = 0; i < 40; i++) {
      for (const ip of ips) statuses.push(await hit(router, ip));
      clock += 100;
    }
    await analytics.flush(t);

    expect(statuses.filter((s) => s === 200)).toHaveLength(15);
    expect(statuses.filter((s) => s === 429)).toHaveLength(105);
    // Most denials were short-circuited in the isolate, and still counted below.
    expect(counted.checks).toBeLessThan(30);
    expect(writes.connects).toBeGreaterThanOrEqual(1);
    expect(writes.connects).toBeLessThanOrEqual(4);

    const keys = await Promise.all(ips.map((ip) => analyticsKeyFor(`ip:${ip}`, SALT)));
    const rows = await countersFor(keys);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatchObject({ policy: "strict", allowed: 5, denied: 35 });
    // Stored IPs are salted hashes, never the address.
    const raw = await adminQuery<{ n: number }>(
      "SELECT count(*)::int AS n FROM rate_limit_counters WHERE key LIKE '%198.51.100.%'",
      [],
      fileDatabase(),
    );
    expect(raw[0]?.n).toBe(0);
  });

  it("flushes early when the buffer is full, and buckets by minute", async () => {
    let clock = Date.UTC(2026, 10, 28, 11, 0, 30);
    const analytics = new RateLimitAnalytics({
      flushIntervalMs: 120_000,
      maxEntries: 4,
      clock: () => clock,
    });
    const { target: t, writes } = target();
    const user = `user:${crypto.randomUUID()}`;
    const waits: Promise<unknown>[] = [];
    for (let i = 0; i < 3; i++) analytics.record("api", user, true);
    clock += MINUTE; // next bucket
    analytics.record("api", user, false);
    expect(analytics.maybeFlush(t, (p) => waits.push(p))).toBeUndefined(); // 2 rows < 4
    for (let i = 0; i < 2; i++) analytics.record("api", `user:${crypto.randomUUID()}`, false);
    analytics.record("auth", user, false);
    const flush = analytics.maybeFlush(t, (p) => waits.push(p));
    expect(await flush).toEqual({ ok: true, rows: 5 });
    expect(waits).toHaveLength(1);
    expect(writes.connects).toBe(1);
    const buckets = await adminQuery<{
      policy: string;
      bucket_start: Date;
      allowed: number;
      denied: number;
    }>(
      "SELECT policy, bucket_start, allowed, denied FROM rate_limit_counters WHERE key = $1 ORDER BY policy, bucket_start",
      [user],
      fileDatabase(),
    );
    expect(
      buckets.map((b) => [b.policy, new Date(b.bucket_start).toISOString(), b.allowed, b.denied]),
    ).toEqual([
      ["api", "2026-11-28T11:00:00.000Z", 3, 0],
      ["api", "2026-11-28T11:01:00.000Z", 0, 1],
      ["auth", "2026-11-28T11:01:00.000Z", 0, 1],
    ]);
  });

  it("a flush failure (database down) never fails the request, and the counts survive it", async () => {
    let clock = Date.UTC(2026, 10, 28, 12, 0, 0);
    const errors: unknown[] = [];
    const analytics = new RateLimitAnalytics({
      flushIntervalMs: 1_000,
      clock: () => clock,
      onFlushError: (err) => errors.push(err),
    });
    const down = new URL(withDatabase(testEnv.DATABASE_URL, fileDatabase()));
    down.port = testEnv.TEST_CLOSED_PORT;
    const { target: broken } = target(down.toString());
    const counted = { checks: 0 };
    const router = app(defaultPolicies, analytics, broken, counted);
    const ip = `192.0.2.1-${crypto.randomUUID()}`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(await hit(router, ip));
      clock += 1_000;
    }
    expect(statuses).toEqual([200, 200, 200]);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(analytics.size).toBe(1);

    const { target: healthy } = target();
    expect(await analytics.flush(healthy)).toEqual({ ok: true, rows: 1 });
    const rows = await countersFor([await analyticsKeyFor(`ip:${ip}`, SALT)]);
    expect(rows).toEqual([expect.objectContaining({ allowed: 3, denied: 0 })]);
  });

  it("topLimitedKeys lists the most denied keys (admin context)", async () => {
    const clock = Date.UTC(2026, 10, 28, 13, 0, 0);
    const analytics = new RateLimitAnalytics({ clock: () => clock });
    const tag = crypto.randomUUID();
    const heavy = `user:heavy-${tag}`;
    const light = `user:light-${tag}`;
    for (let i = 0; i < 7; i++) analytics.record("strict", heavy, false);
    for (let i = 0; i < 2; i++) analytics.record("strict", light, false);
    analytics.record("strict", light, true);
    analytics.record("api", `user:clean-${tag}`, true);
    analytics.record("api", heavy, false);
    const { target: t } = target();
    await analytics.flush(t);

    const { db, close } = t.connect();
    try {
      const asAdmin = (policy?: string) =>
        runAs(db, { userId: crypto.randomUUID(), role: "admin" }, (tx) =>
          topLimitedKeys({ db: tx, since: new Date(clock), policy, limit: 10 }),
        );
      const top = (await asAdmin()).filter((r) => r.key.endsWith(tag));
      expect(top.map((r) => [r.policy, r.key, r.denied, r.allowed])).toEqual([
        ["strict", heavy, 7, 0],
        ["strict", light, 2, 1],
        ["api", heavy, 1, 0],
      ]);
      expect(top[0]?.lastSeen).toEqual(new Date(clock));
      const apiOnly = (await asAdmin("api")).filter((r) => r.key.endsWith(tag));
      expect(apiOnly.map((r) => r.key)).toEqual([heavy]);
      // Without an admin context row-level security shows nothing.
      const anonymous = await topLimitedKeys({ db, since: new Date(clock), limit: 10 });
      expect(anonymous).toEqual([]);
    } finally {
      await close();
    }
  });
});
