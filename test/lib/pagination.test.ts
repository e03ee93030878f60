import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { errorLogs } from "../../src/db/schema";
import type { ProblemBody } from "../../src/lib/problem";
import { Harness } from "../support/harness";
import { createPaginationTestApp } from "../support/pagination-app";

interface Item {
  id: number;
  code: string;
  occurredAt: string;
}
interface KeysetBody {
  data: Item[];
  pagination: { limit: number; nextCursor: string | null; hasMore: boolean };
}
interface OffsetBody {
  data: Item[];
  pagination: {
    page: number;
    perPage: number;
    total: number;
    totalPages: number;
    hasNext: boolean;
    hasPrev: boolean;
  };
}

const app = () => ({ app: createPaginationTestApp() });

/** Each test lists its own `code`, so tests sharing this file's database never see each other. */
const uniqueCode = () => `PAGE_${crypto.randomUUID().slice(0, 8)}`;

/**
 * Inserts `n` rows; every 3 consecutive rows share one timestamp (ties broken by id), and the
 * timestamps carry microseconds that a JS Date cannot represent.
 */
async function seed(h: Harness, code: string, n: number) {
  await h.db.insert(errorLogs).values(
    Array.from({ length: n }, (_, i) => ({
      severity: "error" as const,
      code,
      status: 500,
      message: `row ${i}`,
      occurredAt: sql`timestamptz '2026-03-01 10:00:00.000001+00' + ${Math.floor(i / 3)} * interval '1.000123 millisecond'`,
    })),
  );
}

async function expectedIds(h: Harness, code: string, direction: "asc" | "desc") {
  const rows = await h.db.execute<{ id: string }>(
    sql`select id from error_logs where code = ${code}
        order by occurred_at ${sql.raw(direction)}, id ${sql.raw(direction)}`,
  );
  return rows.rows.map((r) => Number(r.id));
}

function nextLink(headers: Headers): URL | undefined {
  const link = headers.get("Link");
  if (!link) return undefined;
  const match = link.match(/<([^>]+)>;\s*rel="next"/);
  return match?.[1] ? new URL(match[1]) : undefined;
}

function offsetLinks(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (headers.get("Link") ?? "").matchAll(/<([^>]+)>;\s*rel="(\w+)"/g)) {
    const [, url, rel] = m;
    if (url && rel) out[rel] = new URL(url).searchParams.get("page") ?? "";
  }
  return out;
}

function expectCursorRejected(res: { status: number; body: unknown; text: string }) {
  expect(res.status, res.text).toBe(400);
  const body = res.body as ProblemBody;
  expect(body.code).toBe("VALIDATION_FAILED");
  expect(body.errors).toEqual([{ path: "cursor", message: expect.any(String) }]);
}

describe("keyset pagination", () => {
  it.for(["desc", "asc"] as const)(
    "walking every page (%s) returns each row exactly once, in order, ties broken by id",
    async (direction, t) => {
      const h = await Harness.init(t, app());
      const code = uniqueCode();
      await seed(h, code, 47);
      const expected = await expectedIds(h, code, direction);

      const seen: number[] = [];
      let path: string | undefined = `/__test/error-logs?code=${code}&order=${direction}&limit=10`;
      let pages = 0;
      while (path) {
        const res: { status: number; headers: Headers; body: KeysetBody; text: string } =
          await h.get<KeysetBody>(path);
        expect(res.status, res.text).toBe(200);
        pages++;
        seen.push(...res.body.data.map((r) => r.id));
        const link = nextLink(res.headers);
        if (res.body.pagination.hasMore) {
          expect(res.body.data).toHaveLength(10);
          expect(link, "Link rel=next when hasMore").toBeDefined();
          // Other query parameters survive; the cursor is the body's nextCursor.
          expect(link?.searchParams.get("code")).toBe(code);
          expect(link?.searchParams.get("order")).toBe(direction);
          expect(link?.searchParams.get("limit")).toBe("10");
          expect(link?.searchParams.get("cursor")).toBe(res.body.pagination.nextCursor);
          path = link ? `${link.pathname}${link.search}` : undefined;
        } else {
          expect(res.body.pagination.nextCursor).toBeNull();
          expect(res.headers.get("Link")).toBeNull();
          path = undefined;
        }
      }
      expect(pages).toBe(5);
      expect(seen).toEqual(expected);
      expect(new Set(seen).size).toBe(47);
    },
  );

  it("defaults to 20 items per page", async (t) => {
    const h = await Harness.init(t, app());
    const code = uniqueCode();
    await seed(h, code, 25);
    const res = await h.get<KeysetBody>(`/__test/error-logs?code=${code}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toHaveLength(20);
    expect(res.body.pagination).toMatchObject({ limit: 20, hasMore: true });
    expect(res.body.pagination.nextCursor).toEqual(expect.any(String));
  });

  it("a list that fits one page has no cursor and no Link header", async (t) => {
    const h = await Harness.init(t, app());
    const code = uniqueCode();
    await seed(h, code, 3);
    const res = await h.get<KeysetBody>(`/__test/error-logs?code=${code}&limit=3`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toHaveLength(3);
    expect(res.body.pagination).toEqual({ limit: 3, nextCursor: null, hasMore: false });
    expect(res.headers.get("Link")).toBeNull();
  });

  it.for(["0", "101", "abc", "-1", "1.5", ""])("limit=%s → 400 on limit", async (limit, t) => {
    const h = await Harness.init(t, app());
    const res = await h.get<ProblemBody>(`/__test/error-logs?limit=${limit}`);
    expect(res.status, res.text).toBe(400);
    expect(res.body.code).toBe("VALIDATION_FAILED");
    expect(res.body.errors?.map((e) => e.path)).toEqual(["limit"]);
  });

  it.for(["1", "100"])("limit=%s is accepted", async (limit, t) => {
    const h = await Harness.init(t, app());
    const res = await h.get<KeysetBody>(`/__test/error-logs?code=${uniqueCode()}&limit=${limit}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.pagination.limit).toBe(Number(limit));
  });

  describe("cursor integrity", () => {
    async function firstCursor(h: Harness, code: string) {
      await seed(h, code, 6);
      const res = await h.get<KeysetBody>(`/__test/error-logs?code=${code}&limit=2`);
      const cursor = res.body.pagination.nextCursor;
      if (!cursor) throw new Error(`expected a cursor: ${res.text}`);
      return cursor;
    }

    const flip = (s: string, i: number) =>
      `${s.slice(0, i)}${s[i] === "A" ? "B" : "A"}${s.slice(i + 1)}`;

    it.for([
      ["a payload byte changed", (c: string) => flip(c, 2)],
      ["a signature byte changed", (c: string) => flip(c, c.length - 3)],
      ["the signature dropped", (c: string) => c.split(".")[0] ?? ""],
      [
        "a forged payload with the old signature",
        (c: string) =>
          `${btoa('["2099-01-01 00:00:00+00","1"]').replace(/=+$/, "")}.${c.split(".")[1]}`,
      ],
      ["garbage", () => "not-a-cursor"],
      ["non-base64 characters", () => "a+b/c.d=e"],
    ] as const)("%s → 400 on cursor", async ([, tamper], t) => {
      const h = await Harness.init(t, app());
      const code = uniqueCode();
      const cursor = await firstCursor(h, code);
      const res = await h.get(
        `/__test/error-logs?code=${code}&limit=2&cursor=${encodeURIComponent(tamper(cursor))}`,
      );
      expectCursorRejected(res);
    });

    it("a cursor from another filter (scope) → 400", async (t) => {
      const h = await Harness.init(t, app());
      const cursor = await firstCursor(h, uniqueCode());
      const res = await h.get(`/__test/error-logs?code=${uniqueCode()}&limit=2&cursor=${cursor}`);
      expectCursorRejected(res);
    });

    it("a cursor from the other sort direction → 400", async (t) => {
      const h = await Harness.init(t, app());
      const code = uniqueCode();
      const cursor = await firstCursor(h, code);
      const res = await h.get(`/__test/error-logs?code=${code}&order=asc&cursor=${cursor}`);
      expectCursorRejected(res);
    });

    it("the genuine cursor still works with a different limit", async (t) => {
      const h = await Harness.init(t, app());
      const code = uniqueCode();
      const cursor = await firstCursor(h, code);
      const res = await h.get<KeysetBody>(
        `/__test/error-logs?code=${code}&limit=10&cursor=${cursor}`,
      );
      expect(res.status, res.text).toBe(200);
      expect(res.body.data).toHaveLength(4);
    });

    it("a cursor together with page → 400", async (t) => {
      const h = await Harness.init(t, app());
      const code = uniqueCode();
      const cursor = await firstCursor(h, code);
      const res = await h.get(`/__test/error-logs?code=${code}&page=2&cursor=${cursor}`);
      expectCursorRejected(res);
    });
  });
});

describe("offset pagination", () => {
  it("reports totals and first/prev/next/last links; the last page has no next", async (t) => {
    const h = await Harness.init(t, app());
    const code = uniqueCode();
    await seed(h, code, 45);
    const expected = await expectedIds(h, code, "desc");

    const first = await h.get<OffsetBody>(`/__test/error-logs?code=${code}&page=1`);
    expect(first.status, first.text).toBe(200);
    expect(first.body.pagination).toEqual({
      page: 1,
      perPage: 20,
      total: 45,
      totalPages: 3,
      hasNext: true,
      hasPrev: false,
    });
    expect(first.body.data.map((r) => r.id)).toEqual(expected.slice(0, 20));
    expect(offsetLinks(first.headers)).toEqual({ first: "1", next: "2", last: "3" });
    expect(first.headers.get("Link")).toContain(`code=${code}`);

    const middle = await h.get<OffsetBody>(`/__test/error-logs?code=${code}&page=2&perPage=20`);
    expect(middle.body.pagination).toMatchObject({ page: 2, hasNext: true, hasPrev: true });
    expect(middle.body.data.map((r) => r.id)).toEqual(expected.slice(20, 40));
    expect(offsetLinks(middle.headers)).toEqual({ first: "1", prev: "1", next: "3", last: "3" });

    const last = await h.get<OffsetBody>(`/__test/error-logs?code=${code}&page=3`);
    expect(last.body.pagination).toMatchObject({ page: 3, hasNext: false, hasPrev: true });
    expect(last.body.data.map((r) => r.id)).toEqual(expected.slice(40));
    expect(offsetLinks(last.headers)).toEqual({ first: "1", prev: "2", last: "3" });
  });

  it("perPage alone switches to offset mode; a page past the end is empty", async (t) => {
    const h = await Harness.init(t, app());
    const code = uniqueCode();
    await seed(h, code, 5);
    const res = await h.get<OffsetBody>(`/__test/error-logs?code=${code}&perPage=2`);
    expect(res.body.pagination).toEqual({
      page: 1,
      perPage: 2,
      total: 5,
      totalPages: 3,
      hasNext: true,
      hasPrev: false,
    });
    const past = await h.get<OffsetBody>(`/__test/error-logs?code=${code}&perPage=2&page=9`);
    expect(past.status, past.text).toBe(200);
    expect(past.body.data).toEqual([]);
    expect(past.body.pagination).toMatchObject({ hasNext: false, hasPrev: true });
    expect(offsetLinks(past.headers)).toEqual({ first: "1", prev: "3", last: "3" });
  });

  it("an empty list has zero pages and links to page 1 only", async (t) => {
    const h = await Harness.init(t, app());
    const res = await h.get<OffsetBody>(`/__test/error-logs?code=${uniqueCode()}&page=1`);
    expect(res.body.pagination).toMatchObject({ total: 0, totalPages: 0, hasNext: false });
    expect(offsetLinks(res.headers)).toEqual({ first: "1", last: "1" });
  });

  it.for([
    ["page", "0"],
    ["page", "x"],
    ["perPage", "101"],
    ["perPage", "0"],
  ])("%s=%s → 400", async ([name, value], t) => {
    const h = await Harness.init(t, app());
    const res = await h.get<ProblemBody>(`/__test/error-logs?${name}=${value}`);
    expect(res.status, res.text).toBe(400);
    expect(res.body.errors?.map((e) => e.path)).toEqual([name]);
  });
});

describe("OpenAPI", () => {
  it("documents the query parameters and the paginated body", async (t) => {
    const h = await Harness.init(t, app());
    const res = await h.get<{
      paths: Record<string, { get: { parameters: { name: string }[] } }>;
      components: { schemas: Record<string, unknown> };
    }>("/openapi.json");
    expect(res.status, res.text).toBe(200);
    const params = res.body.paths["/__test/error-logs"]?.get.parameters.map((p) => p.name);
    expect(params).toEqual(expect.arrayContaining(["limit", "cursor", "page", "perPage"]));
    expect(Object.keys(res.body.components.schemas)).toEqual(
      expect.arrayContaining(["TestErrorLogPage", "KeysetPagination", "OffsetPagination"]),
    );
  });
});
