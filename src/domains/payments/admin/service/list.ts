import { and, eq, gte, lt, or, type SQL, sql } from "drizzle-orm";
import { payments, users } from "../../../../db/schema";
import { runAs } from "../../../../db/transaction";
import { keysetPage, listScope } from "../../../../lib/pagination";
import type { ServiceContext } from "../../../../lib/service-context";
import type { PaymentListQuery } from "../schemas";
import { parseRange } from "./time";
import { selectPayments, toAdminPayment } from "./views";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `q`: an exact provider or payment id, or a substring of the student's name or email. */
function search(q: string): SQL | undefined {
  const like = `%${q.toLowerCase().replace(/[\\%_]/g, "\\$&")}%`;
  // Same expression as users_search_trgm_idx, so the student lookup can use the trigram index.
  const students = sql`select ${users.id} from ${users}
    where lower(${users.fullName} || ' ' || ${users.email}) like ${like}`;
  return or(
    eq(payments.providerRequestId, q),
    eq(payments.providerPaymentId, q),
    UUID.test(q) ? eq(payments.id, q) : undefined,
    sql`${payments.userId} in (${students})`,
  );
}

/** Newest first (payments_created_idx, or payments_status_created_idx with a status). */
export async function listAdminPayments(ctx: ServiceContext, input: PaymentListQuery) {
  const { from, to } = parseRange(input);
  const filter = and(
    input.status ? eq(payments.status, input.status) : undefined,
    from ? gte(payments.createdAt, from) : undefined,
    to ? lt(payments.createdAt, to) : undefined,
    input.q ? search(input.q) : undefined,
  );
  // The admin's own context: payments_admin_select is what lets them read everyone's.
  const page = await runAs(ctx.http, ctx.actor, (q) =>
    keysetPage({
      limit: input.limit,
      cursor: input.cursor,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/admin/payments", {
        status: input.status,
        from: input.from,
        to: input.to,
        q: input.q,
      }),
      order: { by: [payments.createdAt], id: payments.id },
      query: ({ where, orderBy, limit, cursorKey }) =>
        selectPayments(q, { cursorKey })
          .where(and(filter, where))
          .orderBy(...orderBy)
          .limit(limit),
    }),
  );
  return { ...page, data: page.data.map(toAdminPayment) };
}
