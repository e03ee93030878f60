import { sql } from "drizzle-orm";
import type { HttpDatabase } from "../../db/client";
import type { IdempotencyState } from "../../db/schema";
import { type Reader, runAs, SYSTEM } from "../../db/transaction";

/** Records are kept this long after the first request, then purged (src/jobs/maintenance.ts). */
export const RETENTION_HOURS = 24;
/** How long a claim holds without a response before a retry may take the key over. */
export const DEFAULT_LEASE_SECONDS = 60;

/** Who holds a claim: the key in its caller's scope, and the claim's own random token. */
export interface Claim {
  scope: string;
  key: string;
  token: string;
}

/** A response as stored and replayed: header names in lower case. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string | null;
}

export type ClaimOutcome =
  | { outcome: "claimed" }
  | {
      outcome: IdempotencyState;
      fingerprint: string;
      /** Seconds the in-flight claim still holds. */
      leaseLeft: number;
      response: StoredResponse | null;
    };

interface ClaimRow extends Record<string, unknown> {
  outcome: "claimed" | IdempotencyState;
  fingerprint: string | null;
  lease_left: number | string | null;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: string | null;
}

/**
 * One statement, one HTTP round trip, as `system`: claims the key (a new row, or one whose
 * record expired, or an in-flight claim of the same request whose lease ran out: its request
 * died, and nothing it did committed without completing the row), or else returns the row that
 * holds it. Undefined when a concurrent claim committed after this statement's snapshot (the
 * row exists but this statement cannot see it): ask again.
 */
export async function claimKey(
  http: HttpDatabase,
  claim: Claim & { fingerprint: string; leaseSeconds: number },
): Promise<ClaimOutcome | undefined> {
  const { scope, key, token, fingerprint, leaseSeconds } = claim;
  const result = await runAs(http, SYSTEM, (q) =>
    q.execute<ClaimRow>(sql`
      with claimed as (
        insert into idempotency_keys as k
          (scope, key, fingerprint, token, state, locked_until, expires_at)
        values (${scope}, ${key}, ${fingerprint}, ${token}, 'in_flight',
                now() + ${leaseSeconds}::int * interval '1 second',
                now() + ${RETENTION_HOURS}::int * interval '1 hour')
        on conflict (scope, key) do update
           set fingerprint = excluded.fingerprint, token = excluded.token, state = 'in_flight',
               locked_until = excluded.locked_until, created_at = now(), completed_at = null,
               expires_at = excluded.expires_at, response_status = null,
               response_headers = null, response_body = null
         where k.expires_at <= now()
            or (k.state = 'in_flight' and k.locked_until <= now()
                and k.fingerprint = excluded.fingerprint)
        returning 1
      )
      select 'claimed' as outcome, null as fingerprint, null::float8 as lease_left,
             null::smallint as response_status, null::jsonb as response_headers,
             null::text as response_body
        from claimed
      union all
      select k.state, k.fingerprint,
             greatest(0, extract(epoch from k.locked_until - now()))::float8,
             k.response_status, k.response_headers, k.response_body
        from idempotency_keys k
       where k.scope = ${scope} and k.key = ${key} and not exists (select 1 from claimed)`),
  );
  const row = result.rows[0];
  if (!row) return undefined;
  if (row.outcome === "claimed") return { outcome: "claimed" };
  return {
    outcome: row.outcome,
    fingerprint: row.fingerprint ?? "",
    leaseLeft: Number(row.lease_left ?? 0),
    response:
      row.response_status === null
        ? null
        : {
            status: Number(row.response_status),
            headers: row.response_headers ?? {},
            body: row.response_body,
          },
  };
}

/**
 * The statement that records `response` as the claim's result: run by the service in the
 * transaction that makes the effect, with the caller's rights (RLS: its own scope only). Fails
 * that transaction with SQLSTATE IK409 when the claim is no longer ours.
 */
export function completeStatement(db: Reader, claim: Claim, response: StoredResponse) {
  return db.execute(
    sql`select idempotency_complete(${claim.scope}, ${claim.key}, ${claim.token}::uuid,
          ${response.status}::int, ${JSON.stringify(response.headers)}::jsonb, ${response.body})`,
  );
}

/**
 * The middleware's own record of a response (routes whose service did not complete the key, or
 * whose response differs from what the service stored). As `system`, after the fact: false when
 * the claim was lost meanwhile.
 */
export async function storeResponse(
  http: HttpDatabase,
  claim: Claim,
  response: StoredResponse,
): Promise<boolean> {
  const result = await runAs(http, SYSTEM, (q) =>
    q.execute(sql`
      update idempotency_keys
         set state = 'completed', locked_until = null, completed_at = now(),
             response_status = ${response.status}::int,
             response_headers = ${JSON.stringify(response.headers)}::jsonb,
             response_body = ${response.body}
       where scope = ${claim.scope} and key = ${claim.key} and token = ${claim.token}::uuid`),
  );
  return (result.rowCount ?? 0) > 0;
}

/** Gives a failed request's key back, unless its effect committed (the row is completed). */
export async function releaseClaim(http: HttpDatabase, claim: Claim): Promise<void> {
  await runAs(http, SYSTEM, (q) =>
    q.execute(sql`
      delete from idempotency_keys
       where scope = ${claim.scope} and key = ${claim.key} and token = ${claim.token}::uuid
         and state = 'in_flight'`),
  );
}
