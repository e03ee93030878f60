import * as z from "zod";
import { email, hello } from "../email";
import { formatRupees, formatRupeesSms, link, paise, text } from "../format";
import { sms } from "../sms";
import { defineTemplate } from "../types";
import { whatsapp } from "../whatsapp";

export const paymentReceipt = defineTemplate({
  name: "payment_receipt",
  description: "A course payment was received: the seat is confirmed, with the GST invoice.",
  transactional: true,
  variables: z.strictObject({
    name: text(200),
    courseTitle: text(200),
    batchName: text(200),
    amountPaise: paise(),
    /** GST invoice serial: at most 16 letters, digits, "-" or "/" (CGST Rule 46(b)). */
    invoiceNumber: z.string().regex(/^[A-Za-z0-9/-]{1,16}$/),
    /** The invoice behind sign-in (no token in it). */
    invoiceLink: link(),
  }),
  secretVariables: [],
  channels: {
    email: (v) =>
      email(`Payment received: ${v.invoiceNumber}`, [
        hello(v.name),
        {
          p: `We received your payment of ${formatRupees(v.amountPaise)} for ${v.courseTitle} (${v.batchName}). Your seat is confirmed.`,
        },
        { p: `Your GST invoice is ${v.invoiceNumber}.` },
        { link: v.invoiceLink, label: "Download the invoice (sign in first)" },
      ]),
    whatsapp: (v) =>
      whatsapp("payment_receipt_v1", [
        v.name,
        formatRupees(v.amountPaise),
        v.courseTitle,
        v.batchName,
        v.invoiceNumber,
        { link: v.invoiceLink },
      ]),
    sms: (v) =>
      sms("payment_receipt_v1", [
        formatRupeesSms(v.amountPaise),
        v.courseTitle,
        v.invoiceNumber,
        { link: v.invoiceLink },
      ]),
  },
  sample: {
    name: "Rahul Verma",
    courseTitle: "JEE Advanced 2027",
    batchName: "Morning Batch A",
    amountPaise: 11_800_000,
    invoiceNumber: "INV/2026-27/0042",
    invoiceLink: "https://learn.example.in/invoices/inv_8f2c",
  },
});

export const refund = defineTemplate({
  name: "refund",
  description:
    "A refund was started (initiated) or completed by the payment gateway (processed), with the amount.",
  transactional: true,
  variables: z
    .strictObject({
      status: z.enum(["initiated", "processed"]),
      name: text(200),
      courseTitle: text(200),
      batchName: text(200),
      amountPaise: paise(),
      /** True when the system refunded a payment it could not give a seat for. */
      automatic: z.boolean().default(false),
      /** Why: for an automatic refund, why the seat could not be given (required then). */
      reason: text(500).optional(),
    })
    .refine((v) => !v.automatic || v.reason !== undefined, {
      message: "an automatic refund needs its reason",
      path: ["reason"],
    }),
  secretVariables: [],
  channels: {
    email: (v) => {
      const amount = formatRupees(v.amountPaise);
      const where = `${v.courseTitle} (${v.batchName})`;
      if (v.status === "processed") {
        return email("Your refund has been processed", [
          hello(v.name),
          {
            p: `Your refund of ${amount} for ${where} has been processed to the account you paid from.`,
          },
          {
            p: "Banks usually take 5 to 7 working days to show it. Reply to this email if it has not arrived by then.",
          },
        ]);
      }
      return email("Your payment is being refunded", [
        hello(v.name),
        v.automatic
          ? {
              p: `We received ${amount} for ${where}, but could not give you the seat: ${v.reason}.`,
            }
          : { p: `We have started a refund of ${amount} for ${where}.` },
        ...(!v.automatic && v.reason ? [{ p: `Reason: ${v.reason}` }] : []),
        {
          p: v.automatic
            ? "The full amount is being refunded to the account you paid from. Banks usually take 5 to 7 working days. Reply to this email if it has not arrived by then."
            : "The amount is being refunded to the account you paid from. Banks usually take 5 to 7 working days. Reply to this email if it has not arrived by then.",
        },
      ]);
    },
    whatsapp: (v) =>
      whatsapp(v.status === "processed" ? "refund_processed_v1" : "refund_initiated_v1", [
        v.name,
        formatRupees(v.amountPaise),
        v.courseTitle,
        v.batchName,
      ]),
    sms: (v) =>
      v.status === "processed"
        ? sms("refund_processed_v1", [formatRupeesSms(v.amountPaise), v.courseTitle])
        : sms("refund_initiated_v1", [formatRupeesSms(v.amountPaise), v.courseTitle]),
  },
  sample: {
    status: "initiated",
    name: "Sneha Patel",
    courseTitle: "CAT 2027 Quant Crash Course",
    batchName: "Batch 3",
    amountPaise: 2_499_900,
    automatic: true,
    reason: "the batch filled up before your payment arrived",
  },
});
