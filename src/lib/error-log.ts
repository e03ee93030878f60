import { createDb, type DbHandle, type DbOptions } from "../db/client";
import { type ErrorSeverity, errorLogs } from "../db/schema";
import { runAs } from "../db/transaction";
import type { AppConfig } from "../env";

export interface ServerFault {
  severity: ErrorSeverity;
  code: string;
  status: number;
  message: string;
  stack?: string;
  route?: string;
  method?: string;
  path?: string;
  requestId?: string;
  userId?: string;
  userAgent?: string;
  /**
   * For DEPENDENCY_UNAVAILABLE faults, the dependency that failed (the problem's `dependency`
   * extension). Unset means "assume Postgres": no database connection is tried.
   */
  dependency?: string;
}

const clip = (s: string | undefined, max: number) =>
  s === undefined ? undefined : s.length > max ? `${s.slice(0, max)}…` : s;

/**
 * True when the fault says the database cannot serve us: DEPENDENCY_UNAVAILABLE, which is what
 * a refused, dropped or timed-out connection and a hung query become (src/lib/handle-error.ts).
 * Writing a row about it would open one more connection to a database that is down or hung,
 * holding the isolate and adding load while it recovers.
 */
export function isDatabaseOutage(fault: Pick<ServerFault, "code" | "dependency">): boolean {
  return (
    fault.code === "DEPENDENCY_UNAVAILABLE" &&
    (fault.dependency === undefined || fault.dependency === "postgres")
  );
}

/** A writable row: the context is signed (error_logs accepts rows only from a verified one). */
const FAULT_WRITER = { userId: null, role: "anonymous" } as const;

/**
 * Writes one `error_logs` row as one statement on the HTTP path (no connection to set up, and
 * none shared with the request's, which may be the thing that broke). Never throws: if Postgres is down, Sentry already has the fault, and no
 * connection is even tried for a database outage (`isDatabaseOutage`).
 */
export async function recordServerFault(
  config: AppConfig,
  fault: ServerFault,
  connect: (opts: DbOptions) => DbHandle = createDb,
): Promise<boolean> {
  if (isDatabaseOutage(fault)) return false;
  const { dependency: _dependency, ...row } = fault;
  const { http, close } = connect({
    url: config.DATABASE_URL,
    wsProxy: config.NEON_WS_PROXY,
    httpEndpoint: config.NEON_HTTP_ENDPOINT,
    timeoutMs: Math.min(config.DB_QUERY_TIMEOUT_MS, 3_000),
    contextSecret: config.DB_CONTEXT_SECRET,
  });
  try {
    await runAs(http, FAULT_WRITER, (q) =>
      q.insert(errorLogs).values({
        ...row,
        message: clip(row.message, 2_000) ?? "",
        stack: clip(row.stack, 8_000),
        userAgent: clip(row.userAgent, 512),
        path: clip(row.path, 1_024),
      }),
    );
    return true;
  } catch (err) {
    console.error(
      JSON.stringify({
        level: "error",
        msg: "could not write error_logs row",
        requestId: fault.requestId,
        reason: err instanceof Error ? err.name : "unknown",
      }),
    );
    return false;
  } finally {
    await close();
  }
}
