/**
 * Class reminders from the every-minute cron: one email per seated student of a class starting
 * within the hour, once however many runs see it, none for other classes or other students.
 */
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { and, eq, like } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { notifications } from "../../src/db/schema";
import { createWorker } from "../../src/index";
import { insertBatch, insertCourse } from "../support/catalogue";
import { Harness } from "../support/harness";
import { insertEnrolment, insertSession } from "../support/learning";

const MINUTE = 60_000;

async function runMinutely(h: Harness) {
  const worker = createWorker(createApp());
  await worker.scheduled?.(
    createScheduledController({ cron: "* * * * *" }),
    h.env as never,
    createExecutionContext(),
  );
}

async function remindersFor(h: Harness, sessionId: string) {
  return h.db
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.template, "class_reminder"),
        like(notifications.dedupeKey, `reminder:${sessionId}:%`),
      ),
    );
}

describe("class reminders", () => {
  it("reminds each seated student once of a class starting within the hour", async (t) => {
    const h = await Harness.init(t);
    const course = await insertCourse(h.database, { title: "JEE Physics" });
    const batch = await insertBatch(h.database, course.id, { name: "Evening" });
    const seated = await h.asStudent();
    const cancelled = await h.asStudent();
    await insertEnrolment(h.database, seated.id, batch.id);
    await insertEnrolment(h.database, cancelled.id, batch.id, { status: "cancelled" });
    const soon = await insertSession(h.database, batch.id, {
      title: "Rotational Motion",
      startsAt: new Date(Date.now() + 30 * MINUTE),
    });
    const later = await insertSession(h.database, batch.id, {
      startsAt: new Date(Date.now() + 90 * MINUTE),
    });
    const called = await insertSession(h.database, batch.id, {
      startsAt: new Date(Date.now() + 20 * MINUTE),
      status: "cancelled",
    });

    await runMinutely(h);
    await runMinutely(h);

    const reminders = await remindersFor(h, soon.id);
    expect(reminders).toHaveLength(1);
    expect(reminders[0]).toMatchObject({
      toAddress: seated.email,
      userId: seated.id,
      status: "queued",
      transactional: true,
    });
    expect(reminders[0]?.variables).toMatchObject({
      sessionTitle: "Rotational Motion",
      courseTitle: "JEE Physics",
      batchName: "Evening",
    });
    expect(await remindersFor(h, later.id)).toEqual([]);
    expect(await remindersFor(h, called.id)).toEqual([]);

    // Handed to the Queue once, and delivered.
    expect(h.queue.sent.filter((s) => s.body.id === reminders[0]?.id)).toHaveLength(1);
    await h.deliverNotifications();
    const [sent] = await remindersFor(h, soon.id);
    expect(sent?.status).toBe("sent");
  });

  it("reminds again when a class moves to a later time", async (t) => {
    const h = await Harness.init(t);
    const course = await insertCourse(h.database);
    const batch = await insertBatch(h.database, course.id);
    const student = await h.asStudent();
    await insertEnrolment(h.database, student.id, batch.id);
    const session = await insertSession(h.database, batch.id, {
      startsAt: new Date(Date.now() + 10 * MINUTE),
    });
    await runMinutely(h);
    await h.db.execute(
      `update class_sessions set starts_at = now() + interval '40 minutes' where id = '${session.id}'`,
    );
    await runMinutely(h);
    expect(await remindersFor(h, session.id)).toHaveLength(2);
  });
});
