/**
 * Ticket attachments in R2 (`FILES`). The type is what the bytes are (magic numbers,
 * src/lib/uploads), never the name or the Content-Type sent; the name is sanitised and takes
 * the extension of that type. An upload is checked (the ticket visible to the caller, not
 * closed, fewer than 5 files) before the object is written, and again under the ticket's lock
 * when its row is; an object whose row does not commit is deleted.
 */
import { and, count, eq } from "drizzle-orm";
import {
  type TicketAttachment,
  ticketAttachments,
  ticketEvents,
  tickets,
} from "../../../db/schema";
import { runAs } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { AppError, dependencyUnavailable } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import {
  ALLOWED_TYPES,
  contentDisposition,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENTS_PER_TICKET,
  sanitizeFileName,
  sniffFileType,
} from "../../../lib/uploads";
import type { AttachmentView } from "../schemas";
import { ticketClosed } from "./student";
import { lockTicket, ticketNotFound, toAttachment } from "./views";

export const attachmentTooLarge = () =>
  new AppError({
    code: "PAYLOAD_TOO_LARGE",
    detail: `A file may be at most ${MAX_ATTACHMENT_BYTES} bytes (10 MB).`,
    extensions: { maxBytes: MAX_ATTACHMENT_BYTES },
  });

const typeRefused = () =>
  new AppError({
    code: "UNSUPPORTED_MEDIA_TYPE",
    detail:
      "Only images (PNG, JPEG, GIF, WebP, HEIC, AVIF), PDF and plain text can be attached; " +
      "the type is read from the file's content, not its name.",
    extensions: { allowedTypes: ALLOWED_TYPES },
  });

const limitReached = () =>
  new AppError({
    code: "ATTACHMENT_LIMIT",
    detail: `A ticket can have at most ${MAX_ATTACHMENTS_PER_TICKET} attachments.`,
    extensions: { maxAttachments: MAX_ATTACHMENTS_PER_TICKET },
  });

/** Only a student's own ticket, or any for admins (RLS); closed tickets take no files. */
function assertUploadable(
  t: { studentId: string; status: string } | undefined,
  ctx: ServiceContext,
  files: number,
) {
  const admin = ctx.actor.role === "admin" || ctx.actor.role === "super_admin";
  if (!t || (!admin && t.studentId !== ctx.actor.userId)) throw ticketNotFound();
  if (t.status === "closed") throw ticketClosed("This ticket is closed: it takes no more files.");
  if (files >= MAX_ATTACHMENTS_PER_TICKET) throw limitReached();
}

const hex = (buf: ArrayBuffer) =>
  Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");

/** `POST /v1/tickets/{id}/attachments`: one file, checked, stored, recorded. */
export async function uploadAttachment(
  ctx: ServiceContext,
  ticketId: string,
  file: { name: string; bytes: Uint8Array },
): Promise<AttachmentView> {
  const userId = ctx.actor.userId;
  if (!userId) throw new Error("uploadAttachment needs a signed-in user");
  if (file.bytes.byteLength > MAX_ATTACHMENT_BYTES) throw attachmentTooLarge();
  const type = sniffFileType(file.bytes);
  if (!type) throw typeRefused();

  // Before anything is written to R2: the caller may attach to this ticket, and it has room.
  const [pre] = await runAs(ctx.http, ctx.actor, (db) =>
    db
      .select({
        studentId: tickets.studentId,
        status: tickets.status,
        files: db.$count(ticketAttachments, eq(ticketAttachments.ticketId, tickets.id)),
      })
      .from(tickets)
      .where(eq(tickets.id, ticketId)),
  );
  assertUploadable(pre, ctx, pre?.files ?? 0);

  const id = crypto.randomUUID();
  const objectKey = `tickets/${ticketId}/${id}`;
  const fileName = sanitizeFileName(file.name, type.ext);
  const sha256 = hex(await crypto.subtle.digest("SHA-256", file.bytes));
  try {
    await ctx.files.put(objectKey, file.bytes, {
      httpMetadata: { contentType: type.mime },
      customMetadata: { ticketId, uploadedBy: userId, sha256 },
      sha256,
    });
  } catch (err) {
    // Nothing was recorded: the client may retry the same upload.
    throw dependencyUnavailable("file storage", err);
  }
  try {
    return await runAs(ctx.db, ctx.actor, async (tx) => {
      const ticket = await lockTicket(tx, ticketId);
      const [{ n } = { n: 0 }] = await tx
        .select({ n: count() })
        .from(ticketAttachments)
        .where(eq(ticketAttachments.ticketId, ticketId));
      assertUploadable(ticket, ctx, n);
      const now = new Date();
      const [row] = await tx
        .insert(ticketAttachments)
        .values({
          id,
          ticketId,
          uploadedBy: userId,
          fileName,
          contentType: type.mime,
          sizeBytes: file.bytes.byteLength,
          sha256,
          objectKey,
          createdAt: now,
        })
        .returning();
      if (!row) throw new Error("attachment insert returned nothing");
      await tx.insert(ticketEvents).values({
        ticketId,
        kind: "attachment_added",
        actorId: userId,
        data: { attachmentId: id, fileName, contentType: type.mime, sizeBytes: row.sizeBytes },
        createdAt: now,
      });
      await tx
        .update(tickets)
        .set({ lastActivityAt: now, updatedAt: now })
        .where(eq(tickets.id, ticketId));
      await recordAudit(tx, ctx.audit, {
        action: "ticket.attachment_added",
        entityType: "ticket",
        entityId: ticketId,
        after: { attachmentId: id, contentType: type.mime, sizeBytes: row.sizeBytes, sha256 },
      });
      return toAttachment(row, ticket.studentId);
    });
  } catch (err) {
    // The row did not commit: the object must not outlive it.
    ctx.waitUntil(ctx.files.delete(objectKey));
    throw err;
  }
}

export interface AttachmentDownload {
  attachment: TicketAttachment;
  body: ReadableStream;
  headers: Record<string, string>;
}

/**
 * `GET /v1/attachments/{id}`: the file, to the ticket's student or an admin (RLS shows no one
 * else the row: 404). Always a download, never rendered: `Content-Disposition: attachment`,
 * `nosniff`, and the type read at upload.
 */
export async function downloadAttachment(
  ctx: ServiceContext,
  id: string,
): Promise<AttachmentDownload> {
  const admin = ctx.actor.role === "admin" || ctx.actor.role === "super_admin";
  const notFound = () =>
    new AppError({ code: "NOT_FOUND", detail: "The attachment was not found." });
  const userId = ctx.actor.userId;
  if (!userId) throw notFound();
  const [row] = await runAs(ctx.http, ctx.actor, (db) =>
    db
      .select({ attachment: ticketAttachments, studentId: tickets.studentId })
      .from(ticketAttachments)
      .innerJoin(tickets, eq(tickets.id, ticketAttachments.ticketId))
      .where(and(eq(ticketAttachments.id, id), admin ? undefined : eq(tickets.studentId, userId))),
  );
  if (!row) throw notFound();
  const object = await ctx.files.get(row.attachment.objectKey).catch((err: unknown) => {
    throw dependencyUnavailable("file storage", err);
  });
  if (!object) throw notFound();
  const a = row.attachment;
  return {
    attachment: a,
    body: object.body,
    headers: {
      "Content-Type": a.contentType === "text/plain" ? "text/plain; charset=utf-8" : a.contentType,
      "Content-Length": String(object.size),
      "Content-Disposition": contentDisposition(a.fileName),
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "private, no-store",
      ETag: `"${a.sha256}"`,
    },
  };
}
