/**
 * The public catalogue through the mounted app, without a login: what anonymous readers may
 * see (published only; drafts and archived courses are 404, never 403), filters and keyset
 * pages, a course's open batches, and the per-address limit.
 */
import { describe, expect, it } from "vitest";
import { defaultPolicies, syncBatchOf } from "../../src/lib/rate-limit/policies";
import { batchBody, insertBatch, insertCourse } from "../support/catalogue";
import { Harness } from "../support/harness";

interface Summary {
  id: string;
  slug: string;
  publishedAt: string;
  category: string;
  level: string;
  language: string;
}
interface Page {
  data: Summary[];
  pagination: { limit: number; nextCursor: string | null; hasMore: boolean };
}
interface PublicBatch {
  id: string;
  seatsLeft: number;
  capacity: number;
  pricePaise: number;
  nextSessionAt: string | null;
  enrolmentClosesAt: string;
}
interface PublicCourse extends Summary {
  description: string;
  pricePaise: number;
  batches: PublicBatch[];
}

const DAY = 86_400_000;
const uniqueCategory = () => `cat-${crypto.randomUUID().slice(0, 8)}`;

/** Every page of a list, following `nextCursor`. */
async function allPages(h: Harness, query: string): Promise<Summary[]> {
  const seen: Summary[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: Page; text: string } = await h.get<Page>(
      `/v1/courses?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    expect(res.status, res.text).toBe(200);
    seen.push(...res.body.data);
    cursor = res.body.pagination.nextCursor;
  } while (cursor);
  return seen;
}

describe("GET /v1/courses", () => {
  it("shows only published courses, newest first, in keyset pages", async (t) => {
    const h = await Harness.init(t);
    const category = uniqueCategory();
    const published = [];
    for (let i = 0; i < 5; i++) {
      published.push(
        await insertCourse(h.database, {
          category,
          publishedAt: new Date(Date.now() - (10 - i) * 60_000),
        }),
      );
    }
    await insertCourse(h.database, { category, status: "draft" });
    await insertCourse(h.database, { category, status: "archived" });

    const first = await h.get<Page>(`/v1/courses?category=${category}&limit=2`);
    expect(first.status, first.text).toBe(200);
    expect(first.body.pagination).toMatchObject({ limit: 2, hasMore: true });
    expect(first.headers.get("Link")).toMatch(/rel="next"/);
    const seen = await allPages(h, `category=${category}&limit=2`);
    expect(seen.map((c) => c.id)).toEqual(published.map((c) => c.id).reverse());
    // Nothing of an admin's view leaks: no status, no description, no timestamps of drafts.
    expect(Object.keys(first.body.data[0] ?? {}).sort()).toEqual(
      [
        "category",
        "gstInclusive",
        "id",
        "language",
        "level",
        "pricePaise",
        "publishedAt",
        "slug",
        "summary",
        "title",
      ].sort(),
    );
  });

  it("filters by category, level and language, together", async (t) => {
    const h = await Harness.init(t);
    const category = uniqueCategory();
    const match = await insertCourse(h.database, { category, level: "advanced", language: "ta" });
    await insertCourse(h.database, { category, level: "advanced", language: "hi" });
    await insertCourse(h.database, { category, level: "beginner", language: "ta" });
    await insertCourse(h.database, {
      category: uniqueCategory(),
      level: "advanced",
      language: "ta",
    });

    const both = await allPages(h, `category=${category}&level=advanced&language=ta`);
    expect(both.map((c) => c.id)).toEqual([match.id]);
    const tamil = await allPages(h, `category=${category}&language=ta`);
    expect(tamil).toHaveLength(2);
    expect(tamil.every((c) => c.language === "ta" && c.category === category)).toBe(true);
    const none = await h.get<Page>(`/v1/courses?category=${category}&level=intermediate`);
    expect(none.status, none.text).toBe(200);
    expect(none.body).toEqual({
      data: [],
      pagination: { limit: 20, nextCursor: null, hasMore: false },
    });
  });

  it.for([
    "limit=0",
    "limit=101",
    "level=expert",
    "language=hindi",
    "category=JEE",
    "category=a%00b",
    "cursor=not-a-cursor",
  ])("refuses %s → 400", async (query, t) => {
    const h = await Harness.init(t);
    const res = await h.get<{ code: string }>(`/v1/courses?${query}`);
    expect(res.status, res.text).toBe(400);
    expect(res.body.code).toBe("VALIDATION_FAILED");
  });

  it("a cursor only works on the list (and filters) it came from", async (t) => {
    const h = await Harness.init(t);
    const category = uniqueCategory();
    for (let i = 0; i < 3; i++) await insertCourse(h.database, { category, language: "hi" });
    const first = await h.get<Page>(`/v1/courses?category=${category}&limit=1`);
    const cursor = encodeURIComponent(first.body.pagination.nextCursor ?? "");
    const foreign = await h.get(
      `/v1/courses?category=${category}&language=hi&limit=1&cursor=${cursor}`,
    );
    expect(foreign.status, foreign.text).toBe(400);
    const tampered = await h.get(`/v1/courses?category=${category}&limit=1&cursor=${cursor}x`);
    expect(tampered.status, tampered.text).toBe(400);
  });
});

describe("GET /v1/courses/{slug}", () => {
  it("a published course with the batches open for enrolment now, seats left and price", async (t) => {
    const h = await Harness.init(t);
    const course = await insertCourse(h.database, { pricePaise: 500_000 });
    const now = Date.now();
    const open = await insertBatch(h.database, course.id, { capacity: 30 });
    const running = await insertBatch(h.database, course.id, {
      status: "running",
      pricePaiseOverride: 450_000,
    });
    await insertBatch(h.database, course.id, { status: "cancelled" });
    await insertBatch(h.database, course.id, { status: "completed" });
    await insertBatch(h.database, course.id, {
      opensAt: new Date(now - 10 * DAY),
      closesAt: new Date(now - DAY),
    });
    await insertBatch(h.database, course.id, {
      opensAt: new Date(now + DAY),
      closesAt: new Date(now + 5 * DAY),
    });

    const res = await h.get<PublicCourse>(`/v1/courses/${course.slug}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id: course.id, slug: course.slug, pricePaise: 500_000 });
    expect(res.body.batches.map((b) => b.id).sort()).toEqual([open.id, running.id].sort());
    const byId = new Map(res.body.batches.map((b) => [b.id, b]));
    // No enrolments table yet: every seat is free (see seatsTaken in service/public.ts).
    expect(byId.get(open.id)).toMatchObject({
      capacity: 30,
      seatsLeft: 30,
      pricePaise: 500_000,
      nextSessionAt: null,
    });
    expect(byId.get(running.id)?.pricePaise).toBe(450_000);
  });

  it.for(["draft", "archived"] as const)(
    "a %s course is 404, exactly like a slug that never existed",
    async (status, t) => {
      const h = await Harness.init(t);
      const hidden = await insertCourse(h.database, { status });
      const student = await h.asStudent();
      const res = await h.get<{ code: string; detail: string }>(`/v1/courses/${hidden.slug}`, {
        headers: student.auth,
      });
      const unknown = await h.get<{ code: string; detail: string }>(
        "/v1/courses/no-such-course-anywhere",
      );
      expect(res.status, res.text).toBe(404);
      expect(unknown.status, unknown.text).toBe(404);
      expect(res.body.detail).toBe(unknown.body.detail);
      // And absent from the list.
      const list = await h.get<Page>(`/v1/courses?category=jee&limit=100`);
      expect(list.body.data.map((c) => c.id)).not.toContain(hidden.id);
    },
  );

  it("a malformed slug → 400", async (t) => {
    const h = await Harness.init(t);
    for (const slug of ["UPPER", "a", "bad_slug", "x--y"]) {
      const res = await h.get(`/v1/courses/${slug}`);
      expect(res.status, `${slug}: ${res.text}`).toBe(400);
    }
  });

  it("a published course's batch made through the API shows up there", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const course = await insertCourse(h.database);
    const created = await h.post<unknown, { id: string }>(
      `/v1/admin/courses/${course.id}/batches`,
      batchBody({ capacity: 25 }),
      { headers: admin.auth },
    );
    expect(created.status, created.text).toBe(201);
    const res = await h.get<PublicCourse>(`/v1/courses/${course.slug}`);
    expect(res.body.batches).toEqual([
      expect.objectContaining({ id: created.body.id, seatsLeft: 25 }),
    ]);
  });
});

describe("the catalogue's rate limit", () => {
  it("is per address, and says so in the headers", async (t) => {
    const h = await Harness.init(t, {
      env: { RATE_LIMIT_POLICIES: JSON.stringify({ catalogue: { limit: 3 } }) },
    });
    const course = await insertCourse(h.database);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const path = i % 2 ? `/v1/courses/${course.slug}` : "/v1/courses";
      const res = await h.get(path);
      statuses.push(res.status);
      if (res.status === 200) expect(res.headers.get("RateLimit-Policy")).toMatch(/^"catalogue"/);
      if (res.status === 429) {
        expect(res.headers.get("Retry-After")).toMatch(/^\d+$/);
        expect(res.text).toContain("RATE_LIMITED");
      }
    }
    // Fast mode, one isolate: exactly the limit is admitted (the object confirms each batch).
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    // Another address (another classroom) is not affected.
    const other = await h.get("/v1/courses", { headers: { "CF-Connecting-IP": "203.0.113.77" } });
    expect(other.status, other.text).toBe(200);
  });

  it("is sized for a classroom behind one address: 600 a minute by default", async (t) => {
    const h = await Harness.init(t);
    const res = await h.get("/v1/courses");
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("RateLimit-Policy")).toBe('"catalogue";q=600;w=60');
    // Decided in the isolate: over-admission is bounded by the sync batch per isolate.
    expect(defaultPolicies.catalogue).toMatchObject({ mode: "fast", failureMode: "open" });
    expect(syncBatchOf(defaultPolicies.catalogue)).toBe(60);
  });
});
