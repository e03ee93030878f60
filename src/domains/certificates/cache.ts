import * as z from "zod";
import { cacheKind } from "../../lib/cache";

/**
 * What a certificate says, for the public verify page: it never changes once issued, so it is
 * safe to cache for long. Whether it is REVOKED is never taken from here: the verify page asks
 * the revocation authority on every request (service/verify.ts).
 */
export const CertificateFacts = z.object({
  code: z.string(),
  name: z.string(),
  course: z.string(),
  batch: z.string(),
  startDate: z.string(),
  endDate: z.string(),
  issuedAt: z.string(),
  issuer: z.string(),
  /** As the database had it when the entry was filled (the authority is asked anyway). */
  revokedAt: z.string().nullable(),
  reasonCategory: z.string().nullable(),
});
export type CertificateFacts = z.infer<typeof CertificateFacts>;

export const certificateFactsCache = cacheKind<{ code: string }, CertificateFacts | null>({
  name: "certificates.facts",
  version: 1,
  schema: CertificateFacts.nullable(),
  key: ({ code }) => code,
  scopes: ({ code }) => [`certificate:${code}`],
  freshSeconds: 3600,
  staleSeconds: 3600,
});
