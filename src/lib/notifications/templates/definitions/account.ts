import * as z from "zod";
import { email, hello } from "../email";
import { BRAND, hours, link, text } from "../format";
import { defineTemplate } from "../types";

// Security mail goes by email only: the link in it is a credential, and a phone number may
// have been reassigned.

const name = () => text(200);

export const emailVerification = defineTemplate({
  name: "email_verification",
  description: "Confirm the email address of a new account (link with a one-time token).",
  transactional: true,
  variables: z.strictObject({
    name: name(),
    link: link(),
    expiresInHours: z.int().min(1).max(720).default(48),
  }),
  secretVariables: ["link"],
  channels: {
    email: (v) =>
      email("Confirm your email address", [
        hello(v.name),
        { p: "Please confirm that this is your email address." },
        { link: v.link, label: "Confirm your email" },
        {
          p: `The link expires in ${hours(v.expiresInHours)}. If you did not sign up, ignore this email.`,
        },
      ]),
  },
  sample: {
    name: "Aarav Sharma",
    link: "https://learn.example.in/verify-email?token=k3J9xQvT2mZp8RwL5nYc",
    expiresInHours: 48,
  },
});

export const passwordReset = defineTemplate({
  name: "password_reset",
  description: "Choose a new password (link with a one-time token).",
  transactional: true,
  variables: z.strictObject({
    name: name(),
    link: link(),
    expiresInMinutes: z.int().min(1).max(1440).default(60),
  }),
  secretVariables: ["link"],
  channels: {
    email: (v) =>
      email("Reset your password", [
        hello(v.name),
        { p: "Someone (hopefully you) asked to reset your password." },
        { link: v.link, label: "Choose a new password" },
        {
          p: `The link expires in ${v.expiresInMinutes} minutes and works once. If you did not ask for this, ignore this email: your password stays the same.`,
        },
      ]),
  },
  sample: {
    name: "Priya Iyer",
    link: "https://learn.example.in/reset-password?token=Vb7Qe2LxN9sTa4KdW1pH",
    expiresInMinutes: 60,
  },
});

export const accountInvitation = defineTemplate({
  name: "account_invitation",
  description:
    "An admin turned a lead into a student: set a password to sign in (link with a one-time token).",
  transactional: true,
  variables: z.strictObject({
    name: name(),
    link: link(),
    /** The course the lead enrolled in, when there is one. */
    courseTitle: text(200).optional(),
    expiresInHours: z.int().min(1).max(720).default(72),
  }),
  secretVariables: ["link"],
  channels: {
    email: (v) =>
      email(`Set your password for ${BRAND}`, [
        hello(v.name),
        {
          p: v.courseTitle
            ? `We have created your student account at ${BRAND} for ${v.courseTitle}. Set a password to sign in.`
            : `We have created your student account at ${BRAND}. Set a password to sign in.`,
        },
        { link: v.link, label: "Set your password" },
        {
          p: `The link expires in ${hours(v.expiresInHours)} and works once. If you were not expecting this, ignore this email.`,
        },
      ]),
  },
  sample: {
    name: "Kavya Reddy",
    link: "https://learn.example.in/set-password?token=Zt5Mq8RcY3vKe6XbP2nJ",
    courseTitle: "NEET Biology 2027",
    expiresInHours: 72,
  },
});

export const adminRequestVerification = defineTemplate({
  name: "admin_request_verification",
  description: "Confirm a request for admin access before a super admin reviews it.",
  transactional: true,
  variables: z.strictObject({
    name: name(),
    link: link(),
    expiresInHours: z.int().min(1).max(720).default(24),
  }),
  secretVariables: ["link"],
  channels: {
    email: (v) =>
      email("Confirm your admin access request", [
        hello(v.name),
        {
          p: "You asked to become an admin. Confirm the request so a super admin can review it.",
        },
        { link: v.link, label: "Confirm the request" },
        {
          p: `The link expires in ${hours(v.expiresInHours)}. If you did not ask for this, ignore this email.`,
        },
      ]),
  },
  sample: {
    name: "Meera Nair",
    link: "https://learn.example.in/admin-requests/verify?token=Hq4Ws9LtB6yNc2VxR8mF",
    expiresInHours: 24,
  },
});

export const adminRequestDecision = defineTemplate({
  name: "admin_request_decision",
  description: "A super admin approved or declined a request for admin access.",
  transactional: true,
  variables: z.strictObject({
    name: name(),
    decision: z.enum(["approved", "rejected"]),
    /** Shown to the requester when rejected. */
    reason: text(1000).optional(),
    /** Where to sign in next (no token). */
    link: link(),
  }),
  secretVariables: [],
  channels: {
    email: (v) => {
      const approved = v.decision === "approved";
      return email(
        approved
          ? "Your admin access request was approved"
          : "Your admin access request was declined",
        [
          hello(v.name),
          {
            p: approved
              ? "Your request for admin access was approved. Sign in again to use your new role."
              : "Your request for admin access was not approved.",
          },
          ...(!approved && v.reason ? [{ p: `Reason: ${v.reason}` }] : []),
          { link: v.link, label: `Open ${BRAND}` },
        ],
      );
    },
  },
  sample: {
    name: "Meera Nair",
    decision: "rejected",
    reason: "We could not verify your phone number. Please call the office on a weekday.",
    link: "https://learn.example.in/sign-in",
  },
});
