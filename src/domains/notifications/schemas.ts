import { z } from "@hono/zod-openapi";
import { channels, notificationStatuses } from "../../db/schema";
import { templateNames } from "../../lib/notifications/templates";
import { keysetQuery, paginatedSchema } from "../../lib/pagination";

export const NotificationListQuery = keysetQuery.extend({
  status: z.enum(notificationStatuses).optional(),
});
export type NotificationListQuery = z.infer<typeof NotificationListQuery>;

export const NotificationIdParam = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

export const TemplateNameParam = z.object({
  name: z.enum(templateNames).openapi({ param: { name: "name", in: "path" } }),
});

export const NotificationSchema = z
  .object({
    id: z.uuid().openapi({ description: "Also the idempotency key sent to the provider" }),
    channel: z.enum(channels),
    to: z.string(),
    template: z.string(),
    variables: z
      .record(z.string(), z.unknown())
      .openapi({ description: "What is safe to show; links carrying tokens are never here" }),
    transactional: z.boolean(),
    status: z.enum(notificationStatuses),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    provider: z.string().nullable(),
    providerMessageId: z.string().nullable(),
    notBefore: z.iso
      .datetime()
      .openapi({ description: "Quiet hours or a retry delay: not before" }),
    createdAt: z.iso.datetime(),
    sentAt: z.iso.datetime().nullable(),
  })
  .openapi("Notification");

export const NotificationPage = paginatedSchema(NotificationSchema, "NotificationPage");

export const TemplatePreviewSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    transactional: z.boolean(),
    secretVariables: z.array(z.string()),
    sample: z.record(z.string(), z.unknown()),
    email: z.object({ subject: z.string(), text: z.string(), html: z.string() }).optional(),
    whatsapp: z
      .object({
        name: z.string(),
        language: z.string(),
        params: z.array(z.string()),
        preview: z.string(),
      })
      .optional(),
    sms: z
      .object({
        text: z.string(),
        encoding: z.enum(["GSM-7", "UCS-2"]),
        segments: z.number().int(),
      })
      .optional(),
  })
  .openapi("TemplatePreview");
