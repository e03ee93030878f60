import { DurableObject } from "cloudflare:workers";

/** What the authority knows of a revoked certificate. */
export interface RevocationRecord {
  revokedAt: string;
  reasonCategory: string;
}

/**
 * The revocation authority the public verify page asks on every request, so a revocation takes
 * effect on the very next verify wherever it is served, whatever the KV cache still holds.
 *
 * A Durable Object is strongly consistent: once `revoke` returns, every later `status` of that
 * code sees it. Revocations are written here BEFORE the database commits (src/domains/
 * certificates/service/revoke.ts), so a failure in between errs towards "revoked", which the
 * admin's retry then makes true in the database as well. Sharded by the code's first symbol
 * (32 objects), each holding only the revoked codes of its shard (a few rows, in memory).
 */
export class CertificateStatus extends DurableObject<Env> {
  /** Records the revocation, or returns the one recorded first (it stands: final). */
  async revoke(code: string, record: RevocationRecord): Promise<RevocationRecord> {
    const existing = await this.ctx.storage.get<RevocationRecord>(code);
    if (existing) return existing;
    await this.ctx.storage.put(code, record);
    return record;
  }

  async status(code: string): Promise<RevocationRecord | null> {
    return (await this.ctx.storage.get<RevocationRecord>(code)) ?? null;
  }
}

/** The shard of a code: its first symbol (uniformly random). */
export function certificateStatusStub(ns: DurableObjectNamespace<CertificateStatus>, code: string) {
  return ns.get(ns.idFromName(`shard:${code.slice(0, 1)}`));
}
