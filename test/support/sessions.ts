/**
 * Sessions through the mounted app with the real Zoom adapter pointed at the fake Zoom (one
 * fresh fake account per harness), plus a published course and an open batch to schedule in.
 */
import type { TestContext } from "vitest";
import type { SessionView } from "../../src/domains/sessions/schemas";
import { insertBatch, insertCourse } from "./catalogue";
import { Harness } from "./harness";
import type { TestUser } from "./identity";
import { FAKE_ZOOM_CLIENT_ID, FAKE_ZOOM_CLIENT_SECRET, FakeZoomAccount } from "./zoom";

export const MINUTE = 60_000;

export interface SessionSetup {
  h: Harness;
  zoom: FakeZoomAccount;
  admin: TestUser;
  course: { id: string; slug: string };
  batch: { id: string };
}

export async function sessionSetup(t: TestContext): Promise<SessionSetup> {
  const zoom = new FakeZoomAccount();
  const h = await Harness.init(t, {
    env: {
      ZOOM_PROVIDER: "zoom",
      ZOOM_ACCOUNT_ID: zoom.id,
      ZOOM_CLIENT_ID: FAKE_ZOOM_CLIENT_ID,
      ZOOM_CLIENT_SECRET: FAKE_ZOOM_CLIENT_SECRET,
      ZOOM_API_BASE_URL: `${zoom.url}/v2`,
      ZOOM_OAUTH_BASE_URL: zoom.url,
    },
  });
  const admin = await h.asAdmin();
  const course = await insertCourse(h.database, { title: "JEE Physics" });
  const batch = await insertBatch(h.database, course.id, { name: "Morning, Pune" });
  return { h, zoom, admin, course, batch };
}

export const inMinutes = (n: number) => new Date(Date.now() + n * MINUTE).toISOString();

export async function createSession(
  s: SessionSetup,
  body: Record<string, unknown> = {},
): Promise<SessionView> {
  const res = await s.h.post<unknown, SessionView>(
    `/v1/admin/batches/${s.batch.id}/sessions`,
    { title: "Kinematics", startsAt: inMinutes(24 * 60), durationMinutes: 90, ...body },
    { headers: s.admin.auth },
  );
  if (res.status !== 201) throw new Error(`create session: ${res.status} ${res.text}`);
  return res.body;
}
