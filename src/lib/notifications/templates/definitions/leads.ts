import * as z from "zod";
import { email, hello } from "../email";
import { BRAND, link, text } from "../format";
import { sms } from "../sms";
import { defineTemplate } from "../types";
import { whatsapp } from "../whatsapp";

export const leadFollowUp = defineTemplate({
  name: "lead_follow_up",
  description: "Marketing: follow up with a lead who asked about a course.",
  transactional: false,
  variables: z.strictObject({
    name: text(200),
    courseTitle: text(200),
    /** The counsellor the lead can talk to. */
    counsellorName: text(200),
    /** The course page with its upcoming batches. */
    link: link(),
    /** One-click unsubscribe (carries the lead's token); email only. */
    unsubscribeLink: link(),
  }),
  secretVariables: ["unsubscribeLink"],
  channels: {
    email: (v) =>
      email(
        `${v.courseTitle}: choosing your batch`,
        [
          hello(v.name),
          {
            p: `Thank you for your interest in ${v.courseTitle}. ${v.counsellorName} from our team would be glad to help you choose a batch and answer your questions.`,
          },
          { link: v.link, label: "See the course and upcoming batches" },
          { p: "Reply to this email to talk to us." },
        ],
        {
          unsubscribe: {
            link: v.unsubscribeLink,
            why: `You are receiving this because you asked ${BRAND} about ${v.courseTitle}.`,
          },
        },
      ),
    whatsapp: (v) =>
      whatsapp("lead_follow_up_v1", [v.name, v.courseTitle, v.counsellorName, { link: v.link }]),
    sms: (v) => sms("lead_follow_up_v1", [v.courseTitle, { link: v.link }]),
  },
  sample: {
    name: "Neha Joshi",
    courseTitle: "UPSC Prelims 2027 Foundation",
    counsellorName: "Rohan Gupta",
    link: "https://learn.example.in/courses/upsc-prelims-2027",
    unsubscribeLink: "https://learn.example.in/unsubscribe?token=Qm3Tx7Vb2Lc9Nw5Kp8Rd",
  },
});
