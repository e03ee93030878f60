/** The class emails: times in the batch's zone, user text escaped in the HTML twin. */
import { describe, expect, it } from "vitest";
import { sessionCancelledEmail, sessionRescheduledEmail } from "../../src/lib/email";

const common = {
  name: "Asha <b>",
  courseTitle: "JEE Physics",
  batchName: "Morning",
  sessionTitle: "Waves <script>alert(1)</script>",
  timezone: "Asia/Kolkata",
  link: "https://app.example.in/schedule",
};

describe("class emails", () => {
  it("a reschedule names the new and the old time in IST", () => {
    const email = sessionRescheduledEmail({
      ...common,
      previousStartsAt: new Date("2030-01-07T04:30:00Z"),
      startsAt: new Date("2030-01-08T12:00:00Z"),
      durationMinutes: 90,
    });
    expect(email.template).toBe("session_rescheduled");
    expect(email.text).toMatch(/New time: Tuesday, 8 January 2030 at 5:30\s?pm IST/i);
    expect(email.text).toMatch(/was Monday, 7 January 2030 at 10:00\s?am IST/i);
    expect(email.html).not.toContain("<script>");
    expect(email.html).toContain("&lt;script&gt;");
    expect(email.links).toEqual(["https://app.example.in/schedule"]);
  });

  it("a cancellation in another zone shows that zone", () => {
    const email = sessionCancelledEmail({
      ...common,
      timezone: "Asia/Dubai",
      startsAt: new Date("2030-01-07T04:30:00Z"),
    });
    expect(email.template).toBe("session_cancelled");
    expect(email.text).toMatch(/7 January 2030 at 8:30\s?am (GST|GMT\+4)/i);
  });
});
