import type { LeadStatus } from "../../../db/schema";

/**
 * The moves PATCH may make. Forward through the open states (skipping allowed: a caller may
 * already be qualified), `lost` from any open state (with a reason), and `lost` → `new` to
 * reopen. `converted` is reached only through /convert (it creates the account) and is final.
 */
export const NEXT_STATUSES: Record<LeadStatus, readonly LeadStatus[]> = {
  new: ["contacted", "qualified", "lost"],
  contacted: ["qualified", "lost"],
  qualified: ["lost"],
  lost: ["new"],
  converted: [],
};

/** Where /convert may start from: an open lead (a lost one is reopened first). */
export const CONVERTIBLE: readonly LeadStatus[] = ["new", "contacted", "qualified"];

export const canMove = (from: LeadStatus, to: LeadStatus) => NEXT_STATUSES[from].includes(to);
