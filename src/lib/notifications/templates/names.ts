/** Template names are contracts: the outbox stores them and providers tag messages with them. */
export const templateNames = [
  "class_reminder",
  "schedule_change",
  "payment_receipt",
  "refund",
  "ticket_reply",
  "ticket_status",
  "ticket_sla",
  "lead_follow_up",
  "email_verification",
  "password_reset",
  "account_invitation",
  "admin_request_verification",
  "admin_request_decision",
] as const;

export type TemplateName = (typeof templateNames)[number];
