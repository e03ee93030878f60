/** The public course page shows each open batch's next class, and follows session writes. */
import { describe, expect, it } from "vitest";
import { createSession, inMinutes, sessionSetup } from "../support/sessions";

interface PublicCourse {
  batches: { id: string; nextSessionAt: string | null }[];
}

describe("public course page: next class", () => {
  it("is filled from batch_next_session_at and invalidated by create, reschedule, cancel", async (t) => {
    const s = await sessionSetup(t);
    const page = async () => {
      const res = await s.h.get<PublicCourse>(`/v1/courses/${s.course.slug}`);
      expect(res.status, res.text).toBe(200);
      return res.body.batches.find((b) => b.id === s.batch.id)?.nextSessionAt;
    };
    expect(await page()).toBeNull(); // cached now
    const first = await createSession(s, { startsAt: inMinutes(3 * 24 * 60) });
    expect(await page()).toBe(first.startsAt);
    const moved = new Date(Date.parse(first.startsAt) + 60 * 60_000).toISOString();
    const patched = await s.h.patch(
      `/v1/admin/sessions/${first.id}`,
      { startsAt: moved },
      {
        headers: s.admin.auth,
      },
    );
    expect(patched.status, patched.text).toBe(200);
    expect(await page()).toBe(moved);
    await s.h.delete(`/v1/admin/sessions/${first.id}`, { headers: s.admin.auth });
    expect(await page()).toBeNull();
  });
});
