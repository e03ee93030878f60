import { z } from "@hono/zod-openapi";
import { channels, leadStatuses, messageDirections, messageStatuses } from "../../db/schema";
import { KeysetPaginationSchema, keysetQuery, paginatedSchema } from "../../lib/pagination";
import { instant, text } from "../../lib/validation";

/** `true`/`false` in a query string (anything else is a 400, never a silent false). */
const flag = (description: string) =>
  z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional()
    .openapi({ description });

export const ConversationIdParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

export const ConversationListQuery = keysetQuery.extend({
  unread: flag("true: threads with unread messages; false: threads without"),
  important: flag("Only threads marked important (true) or not (false)"),
  archived: flag("true: the archive; false or absent: the inbox (archived threads hidden)"),
  snoozed: flag(
    "true: only threads snoozed until a future time; false or absent: snoozed threads hidden until `snoozedUntil` passes",
  ),
  assignee: z
    .union([z.uuid(), z.enum(["me", "none"])])
    .optional()
    .openapi({ description: "An admin's id, `me` (the caller) or `none` (unassigned)" }),
  channel: z.enum(channels).optional(),
});
export type ConversationListQuery = z.infer<typeof ConversationListQuery>;

const ContactSummary = z
  .object({
    id: z.uuid(),
    name: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    leadStatus: z.enum(leadStatuses).nullable(),
    isStudent: z.boolean(),
  })
  .openapi("InboxContact");

export const ConversationSchema = z
  .object({
    id: z.uuid(),
    channel: z.enum(channels),
    address: z.string().openapi({ description: "Email address or E.164 phone" }),
    contact: ContactSummary,
    unreadCount: z.number().int(),
    important: z.boolean(),
    archived: z.boolean(),
    snoozedUntil: z.iso.datetime().nullable(),
    assigneeId: z.uuid().nullable(),
    lastMessageAt: z.iso.datetime(),
    lastInboundAt: z.iso.datetime().nullable(),
    lastMessagePreview: z.string().nullable(),
    whatsappWindowClosesAt: z.iso.datetime().nullable().openapi({
      description:
        "WhatsApp only: free text may be sent until then (24 h after the contact's last message); afterwards only a template",
    }),
    createdAt: z.iso.datetime(),
  })
  .openapi("Conversation");
export type ConversationView = z.infer<typeof ConversationSchema>;

export const UnreadCounts = z
  .object({
    conversations: z.number().int().openapi({ description: "Inbox threads with unread messages" }),
    messages: z.number().int().openapi({ description: "Unread messages in those threads" }),
  })
  .openapi("InboxUnreadCounts", {
    description:
      "Over the whole inbox (not archived, not snoozed), whatever the list's filters: what a badge shows",
  });

export const ConversationPage = z
  .object({
    data: z.array(ConversationSchema),
    pagination: KeysetPaginationSchema,
    unread: UnreadCounts,
  })
  .openapi("ConversationPage");

export const OpenConversationBody = z
  .strictObject({ contactId: z.uuid(), channel: z.enum(channels) })
  .openapi("OpenConversationRequest");
export type OpenConversationBody = z.infer<typeof OpenConversationBody>;

export const UpdateConversationBody = z
  .strictObject({
    read: z.boolean().optional().openapi({
      description: "true: all read (unread count 0); false: marked unread (at least 1)",
    }),
    important: z.boolean().optional(),
    archived: z.boolean().optional(),
    snoozedUntil: instant().nullable().optional().openapi({
      description: "A future instant (hidden from the inbox until then), or null to unsnooze",
    }),
    assigneeId: z.uuid().nullable().optional().openapi({
      description: "An active admin or super admin, or null",
    }),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: "Give at least one field to change",
  })
  .openapi("UpdateConversationRequest");
export type UpdateConversationBody = z.infer<typeof UpdateConversationBody>;

export const MessageSchema = z
  .object({
    id: z.uuid(),
    conversationId: z.uuid(),
    direction: z.enum(messageDirections),
    body: z.string(),
    template: z.string().nullable(),
    templateParams: z.array(z.string()).nullable(),
    status: z.enum(messageStatuses),
    provider: z.string().nullable(),
    providerMessageId: z.string().nullable(),
    error: z.string().nullable(),
    sentBy: z.uuid().nullable(),
    notificationId: z.uuid().nullable(),
    statusAt: z.iso.datetime(),
    createdAt: z.iso.datetime(),
  })
  .openapi("InboxMessage");
export type MessageView = z.infer<typeof MessageSchema>;

export const MessagePage = paginatedSchema(MessageSchema, "InboxMessagePage");

export const MessageListQuery = keysetQuery;

const TEMPLATE_NAME = /^[a-z][a-z0-9_]{0,63}$/;

const TemplateVariables = z
  .record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/),
    z.union([text({ min: 0, max: 2000 }), z.number(), z.boolean(), z.null()]),
  )
  .refine((v) => Object.keys(v).length <= 30, "At most 30 variables")
  .openapi({
    description: "The template's variables by name, checked against the template's own schema",
  });

export const SendMessageBody = z
  .union([
    z.strictObject({
      text: text({ max: 4000 }).openapi({ description: "Free text" }),
      subject: text({ max: 200 }).optional().openapi({ description: "Email only" }),
    }),
    z.strictObject({
      template: z.strictObject({
        name: z.string().regex(TEMPLATE_NAME).openapi({ example: "lead_follow_up" }),
        variables: TemplateVariables,
      }),
    }),
  ])
  .openapi("SendMessageRequest", {
    description:
      "Either `text` (free text; on WhatsApp only within 24 h of the contact's last message) or `template` (a named notification template, any time)",
  });
export type SendMessageBody = z.infer<typeof SendMessageBody>;

export const SentMessageSchema = z
  .object({
    message: MessageSchema,
    notification: z.object({
      id: z.uuid(),
      status: z.literal("queued"),
      notBefore: z.iso.datetime().openapi({
        description:
          "When it may go out: now, or 09:00 IST for a marketing template in quiet hours",
      }),
      transactional: z.boolean(),
    }),
  })
  .openapi("SentMessage");
export type SentMessageView = z.infer<typeof SentMessageSchema>;

export const SearchQuery = z.object({
  q: text({ max: 200 }).openapi({
    description: 'Web-search syntax (words, "quoted phrases", OR, -excluded), English stemming',
  }),
  limit: z.coerce.number().int().min(1).max(50).default(20).openapi({
    description: "At most 50: results are the best matches, not a pageable list",
  }),
});
export type SearchQuery = z.infer<typeof SearchQuery>;

export const SearchHitSchema = z
  .object({
    messageId: z.uuid(),
    conversationId: z.uuid(),
    channel: z.enum(channels),
    address: z.string(),
    contact: z.object({ id: z.uuid(), name: z.string() }),
    direction: z.enum(messageDirections),
    createdAt: z.iso.datetime(),
    rank: z.number(),
    highlight: z.string().openapi({
      description:
        "HTML-safe: the message text escaped (&, <, >, \", ') with matches wrapped in <mark>…</mark>; nothing else is markup",
    }),
  })
  .openapi("MessageSearchHit");
export type SearchHit = z.infer<typeof SearchHitSchema>;

export const SearchResultSchema = z
  .object({ data: z.array(SearchHitSchema), limit: z.number().int() })
  .openapi("MessageSearchResult");

export const WebhookAnswer = z
  .object({
    outcome: z.enum(["applied", "duplicate", "ignored"]),
    received: z.number().int().optional(),
    statuses: z.number().int().optional(),
    duplicates: z.number().int().optional(),
  })
  .openapi("MessagingWebhookAnswer");
export type WebhookAnswer = z.infer<typeof WebhookAnswer>;
