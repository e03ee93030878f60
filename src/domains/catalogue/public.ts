/**
 * What other domains may use of the catalogue. Enrolments (later) change seats left: each such
 * change calls `invalidateCoursePage` after its transaction commits.
 */
import type { ServiceContext } from "../../lib/service-context";
import { courseScope } from "./cache";

/** Makes later reads of the course's public page miss (within the bound in the README). */
export function invalidateCoursePage(
  ctx: Pick<ServiceContext, "cache">,
  slug: string,
): Promise<void> {
  return ctx.cache.invalidate([courseScope(slug)]);
}
