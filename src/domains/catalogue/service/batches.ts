import { eq } from "drizzle-orm";
import { type Batch, batches, courses } from "../../../db/schema";
import { runAs } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { conflict, notFound, validationFailed } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import { courseScope } from "../cache";
import { batchOrderErrors, type CreateBatchInput, type UpdateBatchInput } from "../schemas";
import { assertTransition, batchTransitions } from "./rules";
import { auditBatch, toBatchView } from "./views";

/** Adds a batch to a course that is not archived (a draft course may be prepared ahead). */
export async function createBatch(ctx: ServiceContext, courseId: string, input: CreateBatchInput) {
  const { batch, slug } = await runAs(ctx.db, ctx.actor, async (tx) => {
    // Shared lock: the course cannot be archived while this batch is being added.
    const [course] = await tx
      .select({ slug: courses.slug, status: courses.status })
      .from(courses)
      .where(eq(courses.id, courseId))
      .for("share")
      .limit(1);
    if (!course) throw notFound("The course was not found.");
    if (course.status === "archived") {
      throw conflict("The course is archived: it takes no new batches.");
    }
    const [created] = await tx
      .insert(batches)
      .values({
        courseId,
        ...input,
        enrolmentOpensAt: new Date(input.enrolmentOpensAt),
        enrolmentClosesAt: new Date(input.enrolmentClosesAt),
      })
      .returning();
    if (!created) throw new Error("batch insert returned no row");
    await recordAudit(tx, ctx.audit, {
      action: "batch.create",
      entityType: "batch",
      entityId: created.id,
      after: auditBatch(created),
    });
    return { batch: created, slug: course.slug };
  });
  await ctx.cache.invalidate([courseScope(slug)]);
  return toBatchView(batch);
}

const auditAction = (before: Batch, after: Batch) =>
  before.status === after.status ? "batch.update" : `batch.${after.status}`;

/**
 * Changes fields and/or the status. A completed or cancelled batch is frozen; the dates must
 * stay in order with whatever is not being changed (400 naming the field).
 */
export async function updateBatch(ctx: ServiceContext, id: string, input: UpdateBatchInput) {
  const result = await runAs(ctx.db, ctx.actor, async (tx) => {
    const [found] = await tx
      .select({ batch: batches, slug: courses.slug })
      .from(batches)
      .innerJoin(courses, eq(courses.id, batches.courseId))
      .where(eq(batches.id, id))
      .for("update", { of: batches })
      .limit(1);
    if (!found) throw notFound("The batch was not found.");
    const before = found.batch;
    assertTransition("batch", batchTransitions, before.status, input.status);
    const changes = changedFields(before, input);
    if (Object.keys(changes).length === 0)
      return { batch: before, slug: found.slug, changed: false };
    if (before.status === "completed" || before.status === "cancelled") {
      throw conflict(`A ${before.status} batch can no longer be changed.`);
    }
    const errors = batchOrderErrors({ ...before, ...changes });
    if (errors.length > 0) throw validationFailed(errors, "The batch's dates are out of order.");
    const [after] = await tx.update(batches).set(changes).where(eq(batches.id, id)).returning();
    if (!after) throw notFound("The batch was not found.");
    await recordAudit(tx, ctx.audit, {
      action: auditAction(before, after),
      entityType: "batch",
      entityId: id,
      before: auditBatch(before),
      after: auditBatch(after),
    });
    return { batch: after, slug: found.slug, changed: true };
  });
  if (result.changed) await ctx.cache.invalidate([courseScope(result.slug)]);
  return toBatchView(result.batch);
}

/** The fields `input` really changes, in the column types (instants as Dates). */
function changedFields(before: Batch, input: UpdateBatchInput): Partial<Batch> {
  const changes: Partial<Batch> = {};
  for (const [key, raw] of Object.entries(input) as [keyof UpdateBatchInput, unknown][]) {
    if (raw === undefined) continue;
    if (key === "enrolmentOpensAt" || key === "enrolmentClosesAt") {
      const value = new Date(raw as string);
      if (value.getTime() !== before[key].getTime()) changes[key] = value;
    } else if (before[key] !== raw) {
      Object.assign(changes, { [key]: raw });
    }
  }
  return changes;
}
