import { createDb } from "../db/client";
import { type ErrorSeverity, errorLogs } from "../db/schema";
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
}

const clip = (s: string | undefined, max: number) =>
  s === undefined ? undefined : s.length > max ? `${s.slice(0, max)}…` : s;

/**
 * Writes one `error_logs` row on its own short-lived connection (the request's may be the thing
 * that broke). Never throws: if Postgres is down, Sentry already has the fault.
 */
export async function recordServerFault(config: AppConfig, fault: ServerFault): Promise<boolean> {
  const { db, close } = createDb({
    url: config.DATABASE_URL,
    wsProxy: config.NEON_WS_PROXY,
    timeoutMs: Math.min(config.DB_QUERY_TIMEOUT_MS, 3_000),
  });
  try {
    await db.insert(errorLogs).values({
      ...fault,
      message: clip(fault.message, 2_000) ?? "",
      stack: clip(fault.stack, 8_000),
      userAgent: clip(fault.userAgent, 512),
      path: clip(fault.path, 1_024),
    });
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
