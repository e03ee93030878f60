import { and, eq, ilike, isNotNull, isNull, or, type SQL, sql } from "drizzle-orm";
import { certificates, users } from "../../../db/schema";
import { runAs } from "../../../db/transaction";
import { parseCertificateCode } from "../../../lib/certificates/code";
import { type KeysetResult, keysetPage, listScope } from "../../../lib/pagination";
import type { ServiceContext } from "../../../lib/service-context";
import type { CertificateView } from "../schemas";
import { toCertificateView } from "./views";

/** `GET /v1/me/certificates`: the signed-in user's certificates, newest first (RLS: own). */
export async function listMyCertificates(
  ctx: ServiceContext,
  input: { limit: number; cursor?: string },
): Promise<KeysetResult<CertificateView>> {
  const userId = ctx.actor.userId;
  if (!userId) throw new Error("listMyCertificates needs a signed-in user");
  const page = await runAs(ctx.http, ctx.actor, (q) =>
    keysetPage({
      limit: input.limit,
      cursor: input.cursor,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/me/certificates", { user: userId }),
      order: { by: [certificates.issuedAt], id: certificates.id },
      query: ({ where, orderBy, limit, cursorKey }) =>
        q
          .select({ certificate: certificates, cursorKey })
          .from(certificates)
          .where(and(eq(certificates.userId, userId), where))
          .orderBy(...orderBy)
          .limit(limit),
    }),
  );
  return {
    data: page.data.map((r) => toCertificateView(ctx.config, r.certificate)),
    pagination: page.pagination,
  };
}

/**
 * `GET /v1/admin/certificates?batchId=&status=&q=`: newest first. `q` matches the printed
 * name or the student's email (substring, any case), or is a certificate code.
 */
export async function listAdminCertificates(
  ctx: ServiceContext,
  input: {
    limit: number;
    cursor?: string;
    batchId?: string;
    status?: "valid" | "revoked";
    q?: string;
  },
): Promise<KeysetResult<CertificateView>> {
  const filters: (SQL | undefined)[] = [];
  if (input.batchId) filters.push(eq(certificates.batchId, input.batchId));
  if (input.status === "valid") filters.push(isNull(certificates.revokedAt));
  if (input.status === "revoked") filters.push(isNotNull(certificates.revokedAt));
  const q = input.q?.trim();
  if (q) {
    const code = parseCertificateCode(q);
    const like = `%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    filters.push(
      or(
        ilike(certificates.printedName, like),
        ilike(users.email, like),
        code.ok ? eq(certificates.code, code.code) : sql`false`,
      ),
    );
  }
  const page = await runAs(ctx.http, ctx.actor, (db) =>
    keysetPage({
      limit: input.limit,
      cursor: input.cursor,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/admin/certificates", {
        batchId: input.batchId ?? "",
        status: input.status ?? "",
        q: q ?? "",
      }),
      order: { by: [certificates.issuedAt], id: certificates.id },
      query: ({ where, orderBy, limit, cursorKey }) =>
        db
          .select({ certificate: certificates, cursorKey })
          .from(certificates)
          .innerJoin(users, eq(users.id, certificates.userId))
          .where(and(...filters, where))
          .orderBy(...orderBy)
          .limit(limit),
    }),
  );
  return {
    data: page.data.map((r) => toCertificateView(ctx.config, r.certificate)),
    pagination: page.pagination,
  };
}
