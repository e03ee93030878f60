import { type Database, dbFromConfig, type HttpDatabase } from "../db/client";
import type { DbActor } from "../db/transaction";
import type { CertificateStatus } from "../durable-objects/certificate-status";
import type { AppConfig } from "../env";
import type { PaymentsProvider } from "../providers/instamojo";
import type { ZoomProvider } from "../providers/zoom";
import type { AuditMeta } from "./audit";
import { Cache } from "./cache";
import type { AppContext } from "./context";
import type { Idempotency } from "./idempotency";
import type { Outbox } from "./notifications/outbox";

/** Everything a service verb needs, free of HTTP: built once per request by `serviceContext`. */
export interface ServiceContext {
  /** The interactive path (Pool): transactions that read, decide, then write. */
  db: Database;
  /** The one-round-trip path (HTTP): reads and self-contained writes. */
  http: HttpDatabase;
  config: AppConfig;
  /** Who is acting (RLS context for their own transactions). */
  actor: DbActor & { sessionId: string | null };
  audit: AuditMeta;
  /** Work that must finish but not delay the response (cache writes, activity stamps). */
  waitUntil: (work: Promise<unknown>) => void;
  /** Live-class meetings. Call it outside database transactions (it is a network call). */
  zoom: ZoomProvider;
  /** Payments (Instamojo). Call it outside database transactions (it is a network call). */
  payments: PaymentsProvider;
  /** The certificates' revocation authority (a Durable Object namespace). */
  certificateStatus: DurableObjectNamespace<CertificateStatus>;
  /**
   * The transactional outbox, the only way a message leaves: `outbox.add(tx, …)` in the
   * transaction that causes it; the request hands the rows to the Queue after the response.
   * Work in `detached` runs after that hand-over: it calls `outbox.flush(http)` after its commit.
   */
  outbox: Outbox;
  /** Uploaded files (R2 bucket `FILES`): private objects, read only through the API. */
  files: R2Bucket;
  /** The KV cache layer (src/lib/cache): only for what any anonymous reader may see. */
  cache: Cache;
  /**
   * Runs database work after the response, on its own connection (the request's pool closes
   * with the response). For work whose cost must not show in response time, e.g. forgot-password.
   */
  detached: (work: (db: Database) => Promise<void>) => void;
  /** The request's Idempotency-Key claim, when its route uses `idempotency()`: `complete` it. */
  idempotency?: Idempotency;
}

export function serviceContext(c: AppContext): ServiceContext {
  const services = c.get("services");
  const principal = c.get("principal");
  const actor = {
    userId: principal?.userId ?? null,
    role: principal?.role ?? ("anonymous" as const),
    sessionId: principal?.sessionId ?? null,
  };
  const config = c.get("config");
  const waitUntil = (work: Promise<unknown>) => {
    const guarded = work.catch((err: unknown) =>
      services.logger.error("background work failed", {
        error: err instanceof Error ? err.name : "unknown",
      }),
    );
    try {
      c.executionCtx.waitUntil(guarded);
    } catch {
      void guarded;
    }
  };
  let cache: Cache | undefined;
  return {
    get db() {
      return services.db;
    },
    get http() {
      return services.http;
    },
    config,
    actor,
    audit: {
      actorId: actor.userId,
      actorRole: principal?.role ?? null,
      requestId: c.get("requestId"),
      // CF-Connecting-IP is set by Cloudflare's edge and cannot be forged by the client.
      ip: c.req.header("CF-Connecting-IP") ?? null,
      userAgent: c.req.header("User-Agent") ?? null,
    },
    waitUntil,
    get zoom() {
      return services.zoom;
    },
    get payments() {
      return services.payments;
    },
    certificateStatus: services.certificateStatus,
    outbox: services.outbox,
    files: services.files,
    get cache() {
      cache ??= new Cache({
        kv: services.cache,
        waitUntil,
        warn: (msg, fields) => services.logger.warn(msg, fields),
      });
      return cache;
    },
    detached: (work) => {
      const own = dbFromConfig(config);
      waitUntil(work(own.db).finally(() => own.close()));
    },
    idempotency: c.get("idempotency"),
  };
}
