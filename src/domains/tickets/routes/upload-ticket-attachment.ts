import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../../../lib/context";
import { AppError } from "../../../lib/errors";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { MAX_ATTACHMENT_BYTES } from "../../../lib/uploads";
import { AttachmentSchema, TicketIdParams } from "../schemas";
import { attachmentTooLarge, uploadAttachment } from "../service/attachments";

/** The file plus the multipart framing around it (boundaries, part headers, a long name). */
export const UPLOAD_BODY_MAX = MAX_ATTACHMENT_BYTES + 64 * 1024;

const PATH = /^\/v1\/tickets\/[^/]+\/attachments\/?$/;

/** The one route whose body is multipart and may exceed MAX_BODY_BYTES (its own limit). */
export const isAttachmentUpload = (method: string, path: string) =>
  method === "POST" && PATH.test(path);

const malformed = (detail: string) => new AppError({ code: "MALFORMED_REQUEST", detail });

export const route = createRoute({
  method: "post",
  path: "/v1/tickets/{id}/attachments",
  operationId: "uploadTicketAttachment",
  tags: ["Support"],
  summary: "Attach a file to a ticket (its student or an admin): multipart, field `file`",
  description:
    "One file per request, at most 10 MB (413), at most 5 per ticket (409 ATTACHMENT_LIMIT). " +
    "Images (PNG, JPEG, GIF, WebP, HEIC, AVIF), PDF and plain text only, recognised by their " +
    "content, not their name or Content-Type (415 otherwise: an HTML page named .png is " +
    "refused). The name is sanitised and given the extension of the type found. Limited by " +
    "the `upload` policy.",
  security: [{ bearerAuth: [] }],
  middleware: [
    bodyLimit({
      maxSize: UPLOAD_BODY_MAX,
      onError: () => {
        throw attachmentTooLarge();
      },
    }),
  ] as const,
  request: {
    params: TicketIdParams,
    body: {
      required: true,
      content: {
        "multipart/form-data": {
          // A plain schema: documented, not validated by zod (the handler reads the file).
          schema: {
            type: "object",
            required: ["file"],
            properties: { file: { type: "string", format: "binary" } },
          },
        },
      },
    },
  },
  responses: {
    ...errorResponses(400, 401, 403, 404, 409, 413, 415),
    201: jsonContent(AttachmentSchema, "The attachment"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const type = c.req.header("Content-Type") ?? "";
    if (!/^multipart\/form-data\s*;/i.test(type)) {
      throw new AppError({
        code: "UNSUPPORTED_MEDIA_TYPE",
        detail: "Send the file as multipart/form-data, in a field named `file`.",
      });
    }
    let form: FormData;
    try {
      form = await c.req.formData();
    } catch {
      throw malformed("The multipart body could not be read.");
    }
    const files = form.getAll("file");
    const file = files[0];
    if (files.length !== 1 || !(file instanceof File)) {
      throw new AppError({
        code: "VALIDATION_FAILED",
        detail: "Send exactly one file, in a field named `file`.",
        errors: [{ path: "file", message: "Exactly one file is required" }],
      });
    }
    if (file.size === 0) {
      throw new AppError({
        code: "VALIDATION_FAILED",
        detail: "The file is empty.",
        errors: [{ path: "file", message: "Must not be empty" }],
      });
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const attachment = await uploadAttachment(serviceContext(c), c.req.valid("param").id, {
      name: file.name,
      bytes,
    });
    return c.json(attachment, 201);
  });
}
