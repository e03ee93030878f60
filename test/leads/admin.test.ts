/**
 * The admins' lead pipeline through the mounted app: moves allowed and refused, assignees,
 * the list's filters and keyset pages, the timeline, and who may call what.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs, contacts } from "../../src/db/schema";
import type { Lead, LeadDetail } from "../../src/domains/leads/schemas";
import { NEXT_STATUSES } from "../../src/domains/leads/service/pipeline";
import { adminQuery } from "../support/database";
import { Harness } from "../support/harness";
import { activitiesOf, freshLeadEmail, freshMobile, makeLead } from "./support";

type Status = Lead["status"];
const STATUSES: Status[] = ["new", "contacted", "qualified", "converted", "lost"];

async function setStatus(h: Harness, id: string, status: Status) {
  await adminQuery(
    `UPDATE contacts SET lead_status = $2, lost_reason = CASE WHEN $2 = 'lost' THEN 'x' END
     WHERE id = $1`,
    [id, status],
    h.database,
  );
}

const ALLOWED = new Set([
  "new>contacted",
  "new>qualified",
  "new>lost",
  "contacted>qualified",
  "contacted>lost",
  "qualified>lost",
  "lost>new",
]);
const MOVES = STATUSES.flatMap((from) =>
  STATUSES.filter((to) => to !== from).map((to) => ({ from, to })),
);

describe("PATCH /v1/admin/leads/{id}: the pipeline", () => {
  it("the table in the code is the documented one", () => {
    const fromCode = Object.entries(NEXT_STATUSES).flatMap(([f, tos]) =>
      tos.map((t) => `${f}>${t}`),
    );
    expect(new Set(fromCode)).toEqual(ALLOWED);
  });

  it.for(MOVES)("$from → $to", async ({ from, to }, t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const lead = await makeLead(h);
    await setStatus(h, lead.id, from);
    const body =
      to === "lost" ? { status: to, lostReason: "Chose another institute" } : { status: to };
    const res = await h.patch<unknown, Lead & { code?: string; allowedNextStatuses?: string[] }>(
      `/v1/admin/leads/${lead.id}`,
      body,
      { headers: admin.auth },
    );
    const [row] = await h.db.select().from(contacts).where(eq(contacts.id, lead.id));
    if (ALLOWED.has(`${from}>${to}`)) {
      expect(res.status, res.text).toBe(200);
      expect(res.body.status).toBe(to);
      expect(row?.leadStatus).toBe(to);
      expect(row?.lostReason).toBe(to === "lost" ? "Chose another institute" : null);
      const last = (await activitiesOf(h, lead.id)).at(-1);
      expect(last).toMatchObject({ kind: "status_changed", actorId: admin.id, data: { from, to } });
      const audits = await h.db.select().from(auditLogs).where(eq(auditLogs.entityId, lead.id));
      expect(audits.find((a) => a.action === "lead.updated")?.actorId).toBe(admin.id);
    } else {
      expect(res.status, res.text).toBe(409);
      expect(res.body.code).toBe("CONFLICT");
      expect(res.body.allowedNextStatuses).toEqual(NEXT_STATUSES[from]);
      expect(row?.leadStatus).toBe(from);
    }
  });

  it("lost without a reason is 400; the current status again is no change", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const lead = await makeLead(h);
    const noReason = await h.patch(
      `/v1/admin/leads/${lead.id}`,
      { status: "lost" },
      { headers: admin.auth },
    );
    expect(noReason.status, noReason.text).toBe(400);
    const before = (await activitiesOf(h, lead.id)).length;
    const same = await h.patch(
      `/v1/admin/leads/${lead.id}`,
      { status: "new" },
      { headers: admin.auth },
    );
    expect(same.status, same.text).toBe(200);
    expect(await activitiesOf(h, lead.id)).toHaveLength(before);
  });

  it("assignee: an active admin or super admin; a student, a disabled admin or nobody → 422", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const superAdmin = await h.asAdmin("super_admin");
    const student = await h.asStudent();
    const disabled = await h.createUser({ role: "admin", status: "disabled" });
    const lead = await makeLead(h);
    const assign = (assigneeId: string | null) =>
      h.patch<unknown, Lead & { code?: string }>(
        `/v1/admin/leads/${lead.id}`,
        { assigneeId },
        { headers: admin.auth },
      );
    for (const bad of [student.id, disabled.id, crypto.randomUUID()]) {
      const res = await assign(bad);
      expect(res.status, res.text).toBe(422);
      expect(res.body.code).toBe("UNPROCESSABLE");
    }
    const ok = await assign(superAdmin.id);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.assigneeId).toBe(superAdmin.id);
    expect((await activitiesOf(h, lead.id)).at(-1)).toMatchObject({
      kind: "assignee_changed",
      data: { from: null, to: superAdmin.id },
    });
    const cleared = await assign(null);
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body.assigneeId).toBeNull();
  });

  it("an unknown lead, or a contact that is not a lead, is 404", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const [c] = await adminQuery<{ id: string }>(
      "INSERT INTO contacts (name, email, source) VALUES ('S', $1, 'admin') RETURNING id",
      [freshLeadEmail()],
      h.database,
    );
    for (const id of [crypto.randomUUID(), c?.id]) {
      const res = await h.patch(
        `/v1/admin/leads/${id}`,
        { status: "contacted" },
        { headers: admin.auth },
      );
      expect(res.status, res.text).toBe(404);
      expect((await h.get(`/v1/admin/leads/${id}`, { headers: admin.auth })).status).toBe(404);
    }
  });
});

describe("GET /v1/admin/leads", () => {
  it("filters by status, source, assignee, q and dates; pages newest first by keyset", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const tag = crypto.randomUUID().slice(0, 8);
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await makeLead(h, { name: `Pager ${tag} ${i}` }));
    const ids = made.map((m) => m.id);
    await setStatus(h, ids[0] ?? "", "contacted");
    await adminQuery(
      "UPDATE contacts SET assignee_id = $2 WHERE id = $1",
      [ids[1], admin.id],
      h.database,
    );
    await adminQuery("UPDATE contacts SET source = 'import' WHERE id = $1", [ids[2]], h.database);
    await adminQuery(
      "UPDATE contacts SET created_at = '2025-01-10T00:00:00Z' WHERE id = $1",
      [ids[3]],
      h.database,
    );
    const list = (query: string) =>
      h.get<{ data: Lead[]; pagination: { nextCursor: string | null; hasMore: boolean } }>(
        `/v1/admin/leads?${query}`,
        { headers: admin.auth },
      );

    // Keyset pages of 2 over this test's leads (q scopes to them), newest first, no overlap.
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const res = await list(
        `q=${tag}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      expect(res.status, res.text).toBe(200);
      seen.push(...res.body.data.map((l) => l.id));
      cursor = res.body.pagination.nextCursor;
      if (!res.body.pagination.hasMore) break;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    // Newest first: the backdated one is last, the rest in reverse creation order.
    expect(seen).toEqual([ids[4], ids[2], ids[1], ids[0], ids[3]]);

    const only = async (query: string) =>
      (await list(`q=${tag}&${query}`)).body.data.map((l) => l.id);
    expect(await only("status=contacted")).toEqual([ids[0]]);
    expect(await only(`assignee=${admin.id}`)).toEqual([ids[1]]);
    expect(await only("source=import")).toEqual([ids[2]]);
    expect(await only("to=2025-01-11")).toEqual([ids[3]]);
    expect(await only("from=2025-01-11")).toHaveLength(4);
    expect(await only("from=2025-01-09T00:00:00Z&to=2025-01-10T00:00:01Z")).toEqual([ids[3]]);

    // q finds a lead by part of its email and by its phone in another spelling.
    const digits = freshMobile();
    const phoned = await makeLead(h, { phone: digits });
    expect(
      (await list(`q=${encodeURIComponent(`0${digits}`)}`)).body.data.map((l) => l.id),
    ).toEqual([phoned.id]);
    const local = (phoned.email ?? "").split("@")[0] ?? "";
    expect((await list(`q=${local.toUpperCase()}`)).body.data.map((l) => l.id)).toEqual([
      phoned.id,
    ]);

    // A cursor from one filter does not work on another.
    const first = await list(`q=${tag}&limit=1`);
    const foreign = await list(
      `q=${tag}&status=new&cursor=${encodeURIComponent(first.body.pagination.nextCursor ?? "")}`,
    );
    expect(foreign.status, foreign.text).toBe(400);
    const backwards = await list("from=2025-02-01&to=2025-01-01");
    expect(backwards.status).toBe(400);
  });
});

describe("GET /v1/admin/leads/{id}", () => {
  it("returns the lead with activities and its conversations' messages, newest first", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const lead = await makeLead(h, { message: "When does the batch start?" });
    const [conv] = await adminQuery<{ id: string }>(
      `INSERT INTO conversations (contact_id, channel, address) VALUES ($1, 'email', $2) RETURNING id`,
      [lead.id, lead.email],
      h.database,
    );
    await adminQuery(
      `INSERT INTO messages (conversation_id, direction, body, status, created_at)
       VALUES ($1, 'inbound', 'Hello from email', 'received', now() + interval '1 second'),
              ($1, 'outbound', 'Reply', 'sent', now() + interval '2 seconds')`,
      [conv?.id],
      h.database,
    );
    // Another contact's message must not appear.
    const other = await makeLead(h);
    const [otherConv] = await adminQuery<{ id: string }>(
      `INSERT INTO conversations (contact_id, channel, address) VALUES ($1, 'email', $2) RETURNING id`,
      [other.id, other.email],
      h.database,
    );
    await adminQuery(
      "INSERT INTO messages (conversation_id, direction, body, status) VALUES ($1, 'inbound', 'Not yours', 'received')",
      [otherConv?.id],
      h.database,
    );
    const res = await h.get<LeadDetail>(`/v1/admin/leads/${lead.id}`, { headers: admin.auth });
    expect(res.status, res.text).toBe(200);
    expect(res.body.id).toBe(lead.id);
    expect(res.body.timeline.map((e) => (e.type === "message" ? e.body : e.kind))).toEqual([
      "Reply",
      "Hello from email",
      "lead_submitted",
    ]);
    expect(res.body.timeline[2]).toMatchObject({ data: { message: "When does the batch start?" } });
    expect(res.body.timelineTruncated).toBe(false);
  });

  it("is bounded at 100 entries", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const lead = await makeLead(h);
    await adminQuery(
      `INSERT INTO contact_activities (contact_id, kind, created_at)
       SELECT $1, 'note', now() - make_interval(secs => g) FROM generate_series(1, 120) g`,
      [lead.id],
      h.database,
    );
    const res = await h.get<LeadDetail>(`/v1/admin/leads/${lead.id}`, { headers: admin.auth });
    expect(res.status, res.text).toBe(200);
    expect(res.body.timeline).toHaveLength(100);
    expect(res.body.timelineTruncated).toBe(true);
    expect(res.body.timeline[0]).toMatchObject({ kind: "lead_submitted" });
  });
});

const ADMIN_ROUTES: {
  name: string;
  method: string;
  path: (id: string) => string;
  body?: unknown;
  raw?: string;
}[] = [
  { name: "list", method: "GET", path: () => "/v1/admin/leads" },
  { name: "get", method: "GET", path: (id) => `/v1/admin/leads/${id}` },
  {
    name: "update",
    method: "PATCH",
    path: (id) => `/v1/admin/leads/${id}`,
    body: { status: "contacted" },
  },
  { name: "convert", method: "POST", path: (id) => `/v1/admin/leads/${id}/convert` },
  {
    name: "import",
    method: "POST",
    path: () => "/v1/admin/leads/import",
    raw: "name,email\nA,a@example.in\n",
  },
];

describe("who may call the admin routes", () => {
  it.for(ADMIN_ROUTES)("$name: anonymous 401, student 403, nothing changes", async (route, t) => {
    const h = await Harness.init(t);
    const lead = await makeLead(h);
    const student = await h.asStudent();
    const call = (headers: Record<string, string>) =>
      h.request(route.method, route.path(lead.id), route.body, {
        headers: route.raw ? { ...headers, "Content-Type": "text/csv" } : headers,
        raw: route.raw,
      });
    const anonymous = await call({});
    expect(anonymous.status, anonymous.text).toBe(401);
    const asStudent = await call(student.auth);
    expect(asStudent.status, asStudent.text).toBe(403);
    const [row] = await h.db.select().from(contacts).where(eq(contacts.id, lead.id));
    expect(row?.leadStatus).toBe("new");
    expect(await activitiesOf(h, lead.id)).toHaveLength(1);
  });
});
