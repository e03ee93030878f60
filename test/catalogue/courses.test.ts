/**
 * The admin side of the catalogue's courses, through the mounted app: create, change, list,
 * read; validation, duplicates, status transitions, audit rows, and who may do it.
 */
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs, courses } from "../../src/db/schema";
import type { CourseView } from "../../src/domains/catalogue/schemas";
import { courseBody, freshSlug, insertBatch, insertCourse } from "../support/catalogue";
import { Harness } from "../support/harness";

interface Problem {
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
  allowedStatuses?: string[];
  status: number;
}

interface Page<T> {
  data: T[];
  pagination: { nextCursor?: string | null; hasMore?: boolean; total?: number };
}

const auditRows = (h: Harness, entityId: string) =>
  h.db
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.entityType, "course"), eq(auditLogs.entityId, entityId)))
    .orderBy(auditLogs.id);

describe("admin: create a course", () => {
  it("creates a draft, sanitises the description, audits the creation", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const body = courseBody({
      description: '<p onclick="x()">Hi</p><script>alert(1)</script><a href="javascript:x">y</a>',
    });
    const res = await h.post<unknown, CourseView>("/v1/admin/courses", body, {
      headers: admin.auth,
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      slug: body.slug,
      status: "draft",
      nextStatuses: ["published", "archived"],
      publishedAt: null,
      pricePaise: 1_499_900,
      gstInclusive: true,
      certificateMinAttendancePct: 75,
      language: "hi",
    });
    expect(res.body.description).not.toMatch(/script|onclick|javascript/);
    expect(res.body.description).toContain("<p>Hi</p>");

    const [audit] = await auditRows(h, res.body.id);
    expect(audit).toMatchObject({
      action: "course.create",
      actorId: admin.id,
      actorRole: "admin",
      after: expect.objectContaining({ slug: body.slug, status: "draft" }),
    });
  });

  it.for<[string, Record<string, unknown>, string]>([
    ["a slug with capitals", { slug: "JEE-Physics" }, "slug"],
    ["a slug with spaces", { slug: "jee physics" }, "slug"],
    ["a slug with a double hyphen", { slug: "jee--physics" }, "slug"],
    ["a slug ending in a hyphen", { slug: "jee-physics-" }, "slug"],
    ["a slug too short", { slug: "ab" }, "slug"],
    ["a slug too long", { slug: "a".repeat(81) }, "slug"],
    ["a slug with non-ASCII letters", { slug: "हिंदी-course" }, "slug"],
    ["a negative price", { pricePaise: -1 }, "pricePaise"],
    ["a fractional price", { pricePaise: 99.5 }, "pricePaise"],
    ["a price above ₹10 lakh", { pricePaise: 100_000_001 }, "pricePaise"],
    ["attendance above 100 %", { certificateMinAttendancePct: 101 }, "certificateMinAttendancePct"],
    ["an unknown level", { level: "expert" }, "level"],
    ["a three-letter language", { language: "hin" }, "language"],
    ["a category with capitals", { category: "JEE" }, "category"],
    ["an empty title", { title: "   " }, "title"],
    ["a NUL in the summary", { summary: "a\u0000b" }, "summary"],
    ["a status (courses start as drafts)", { status: "published" }, "(root)"],
    ["an unknown field", { featured: true }, "(root)"],
  ])("refuses %s → 400, nothing written", async ([, override, path], t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const body = courseBody(override);
    const res = await h.post<unknown, Problem>("/v1/admin/courses", body, {
      headers: admin.auth,
    });
    expect(res.status, res.text).toBe(400);
    expect(res.body.code).toBe("VALIDATION_FAILED");
    expect(res.body.errors?.map((e) => e.path)).toContain(path);
    if (typeof body.slug === "string") {
      expect(await h.db.select().from(courses).where(eq(courses.slug, body.slug))).toEqual([]);
    }
  });

  it("a slug that is taken → 409, and the first course is untouched", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const body = courseBody();
    const first = await h.post("/v1/admin/courses", body, { headers: admin.auth });
    expect(first.status, first.text).toBe(201);
    const again = await h.post<unknown, Problem>(
      "/v1/admin/courses",
      { ...body, title: "Another title" },
      { headers: admin.auth },
    );
    expect(again.status, again.text).toBe(409);
    expect(again.body.code).toBe("CONFLICT");
    const rows = await h.db.select().from(courses).where(eq(courses.slug, body.slug));
    expect(rows.map((r) => r.title)).toEqual([body.title]);
    // Only the creation that happened is audited.
    const created = (first.body as CourseView).id;
    const creations = await h.db
      .select()
      .from(auditLogs)
      .where(eq(auditLogs.action, "course.create"));
    expect(creations.filter((r) => JSON.stringify(r.after).includes(body.slug))).toHaveLength(1);
    expect((await auditRows(h, created)).map((r) => r.action)).toEqual(["course.create"]);
  });

  it("students get 403 and anonymous callers 401, and nothing is written", async (t) => {
    const h = await Harness.init(t);
    const student = await h.asStudent();
    const body = courseBody();
    const asStudent = await h.post("/v1/admin/courses", body, { headers: student.auth });
    expect(asStudent.status, asStudent.text).toBe(403);
    const anonymous = await h.post("/v1/admin/courses", body);
    expect(anonymous.status, anonymous.text).toBe(401);
    expect(await h.db.select().from(courses).where(eq(courses.slug, body.slug))).toEqual([]);
  });
});

describe("admin: change a course", () => {
  async function created(h: Harness, auth: Record<string, string>) {
    const res = await h.post<unknown, CourseView>("/v1/admin/courses", courseBody(), {
      headers: auth,
    });
    expect(res.status, res.text).toBe(201);
    return res.body;
  }

  it("draft → published → archived, each audited with before and after", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin("super_admin");
    const course = await created(h, admin.auth);
    const publish = await h.patch<unknown, CourseView>(
      `/v1/admin/courses/${course.id}`,
      { status: "published", pricePaise: 999_900 },
      { headers: admin.auth },
    );
    expect(publish.status, publish.text).toBe(200);
    expect(publish.body).toMatchObject({
      status: "published",
      pricePaise: 999_900,
      nextStatuses: ["archived"],
    });
    expect(Date.parse(publish.body.publishedAt ?? "")).toBeGreaterThan(Date.now() - 60_000);

    const archive = await h.patch<unknown, CourseView>(
      `/v1/admin/courses/${course.id}`,
      { status: "archived" },
      { headers: admin.auth },
    );
    expect(archive.status, archive.text).toBe(200);
    expect(archive.body).toMatchObject({ status: "archived", nextStatuses: [] });
    // Archiving keeps the first publication's date.
    expect(archive.body.publishedAt).toBe(publish.body.publishedAt);

    const rows = await auditRows(h, course.id);
    expect(rows.map((r) => r.action)).toEqual([
      "course.create",
      "course.publish",
      "course.archive",
    ]);
    expect(rows[1]).toMatchObject({
      actorRole: "super_admin",
      before: expect.objectContaining({ status: "draft", pricePaise: 1_499_900 }),
      after: expect.objectContaining({ status: "published", pricePaise: 999_900 }),
    });
  });

  it.for<[string, string, string, string[]]>([
    ["published", "draft", "published", ["archived"]],
    ["archived", "published", "archived", []],
    ["archived", "draft", "archived", []],
  ])(
    "a %s course cannot become %s → 409 naming the allowed statuses",
    async ([from, to, status, allowed], t) => {
      const h = await Harness.init(t);
      const admin = await h.asAdmin();
      const course = await insertCourse(h.database, {
        status: from as "published" | "archived",
      });
      const res = await h.patch<unknown, Problem>(
        `/v1/admin/courses/${course.id}`,
        { status: to, title: "Changed too" },
        { headers: admin.auth },
      );
      expect(res.status, res.text).toBe(409);
      expect(res.body).toMatchObject({
        code: "CONFLICT",
        status: 409,
        allowedStatuses: allowed,
      });
      const [row] = await h.db.select().from(courses).where(eq(courses.id, course.id));
      expect(row).toMatchObject({ status, title: "A course" });
      expect(await auditRows(h, course.id)).toEqual([]);
    },
  );

  it("a draft may be archived without being published", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const course = await created(h, admin.auth);
    const res = await h.patch<unknown, CourseView>(
      `/v1/admin/courses/${course.id}`,
      { status: "archived" },
      { headers: admin.auth },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: "archived", publishedAt: null });
  });

  it("the slug changes while a draft, and is fixed once published (409)", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const course = await created(h, admin.auth);
    const renamed = freshSlug("renamed");
    const res = await h.patch<unknown, CourseView>(
      `/v1/admin/courses/${course.id}`,
      { slug: renamed },
      { headers: admin.auth },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.slug).toBe(renamed);

    const live = await insertCourse(h.database, { status: "published" });
    const refused = await h.patch<unknown, Problem>(
      `/v1/admin/courses/${live.id}`,
      { slug: freshSlug() },
      { headers: admin.auth },
    );
    expect(refused.status, refused.text).toBe(409);
    // The same slug again is no change at all.
    const same = await h.patch(
      `/v1/admin/courses/${live.id}`,
      { slug: live.slug },
      { headers: admin.auth },
    );
    expect(same.status, same.text).toBe(200);
  });

  it("renaming to a slug that is taken → 409", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const taken = await insertCourse(h.database, { status: "draft" });
    const course = await created(h, admin.auth);
    const res = await h.patch<unknown, Problem>(
      `/v1/admin/courses/${course.id}`,
      { slug: taken.slug },
      { headers: admin.auth },
    );
    expect(res.status, res.text).toBe(409);
    expect(res.body.detail).toContain(taken.slug);
  });

  it("a change to nothing new is a 200 without an audit row", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const course = await created(h, admin.auth);
    const res = await h.patch<unknown, CourseView>(
      `/v1/admin/courses/${course.id}`,
      { status: "draft", title: course.title },
      { headers: admin.auth },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.updatedAt).toBe(course.updatedAt);
    expect((await auditRows(h, course.id)).map((r) => r.action)).toEqual(["course.create"]);
  });

  it.for<[string, unknown, number]>([
    ["an empty body", {}, 400],
    ["a negative price", { pricePaise: -5 }, 400],
    ["an unknown status", { status: "deleted" }, 400],
    ["an unknown field", { batches: [] }, 400],
  ])("refuses %s", async ([, body, status], t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const course = await insertCourse(h.database, { status: "draft" });
    const res = await h.patch(`/v1/admin/courses/${course.id}`, body, { headers: admin.auth });
    expect(res.status, res.text).toBe(status);
  });

  it("an unknown course → 404; a malformed id → 400", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const missing = await h.patch(
      `/v1/admin/courses/${crypto.randomUUID()}`,
      { title: "x" },
      { headers: admin.auth },
    );
    expect(missing.status, missing.text).toBe(404);
    const malformed = await h.patch(
      "/v1/admin/courses/not-a-uuid",
      { title: "x" },
      { headers: admin.auth },
    );
    expect(malformed.status, malformed.text).toBe(400);
    const read = await h.get(`/v1/admin/courses/${crypto.randomUUID()}`, { headers: admin.auth });
    expect(read.status, read.text).toBe(404);
  });

  it("students may not change a course (403), nothing changes", async (t) => {
    const h = await Harness.init(t);
    const student = await h.asStudent();
    const course = await insertCourse(h.database, { status: "draft" });
    const res = await h.patch(
      `/v1/admin/courses/${course.id}`,
      { status: "published" },
      { headers: student.auth },
    );
    expect(res.status, res.text).toBe(403);
    const [row] = await h.db.select().from(courses).where(eq(courses.id, course.id));
    expect(row?.status).toBe("draft");
  });
});

describe("admin: read courses", () => {
  it("lists every status, filters by status, category, level and language, pages", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const category = `cat-${crypto.randomUUID().slice(0, 6)}`;
    const made = [];
    for (const [status, level, language] of [
      ["draft", "beginner", "en"],
      ["published", "beginner", "hi"],
      ["published", "advanced", "hi"],
      ["archived", "advanced", "ta"],
      ["draft", "advanced", "hi"],
    ] as const) {
      made.push(await insertCourse(h.database, { status, level, language, category }));
    }
    const get = (query: string) =>
      h.get<Page<CourseView>>(`/v1/admin/courses?category=${category}&${query}`, {
        headers: admin.auth,
      });

    const all = await get("limit=2");
    expect(all.status, all.text).toBe(200);
    const seen = [...all.body.data];
    let cursor = all.body.pagination.nextCursor;
    while (cursor) {
      const next = await get(`limit=2&cursor=${encodeURIComponent(cursor)}`);
      expect(next.status, next.text).toBe(200);
      seen.push(...next.body.data);
      cursor = next.body.pagination.nextCursor;
    }
    // Newest first, every status.
    expect(seen.map((c) => c.id)).toEqual(made.map((c) => c.id).reverse());

    const drafts = await get("status=draft");
    expect(drafts.body.data.map((c) => c.status)).toEqual(["draft", "draft"]);
    const hindiAdvanced = await get("language=hi&level=advanced");
    expect(hindiAdvanced.body.data.map((c) => c.id).sort()).toEqual(
      [made[2]?.id, made[4]?.id].sort(),
    );
    const offset = await get("page=2&perPage=2");
    expect(offset.status, offset.text).toBe(200);
    expect(offset.body.pagination).toMatchObject({ total: 5 });
    expect(offset.body.data).toHaveLength(2);

    // A cursor from one filter does not work with another.
    const first = await get("status=draft&limit=1");
    const foreign = await get(
      `status=published&limit=1&cursor=${encodeURIComponent(first.body.pagination.nextCursor ?? "")}`,
    );
    expect(foreign.status, foreign.text).toBe(400);
  });

  it("one course with all its batches, cancelled ones included", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const course = await insertCourse(h.database, { status: "draft" });
    const a = await insertBatch(h.database, course.id, { status: "cancelled" });
    const b = await insertBatch(h.database, course.id);
    const res = await h.get<CourseView & { batches: { id: string; status: string }[] }>(
      `/v1/admin/courses/${course.id}`,
      { headers: admin.auth },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe("draft");
    expect(res.body.batches.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
  });
});
