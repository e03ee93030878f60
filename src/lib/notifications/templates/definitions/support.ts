import * as z from "zod";
import { email, hello } from "../email";
import { formatTime, instant, link, text, ticketNumber, truncate } from "../format";
import { sms } from "../sms";
import { defineTemplate } from "../types";
import { whatsapp } from "../whatsapp";

const ticketFields = {
  name: text(200),
  ticketNumber: ticketNumber(),
  subject: text(200),
  /** The ticket's page (sign in to read it; no token). */
  link: link(),
};

/** What the student reads in email; WhatsApp gets the first 300 characters. */
const EXCERPT_MAX = 1000;
const WHATSAPP_EXCERPT_MAX = 300;

export const ticketReply = defineTemplate({
  name: "ticket_reply",
  description: "Support posted a public reply on the student's ticket (with a short excerpt).",
  transactional: true,
  variables: z.strictObject({ ...ticketFields, excerpt: text(EXCERPT_MAX) }),
  secretVariables: [],
  channels: {
    email: (v) =>
      email(`Re: [${v.ticketNumber}] ${v.subject}`, [
        hello(v.name),
        { p: `Our support team replied to your ticket ${v.ticketNumber} (${v.subject}):` },
        { quote: v.excerpt },
        { link: v.link, label: "Read the full reply and answer it" },
      ]),
    whatsapp: (v) =>
      whatsapp("ticket_reply_v1", [
        v.name,
        v.ticketNumber,
        v.subject,
        { text: v.excerpt, max: WHATSAPP_EXCERPT_MAX },
        { link: v.link },
      ]),
    sms: (v) => sms("ticket_reply_v1", [v.ticketNumber, { link: v.link }]),
  },
  sample: {
    name: "Ishaan Mehta",
    ticketNumber: "TKT-2026-000123",
    subject: "Recording of Sunday's class is missing",
    excerpt:
      "Hi Ishaan, thanks for flagging this. The recording was still processing; it is now in your course page under Week 6.\n\nRegards,\nDivya (Support)",
    link: "https://learn.example.in/support/tickets/TKT-2026-000123",
  },
});

const STATUS = {
  open: { label: "open", hint: "Our team is working on it and will get back to you soon." },
  pending: {
    label: "waiting for your reply",
    hint: "We need a little more information from you: please reply on the ticket page.",
  },
  on_hold: {
    label: "on hold",
    hint: "We are waiting on someone outside our team and will update you as soon as we hear.",
  },
  solved: {
    label: "solved",
    hint: "If something is still wrong, reply on the ticket page within 7 days and we will pick it up again.",
  },
  closed: { label: "closed", hint: "If you need more help, open a new ticket." },
} as const;

export const ticketStatus = defineTemplate({
  name: "ticket_status",
  description: "The student's support ticket changed status.",
  transactional: true,
  variables: z.strictObject({
    ...ticketFields,
    status: z.enum(Object.keys(STATUS) as [keyof typeof STATUS, ...(keyof typeof STATUS)[]]),
  }),
  secretVariables: [],
  channels: {
    email: (v) =>
      email(`[${v.ticketNumber}] Your ticket is ${STATUS[v.status].label}`, [
        hello(v.name),
        {
          p: `Your support ticket ${v.ticketNumber} (${v.subject}) is now ${STATUS[v.status].label}.`,
        },
        { p: STATUS[v.status].hint },
        { link: v.link, label: "See the ticket" },
      ]),
    whatsapp: (v) =>
      whatsapp("ticket_status_v1", [
        v.name,
        v.ticketNumber,
        v.subject,
        STATUS[v.status].label,
        { link: v.link },
      ]),
  },
  sample: {
    name: "Ishaan Mehta",
    ticketNumber: "TKT-2026-000123",
    subject: "Recording of Sunday's class is missing",
    status: "solved",
    link: "https://learn.example.in/support/tickets/TKT-2026-000123",
  },
});

export const ticketSla = defineTemplate({
  name: "ticket_sla",
  description: "For admins: a ticket is about to breach, or has breached, its SLA.",
  transactional: true,
  variables: z.strictObject({
    /** The admin addressed. */
    name: text(200),
    ticketNumber: ticketNumber(),
    subject: text(200),
    state: z.enum(["at_risk", "breached"]),
    target: z.enum(["first_response", "resolution"]),
    priority: z.enum(["low", "normal", "high", "urgent"]),
    dueAt: instant(),
    /** Who holds the ticket; absent when nobody does. */
    assignee: text(200).optional(),
    /** The ticket in the admin console. */
    link: link(),
  }),
  secretVariables: [],
  channels: {
    email: (v) => {
      const what = v.target === "first_response" ? "first response" : "resolution";
      const due = formatTime(v.dueAt);
      const breached = v.state === "breached";
      return email(
        `[SLA ${breached ? "breached" : "at risk"}] ${v.ticketNumber}: ${truncate(v.subject, 80)}`,
        [
          hello(v.name),
          {
            p: breached
              ? `Ticket ${v.ticketNumber} (${v.subject}) missed its ${what} deadline of ${due}.`
              : `Ticket ${v.ticketNumber} (${v.subject}) is due a ${what} by ${due}.`,
          },
          {
            p: `Priority: ${v.priority}. ${v.assignee ? `Assigned to ${v.assignee}.` : "Nobody is assigned."}`,
          },
          { link: v.link, label: "Open the ticket" },
        ],
      );
    },
  },
  sample: {
    name: "Divya Menon",
    ticketNumber: "TKT-2026-000123",
    subject: "Recording of Sunday's class is missing",
    state: "at_risk",
    target: "first_response",
    priority: "high",
    dueAt: "2026-12-07T12:00:00.000Z",
    assignee: "Arjun Singh",
    link: "https://learn.example.in/admin/support/tickets/TKT-2026-000123",
  },
});
