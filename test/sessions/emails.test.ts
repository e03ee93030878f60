/** The class emails (`schedule_change`): times in the batch's zone, user text escaped in the HTML. */
import { describe, expect, it } from "vitest";
import { type RenderedEmail, renderTemplate } from "../../src/lib/notifications/templates";

const common = {
  name: "Asha <b>",
  courseTitle: "JEE Physics",
  batchName: "Morning",
  sessionTitle: "Waves <script>alert(1)</script>",
  timeZone: "Asia/Kolkata",
  link: "https://app.example.in/schedule",
};

function email(variables: Record<string, unknown>): RenderedEmail {
  const r = renderTemplate("schedule_change", "email", variables);
  if (!r.ok) throw new Error(JSON.stringify(r));
  return r.rendered;
}

describe("class emails", () => {
  it("a reschedule names the new and the old time in IST", () => {
    const mail = email({
      change: "rescheduled",
      ...common,
      previousStartsAt: "2030-01-07T04:30:00Z",
      startsAt: "2030-01-08T12:00:00Z",
      durationMinutes: 90,
    });
    expect(mail.subject).toBe("Class changed: Waves <script>alert(1)</script>");
    expect(mail.text).toContain("New time: Tue, 8 Jan 2030, 5:30 pm IST");
    expect(mail.text).toContain("(was Mon, 7 Jan 2030, 10:00 am IST), 90 minutes.");
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).toContain("&lt;script&gt;");
    expect(mail.links).toEqual(["https://app.example.in/schedule"]);
  });

  it("a change of length or title alone gives the time once", () => {
    const mail = email({
      change: "rescheduled",
      ...common,
      previousStartsAt: "2030-01-08T12:00:00Z",
      startsAt: "2030-01-08T12:00:00Z",
      durationMinutes: 60,
    });
    expect(mail.text).toContain("Time: Tue, 8 Jan 2030, 5:30 pm IST, 60 minutes.");
    expect(mail.text).not.toContain("was ");
  });

  it("a cancellation in another zone shows that zone", () => {
    const mail = email({
      change: "cancelled",
      ...common,
      timeZone: "Asia/Dubai",
      startsAt: "2030-01-07T04:30:00Z",
    });
    expect(mail.subject).toMatch(/^Class cancelled: /);
    expect(mail.text).toMatch(/7 Jan 2030, 8:30 am (GST|GMT\+4)/);
  });
});
