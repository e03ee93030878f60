/**
 * Every keyset list reads its rows in index order: the ORDER BY that pagination builds must
 * match its index exactly, NULLS order included, or Postgres scans and sorts the whole table
 * (the admin user list's first page took 182 ms at 100k users that way, 0.2 ms from the index).
 */
import { and, eq, getTableColumns, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/pg-proxy";
import { beforeAll, describe, expect, it } from "vitest";
import {
  adminRequests,
  auditLogs,
  courses,
  enrolments,
  errorLogs,
  users,
} from "../../src/db/schema";
import { orderTerms } from "../../src/lib/pagination";
import { admin } from "./support";

// Builds SQL only; never runs it.
const builder = drizzle(async () => ({ rows: [] }));

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** The plan Postgres picks for one page. */
async function planOf(
  table: PgTable,
  filter: SQL | undefined,
  order: PgColumn[],
  direction: "asc" | "desc" = "desc",
) {
  const query = builder
    .select(getTableColumns(table))
    .from(table)
    .where(filter)
    .orderBy(...orderTerms(order, direction))
    .limit(51)
    .toSQL();
  const [row] = await admin<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
    `explain (format json) ${query.sql}`,
    query.params,
  );
  const plan = row?.["QUERY PLAN"][0].Plan;
  if (!plan) throw new Error("no plan");
  return nodes(plan);
}

describe("list pages are read from their index, without a sort", () => {
  beforeAll(async () => {
    // This file's own database: later connections plan as for a big table (no seq or bitmap
    // scans, which an almost empty table would otherwise get, followed by a sort).
    await admin(
      `DO $$ BEGIN
         EXECUTE format('ALTER DATABASE %I SET enable_seqscan = off', current_database());
         EXECUTE format('ALTER DATABASE %I SET enable_bitmapscan = off', current_database());
       END $$`,
    );
  });

  it.for([
    ["users", users, undefined, [users.createdAt, users.id], "users_created_at_idx"],
    [
      "users by role and status",
      users,
      and(eq(users.role, "student"), eq(users.status, "active")),
      [users.createdAt, users.id],
      "users_role_status_created_at_idx",
    ],
    [
      "audit log",
      auditLogs,
      undefined,
      [auditLogs.occurredAt, auditLogs.id],
      "audit_logs_occurred_at_idx",
    ],
    [
      "error log",
      errorLogs,
      undefined,
      [errorLogs.occurredAt, errorLogs.id],
      "error_logs_occurred_at_idx",
    ],
    [
      "admin requests by status",
      adminRequests,
      eq(adminRequests.status, "pending_verification"),
      [adminRequests.createdAt, adminRequests.id],
      "admin_requests_status_created_at_idx",
    ],
    [
      "courses (admin)",
      courses,
      undefined,
      [courses.createdAt, courses.id],
      "courses_created_at_idx",
    ],
    [
      "courses (public)",
      courses,
      eq(courses.status, "published"),
      [courses.publishedAt, courses.id],
      "courses_published_idx",
    ],
    [
      "courses (public) by category",
      courses,
      and(eq(courses.status, "published"), eq(courses.category, "maths")),
      [courses.publishedAt, courses.id],
      "courses_published_category_idx",
    ],
    [
      "my enrolments",
      enrolments,
      eq(enrolments.userId, "00000000-0000-4000-8000-000000000001"),
      [enrolments.createdAt, enrolments.id],
      "enrolments_user_created_idx",
    ],
  ] as const)("%s", async ([, table, filter, order, index]) => {
    const plan = await planOf(table, filter, [...order]);
    expect(plan.map((n) => n["Node Type"])).not.toContain("Sort");
    expect(plan.map((n) => n["Index Name"])).toContain(index);
  });

  it("a batch's roster (oldest first)", async () => {
    const plan = await planOf(
      enrolments,
      eq(enrolments.batchId, "00000000-0000-4000-8000-000000000001"),
      [enrolments.createdAt, enrolments.id],
      "asc",
    );
    expect(plan.map((n) => n["Node Type"])).not.toContain("Sort");
    expect(plan.map((n) => n["Index Name"])).toContain("enrolments_batch_created_idx");
  });
});
