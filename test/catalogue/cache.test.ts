/**
 * The cache as the public catalogue uses it, through the mounted app: Cache-Status on every
 * read, hits on repeat, invalidation by admin writes, corrupt KV values, stale-while-revalidate
 * and the admins' counters.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { courses } from "../../src/db/schema";
import { courseDetailCache, courseListCache } from "../../src/domains/catalogue/cache";
import { Cache, isolateCache } from "../../src/lib/cache";
import { batchBody, insertBatch, insertCourse } from "../support/catalogue";
import { Harness } from "../support/harness";

const HIT = "coaching-api; hit";
const MISS = "coaching-api; fwd=miss";
const STALE = "coaching-api; fwd=stale";

interface Counters {
  hits: number;
  memoryHits: number;
  staleServes: number;
  misses: number;
  invalid: number;
  refreshes: number;
  refreshFailures: number;
  kvErrors: number;
}
interface Stats {
  isolate: { id: string; total: Counters; kinds: Record<string, Counters> };
  fleet: { isolates: number; total: Counters; kinds: Record<string, Counters>; complete: boolean };
}

const uniqueCategory = () => `cat-${crypto.randomUUID().slice(0, 8)}`;

/** The KV key the course page of `slug` lives under now (what the app computes). */
function detailKey(h: Harness, slug: string) {
  return new Cache({ kv: h.env.CACHE, waitUntil: () => {} }).storageKey(courseDetailCache, {
    slug,
  });
}

async function status(h: Harness, path: string, headers: Record<string, string> = {}) {
  const res = await h.get<{ title?: string; data?: { title: string }[] }>(path, { headers });
  expect(res.status, res.text).toBe(200);
  return { cache: res.headers.get("Cache-Status"), body: res.body, text: res.text };
}

describe("Cache-Status on the public reads", () => {
  it("the second identical read is a hit with the same body; other reads are their own", async (t) => {
    const h = await Harness.init(t);
    const category = uniqueCategory();
    const course = await insertCourse(h.database, { category });

    const list = `/v1/courses?category=${category}`;
    const first = await status(h, list);
    const second = await status(h, list);
    expect([first.cache, second.cache]).toEqual([MISS, HIT]);
    expect(second.text).toBe(first.text);
    // Another page size is another entry.
    expect((await status(h, `${list}&limit=5`)).cache).toBe(MISS);

    const page = `/v1/courses/${course.slug}`;
    expect((await status(h, page)).cache).toBe(MISS);
    expect((await status(h, page)).cache).toBe(HIT);
    // From KV when this isolate's memory is gone (another isolate, or after eviction).
    isolateCache.memory.clear();
    expect((await status(h, page)).cache).toBe(HIT);
  });

  it("who asks does not matter: a student's token reads the same entry", async (t) => {
    const h = await Harness.init(t);
    const course = await insertCourse(h.database);
    const student = await h.asStudent();
    const page = `/v1/courses/${course.slug}`;
    expect((await status(h, page)).cache).toBe(MISS);
    expect((await status(h, page, student.auth)).cache).toBe(HIT);
    expect((await status(h, page, { Authorization: "Bearer not-a-token" })).cache).toBe(HIT);
  });

  it("nothing is cached for unknown slugs or empty filtered pages (no KV writes for made-up keys)", async (t) => {
    const h = await Harness.init(t);
    const before = (await h.env.CACHE.list({ prefix: "cache:v1:" })).keys.length;
    expect((await h.get("/v1/courses/no-such-course-here")).status).toBe(404);
    const empty = await status(h, `/v1/courses?category=${uniqueCategory()}`);
    expect(empty.cache).toBe(MISS);
    expect((await status(h, `/v1/courses?category=${uniqueCategory()}`)).cache).toBe(MISS);
    expect((await h.env.CACHE.list({ prefix: "cache:v1:" })).keys.length).toBe(before);
  });
});

describe("invalidation by admin writes", () => {
  it("a course change makes the list and the course page miss, with the new content", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const category = uniqueCategory();
    const course = await insertCourse(h.database, { category, title: "Old title" });
    const list = `/v1/courses?category=${category}`;
    const page = `/v1/courses/${course.slug}`;
    await status(h, list);
    await status(h, page);
    expect((await status(h, list)).cache).toBe(HIT);

    const res = await h.patch(
      `/v1/admin/courses/${course.id}`,
      { title: "New title" },
      { headers: admin.auth },
    );
    expect(res.status, res.text).toBe(200);
    const listAfter = await status(h, list);
    expect(listAfter.cache).toBe(MISS);
    expect(listAfter.body.data?.[0]?.title).toBe("New title");
    const pageAfter = await status(h, page);
    expect(pageAfter.cache).toBe(MISS);
    expect(pageAfter.body.title).toBe("New title");
  });

  it("publishing a draft shows it at once; archiving hides it at once", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const category = uniqueCategory();
    const live = await insertCourse(h.database, { category });
    const draft = await insertCourse(h.database, { category, status: "draft" });
    const list = `/v1/courses?category=${category}`;
    const ids = async () =>
      (await h.get<{ data: { id: string }[] }>(list)).body.data.map((c) => c.id);
    expect(await ids()).toEqual([live.id]);
    expect(await ids()).toEqual([live.id]); // cached

    const publish = await h.patch(
      `/v1/admin/courses/${draft.id}`,
      { status: "published" },
      { headers: admin.auth },
    );
    expect(publish.status, publish.text).toBe(200);
    expect(await ids()).toEqual([draft.id, live.id]);
    expect((await h.get(`/v1/courses/${draft.slug}`)).status).toBe(200);

    const archive = await h.patch(
      `/v1/admin/courses/${live.id}`,
      { status: "archived" },
      { headers: admin.auth },
    );
    expect(archive.status, archive.text).toBe(200);
    expect(await ids()).toEqual([draft.id]);
    expect((await h.get(`/v1/courses/${live.slug}`)).status).toBe(404);
  });

  it("a batch change makes only its course's page miss; the list stays cached", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const category = uniqueCategory();
    const course = await insertCourse(h.database, { category });
    const other = await insertCourse(h.database, { category });
    const list = `/v1/courses?category=${category}`;
    for (const path of [list, `/v1/courses/${course.slug}`, `/v1/courses/${other.slug}`]) {
      await status(h, path);
    }
    const created = await h.post<unknown, { id: string }>(
      `/v1/admin/courses/${course.id}/batches`,
      batchBody(),
      { headers: admin.auth },
    );
    expect(created.status, created.text).toBe(201);
    const page = await h.get<{ batches: { id: string }[] }>(`/v1/courses/${course.slug}`);
    expect(page.headers.get("Cache-Status")).toBe(MISS);
    expect(page.body.batches.map((b) => b.id)).toEqual([created.body.id]);
    expect((await status(h, `/v1/courses/${other.slug}`)).cache).toBe(HIT);
    expect((await status(h, list)).cache).toBe(HIT);

    const cancel = await h.patch(
      `/v1/admin/batches/${created.body.id}`,
      { status: "cancelled" },
      { headers: admin.auth },
    );
    expect(cancel.status, cancel.text).toBe(200);
    const after = await h.get<{ batches: unknown[] }>(`/v1/courses/${course.slug}`);
    expect(after.headers.get("Cache-Status")).toBe(MISS);
    expect(after.body.batches).toEqual([]);
  });

  it("a refused write (409) invalidates nothing", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const course = await insertCourse(h.database, { status: "published" });
    const page = `/v1/courses/${course.slug}`;
    await status(h, page);
    const refused = await h.patch(
      `/v1/admin/courses/${course.id}`,
      { status: "draft" },
      { headers: admin.auth },
    );
    expect(refused.status, refused.text).toBe(409);
    expect((await status(h, page)).cache).toBe(HIT);
  });
});

describe("bad or old entries", () => {
  it("a corrupt KV value is a miss with the right body, then a hit again", async (t) => {
    const h = await Harness.init(t);
    const course = await insertCourse(h.database, { title: "Right title" });
    const page = `/v1/courses/${course.slug}`;
    await status(h, page);
    const key = await detailKey(h, course.slug);
    for (const corrupt of [
      "{{{ not json",
      JSON.stringify({ t: Date.now(), v: { slug: course.slug, title: 42 } }),
      JSON.stringify({ t: Date.now(), v: [] }),
    ]) {
      await h.env.CACHE.put(key, corrupt);
      isolateCache.memory.clear();
      const read = await status(h, page);
      expect(read.cache, corrupt).toBe(MISS);
      expect(read.body.title).toBe("Right title");
      expect((await status(h, page)).cache).toBe(HIT);
    }
  });

  it("past its fresh time: served stale, refreshed once, then a hit with what the database has", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const course = await insertCourse(h.database, { title: "Before" });
    const page = `/v1/courses/${course.slug}`;
    await status(h, page);
    // Age the stored entry past its fresh minute (within its stale window)…
    const key = await detailKey(h, course.slug);
    const stored = JSON.parse((await h.env.CACHE.get(key)) ?? "{}") as { t: number };
    await h.env.CACHE.put(key, JSON.stringify({ ...stored, t: stored.t - 61_000 }));
    isolateCache.memory.clear();
    // …and change the database behind the cache's back (no invalidation).
    await h.db.update(courses).set({ title: "After" }).where(eq(courses.id, course.id));

    const statsBefore = (await h.get<Stats>("/v1/admin/cache/stats", { headers: admin.auth })).body;
    const reads = await Promise.all(Array.from({ length: 6 }, () => status(h, page)));
    const outcomes = reads.map((r) => r.cache);
    expect(outcomes[0]).toBe(STALE);
    expect(outcomes.every((o) => o === STALE || o === HIT)).toBe(true);
    for (const r of reads) expect(r.body.title).toBe(r.cache === STALE ? "Before" : "After");
    const statsAfter = (await h.get<Stats>("/v1/admin/cache/stats", { headers: admin.auth })).body;
    const delta = (name: keyof Counters) =>
      (statsAfter.isolate.kinds["courses.detail"]?.[name] ?? 0) -
      (statsBefore.isolate.kinds["courses.detail"]?.[name] ?? 0);
    expect(delta("refreshes")).toBe(1);
    expect(delta("staleServes")).toBe(outcomes.filter((o) => o === STALE).length);
    expect(delta("misses")).toBe(0);

    const after = await status(h, page);
    expect([after.cache, after.body.title]).toEqual([HIT, "After"]);
  });

  it("a batch whose enrolment window opens later appears when it opens, without a refill", async (t) => {
    const h = await Harness.init(t);
    const course = await insertCourse(h.database);
    const batch = await insertBatch(h.database, course.id, {
      opensAt: new Date(Date.now() + 1_500),
      closesAt: new Date(Date.now() + 86_400_000),
    });
    const page = `/v1/courses/${course.slug}`;
    const before = await h.get<{ batches: { id: string }[] }>(page);
    expect(before.body.batches).toEqual([]);
    await new Promise((r) => setTimeout(r, 1_600));
    const after = await h.get<{ batches: { id: string }[] }>(page);
    expect(after.headers.get("Cache-Status")).toBe(HIT);
    expect(after.body.batches.map((b) => b.id)).toEqual([batch.id]);
  });
});

describe("GET /v1/admin/cache/stats", () => {
  it("counts hits, misses and stale serves per kind, for this isolate and summed over isolates", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const get = async () => {
      const res = await h.get<Stats>("/v1/admin/cache/stats", { headers: admin.auth });
      expect(res.status, res.text).toBe(200);
      return res.body;
    };
    const before = await get();
    const category = uniqueCategory();
    await insertCourse(h.database, { category });
    for (let i = 0; i < 3; i++) await status(h, `/v1/courses?category=${category}`);
    const after = await get();
    const kind = (s: Stats) => s.isolate.kinds[courseListCache.name];
    expect((kind(after)?.misses ?? 0) - (kind(before)?.misses ?? 0)).toBe(1);
    expect((kind(after)?.hits ?? 0) - (kind(before)?.hits ?? 0)).toBe(2);
    expect(after.isolate.total.hits).toBeGreaterThanOrEqual(after.isolate.total.memoryHits);
    // The aggregate includes this isolate (live) and any other isolate's last report.
    expect(after.fleet.isolates).toBeGreaterThanOrEqual(1);
    expect(after.fleet.kinds[courseListCache.name]?.misses ?? 0).toBeGreaterThanOrEqual(
      kind(after)?.misses ?? 0,
    );
    expect(after.fleet.complete).toBe(true);
  });
});
