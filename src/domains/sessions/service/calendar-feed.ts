import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { calendarFeeds, users } from "../../../db/schema";
import { runAs, SYSTEM } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { notFound } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import { generateOpaqueToken, hashToken } from "../../../lib/tokens";
import { type IcsEvent, renderCalendar } from "./ics";
import { scheduleRows } from "./schedule";
import { endsAt } from "./views";

export const FEED_PATH = "/v1/me/schedule.ics";
const DAY = 86_400_000;
/** What the feed covers: the last 30 days (recent history) and the next 180. */
const FEED_PAST_DAYS = 30;
const FEED_AHEAD_DAYS = 180;
/** last_used_at is written at most this often per feed. */
const LAST_USED_INTERVAL_MS = 60 * 60_000;
/** SEQUENCE counts seconds since this epoch (small enough for 32-bit clients for decades). */
const SEQUENCE_EPOCH = Date.UTC(2026, 0, 1);
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Creates the user's feed token, or replaces it (the old URL stops working in the same
 * commit). Only the token's SHA-256 is stored; the URL is returned this once.
 */
export async function createCalendarFeed(ctx: ServiceContext, origin: string) {
  const userId = ctx.actor.userId;
  if (!userId) throw notFound();
  const token = generateOpaqueToken(32);
  const tokenHash = await hashToken(token);
  const row = await runAs(ctx.db, ctx.actor, async (tx) => {
    const [existing] = await tx
      .select({ userId: calendarFeeds.userId })
      .from(calendarFeeds)
      .where(eq(calendarFeeds.userId, userId))
      .for("update");
    const [saved] = await tx
      .insert(calendarFeeds)
      .values({ userId, tokenHash })
      .onConflictDoUpdate({
        target: calendarFeeds.userId,
        set: { tokenHash, createdAt: sql`now()`, lastUsedAt: null },
      })
      .returning({ createdAt: calendarFeeds.createdAt });
    if (!saved) throw new Error("calendar feed upsert returned no row");
    await recordAudit(tx, ctx.audit, {
      action: existing ? "calendar_feed.rotate" : "calendar_feed.create",
      entityType: "calendar_feed",
      entityId: userId,
    });
    return saved;
  });
  const url = new URL(FEED_PATH, origin);
  url.searchParams.set("token", token);
  return { url: url.toString(), createdAt: row.createdAt.toISOString() };
}

/** Deletes the user's feed: its URL answers 404 from the commit on. Idempotent. */
export async function revokeCalendarFeed(ctx: ServiceContext) {
  const userId = ctx.actor.userId;
  if (!userId) throw notFound();
  await runAs(ctx.db, ctx.actor, async (tx) => {
    const deleted = await tx
      .delete(calendarFeeds)
      .where(eq(calendarFeeds.userId, userId))
      .returning({ userId: calendarFeeds.userId });
    if (deleted.length > 0) {
      await recordAudit(tx, ctx.audit, {
        action: "calendar_feed.revoke",
        entityType: "calendar_feed",
        entityId: userId,
      });
    }
  });
}

const FEED_NOT_FOUND = "The calendar feed was not found.";

/**
 * `GET /v1/me/schedule.ics?token=…`: the token is looked up by its hash as `system` (the
 * request has no principal), then the schedule is read as that user (RLS). Unknown, revoked
 * and malformed tokens, and disabled users, all get the same 404. No join URLs: the feed URL
 * may leak (shared calendars, sync services), so each event points to the app instead.
 */
export async function renderFeed(ctx: ServiceContext, token: string | undefined) {
  if (!token || !TOKEN.test(token)) throw notFound(FEED_NOT_FOUND);
  const tokenHash = await hashToken(token);
  const [owner] = await runAs(ctx.http, SYSTEM, (q) =>
    q
      .select({ userId: users.id, role: users.role, lastUsedAt: calendarFeeds.lastUsedAt })
      .from(calendarFeeds)
      .innerJoin(users, eq(users.id, calendarFeeds.userId))
      .where(and(eq(calendarFeeds.tokenHash, tokenHash), eq(users.status, "active")))
      .limit(1),
  );
  if (!owner) throw notFound(FEED_NOT_FOUND);

  const now = Date.now();
  const rows = await scheduleRows(
    ctx,
    { userId: owner.userId, role: owner.role },
    new Date(now - FEED_PAST_DAYS * DAY),
    new Date(now + FEED_AHEAD_DAYS * DAY),
  );
  if (!owner.lastUsedAt || now - owner.lastUsedAt.getTime() > LAST_USED_INTERVAL_MS) {
    ctx.waitUntil(touch(ctx, owner.userId, tokenHash));
  }

  const app = ctx.config.APP_BASE_URL;
  const events: IcsEvent[] = rows.map((r) => ({
    uid: `${r.id}@coaching-api`,
    start: r.startsAt,
    end: endsAt(r),
    summary: r.courseTitle ? `${r.title} (${r.courseTitle})` : r.title,
    description: [
      r.courseTitle ? `Course: ${r.courseTitle}` : undefined,
      r.batchName ? `Batch: ${r.batchName}` : undefined,
      r.status === "cancelled"
        ? "This class is cancelled."
        : "Join from the app, from 15 minutes before the start.",
      new URL("/schedule", app).toString(),
    ]
      .filter(Boolean)
      .join("\n"),
    url: new URL("/schedule", app).toString(),
    status: r.status === "cancelled" ? "CANCELLED" : "CONFIRMED",
    sequence: Math.max(0, Math.floor((r.updatedAt.getTime() - SEQUENCE_EPOCH) / 1000)),
    lastModified: r.updatedAt,
  }));
  return renderCalendar({
    name: "Coaching classes",
    events,
    now: new Date(now),
    refreshMinutes: 60,
  });
}

/** Stamps last_used_at, at most hourly, off the response path. */
async function touch(ctx: ServiceContext, userId: string, tokenHash: string) {
  const due = new Date(Date.now() - LAST_USED_INTERVAL_MS);
  await runAs(ctx.http, SYSTEM, (q) =>
    q
      .update(calendarFeeds)
      .set({ lastUsedAt: sql`now()` })
      .where(
        and(
          eq(calendarFeeds.userId, userId),
          eq(calendarFeeds.tokenHash, tokenHash),
          or(isNull(calendarFeeds.lastUsedAt), lt(calendarFeeds.lastUsedAt, due)),
        ),
      ),
  );
}
