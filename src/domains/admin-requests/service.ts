import { and, eq, getTableColumns, sql } from "drizzle-orm";
import { isUniqueViolation } from "../../db/client";
import { type AdminRequest, adminRequests, users } from "../../db/schema";
import { enterContext, runAs, SYSTEM } from "../../db/transaction";
import { recordAudit } from "../../lib/audit";
import { conflict, notFound, unauthenticated } from "../../lib/errors";
import { actionLink } from "../../lib/notifications/links";
import { keysetPage, listScope } from "../../lib/pagination";
import type { ServiceContext } from "../../lib/service-context";
import { phoneOrThrow } from "../auth/service/account";
import { consumeToken, issueToken } from "../auth/service/one-time-tokens";
import type { AdminRequestView } from "./schemas";

export function toAdminRequestView(r: AdminRequest): AdminRequestView {
  return {
    id: r.id,
    userId: r.userId,
    phone: r.phone,
    reason: r.reason,
    status: r.status,
    verifiedAt: r.verifiedAt?.toISOString() ?? null,
    decidedAt: r.decidedAt?.toISOString() ?? null,
    decidedBy: r.decidedBy,
    decisionReason: r.decisionReason,
    createdAt: r.createdAt.toISOString(),
  };
}

const snapshot = (r: AdminRequest) => ({
  status: r.status,
  phone: r.phone,
  decisionReason: r.decisionReason,
});

/** A signed-in student asks to become an admin; a link to verify the request is emailed. */
export async function submitAdminRequest(
  ctx: ServiceContext,
  input: { phone: string; reason: string },
): Promise<AdminRequestView> {
  const userId = ctx.actor.userId;
  if (!userId) throw unauthenticated();
  const phone = phoneOrThrow(input.phone) ?? "";
  try {
    // The requester's own context for the request itself: the database (admin_requests_self_
    // insert) admits only a student's own, fresh request. The token is server internals.
    const created = await runAs(ctx.db, ctx.actor, async (tx) => {
      const [user] = await tx.select().from(users).where(eq(users.id, userId)).limit(1);
      if (!user) throw unauthenticated();
      if (user.role !== "student") throw conflict("You already have an admin role.");
      const [request] = await tx
        .insert(adminRequests)
        .values({ userId, phone, reason: input.reason })
        .returning();
      if (!request) throw new Error("admin request insert returned nothing");
      await enterContext(tx, SYSTEM);
      const token = await issueToken(tx, userId, "admin_request_verification", request.id);
      await recordAudit(tx, ctx.audit, {
        action: "admin_request.submit",
        entityType: "admin_request",
        entityId: request.id,
        after: snapshot(request),
      });
      await ctx.outbox.add(tx, {
        channel: "email",
        to: user.email,
        template: "admin_request_verification",
        variables: { name: user.fullName },
        secrets: {
          link: actionLink(ctx.config.APP_BASE_URL, "/admin-requests/verify", { token }),
        },
        transactional: true,
        dedupeKey: `admin_request_verification:${request.id}`,
        userId,
      });
      return request;
    });
    return toAdminRequestView(created);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict("You already have an open admin request.");
    throw err;
  }
}

export async function verifyAdminRequest(ctx: ServiceContext, token: string): Promise<void> {
  await runAs(ctx.db, SYSTEM, async (tx) => {
    const { userId, subjectId } = await consumeToken(tx, token, "admin_request_verification");
    if (!subjectId) throw notFound("The admin request was not found.");
    const [updated] = await tx
      .update(adminRequests)
      .set({ status: "verified", verifiedAt: sql`now()` })
      .where(
        sql`${adminRequests.id} = ${subjectId} and ${adminRequests.status} = 'pending_verification'`,
      )
      .returning();
    if (!updated) throw conflict("This admin request can no longer be verified.");
    await recordAudit(
      tx,
      { ...ctx.audit, actorId: userId, actorRole: ctx.audit.actorRole ?? "student" },
      {
        action: "admin_request.verify",
        entityType: "admin_request",
        entityId: updated.id,
        before: { status: "pending_verification" },
        after: { status: updated.status },
      },
    );
  });
}

/**
 * A super admin decides a verified request. The role change, the request's status and both
 * audit rows commit together or not at all; deciding twice is a conflict.
 */
export async function decideAdminRequest(
  ctx: ServiceContext,
  input: { id: string; decision: "approve" | "reject"; reason?: string },
): Promise<AdminRequestView> {
  const deciderId = ctx.actor.userId;
  if (!deciderId) throw unauthenticated();
  const result = await runAs(ctx.db, ctx.actor, async (tx) => {
    const [request] = await tx
      .select()
      .from(adminRequests)
      .where(eq(adminRequests.id, input.id))
      .for("update")
      .limit(1);
    if (!request) throw notFound("The admin request was not found.");
    if (request.status === "approved" || request.status === "rejected") {
      throw conflict(`This request was already ${request.status}.`);
    }
    if (request.status !== "verified") {
      throw conflict("The requester has not verified this request yet.");
    }
    const status = input.decision === "approve" ? "approved" : "rejected";
    const [decided] = await tx
      .update(adminRequests)
      .set({
        status,
        decidedAt: sql`now()`,
        decidedBy: deciderId,
        decisionReason: input.reason ?? null,
      })
      .where(eq(adminRequests.id, request.id))
      .returning();
    if (!decided) throw new Error("admin request update returned nothing");
    await recordAudit(tx, ctx.audit, {
      action: `admin_request.${input.decision}`,
      entityType: "admin_request",
      entityId: request.id,
      before: snapshot(request),
      after: snapshot(decided),
    });
    const [requester] = await tx.select().from(users).where(eq(users.id, request.userId)).limit(1);
    if (!requester) throw notFound("The requester no longer exists.");
    if (input.decision === "approve" && requester.role === "student") {
      // Only a student is promoted: a requester made super admin meanwhile keeps that role.
      const [promoted] = await tx
        .update(users)
        .set({ role: "admin" })
        .where(eq(users.id, requester.id))
        .returning();
      await recordAudit(tx, ctx.audit, {
        action: "user.role_change",
        entityType: "user",
        entityId: requester.id,
        before: { role: requester.role },
        after: { role: promoted?.role ?? "admin" },
      });
    }
    await ctx.outbox.add(tx, {
      channel: "email",
      to: requester.email,
      template: "admin_request_decision",
      variables: {
        name: requester.fullName,
        decision: status,
        ...(input.reason ? { reason: input.reason } : {}),
        link: actionLink(ctx.config.APP_BASE_URL, "/"),
      },
      transactional: true,
      dedupeKey: `admin_request_decision:${request.id}`,
      userId: requester.id,
    });
    return decided;
  });
  return toAdminRequestView(result);
}

export async function listAdminRequests(
  ctx: ServiceContext,
  input: { status?: AdminRequest["status"]; limit: number; cursor?: string },
) {
  const filter = input.status ? eq(adminRequests.status, input.status) : undefined;
  const page = await runAs(ctx.http, ctx.actor, (tx) =>
    keysetPage({
      limit: input.limit,
      cursor: input.cursor,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/admin/admin-requests", { status: input.status }),
      order: { by: [adminRequests.createdAt], id: adminRequests.id },
      query: ({ where, orderBy, limit, cursorKey }) =>
        tx
          .select({ ...getTableColumns(adminRequests), cursorKey })
          .from(adminRequests)
          .where(and(filter, where))
          .orderBy(...orderBy)
          .limit(limit),
    }),
  );
  return { ...page, data: page.data.map(toAdminRequestView) };
}
