/**
 * GET /v1/admin/messages/search: English full-text search over bodies through the mounted app,
 * ranked, bounded, and highlights that are safe to put in an admin's page.
 */
import { describe, expect, it } from "vitest";
import { highlightHtml } from "../../src/domains/inbox/service/search";
import { freshPhone, inboundText, inboxHarness, postWhatsApp } from "./support";

interface Hit {
  messageId: string;
  conversationId: string;
  channel: string;
  contact: { id: string; name: string };
  rank: number;
  highlight: string;
}

/** A word no other test uses (letters only: one lexeme), so results are this test's. */
const word = () =>
  `q${Array.from(crypto.getRandomValues(new Uint8Array(10)), (b) => String.fromCharCode(97 + (b % 26))).join("")}`;

describe("GET /v1/admin/messages/search", () => {
  it("finds by stem, ranks the better match first, and escapes hostile HTML around <mark>", async (t) => {
    const h = await inboxHarness(t);
    const admin = await h.asAdmin();
    const w = word();
    const hostile = `<img src=x onerror=alert(1)> "${w}" timings & 5 < 6 'fees' </mark><script>x</script>`;
    await postWhatsApp(h, inboundText(freshPhone(), hostile, { name: "Evil <Name>" }));
    await postWhatsApp(h, inboundText(freshPhone(), `${w} ${w} ${w} ${w}: the timings please`));
    await postWhatsApp(h, inboundText(freshPhone(), "nothing to see here"));

    const res = await h.get<{ data: Hit[]; limit: number }>(
      `/v1/admin/messages/search?q=${encodeURIComponent(`${w} timing`)}`,
      { headers: admin.auth },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toHaveLength(2);
    const [best, second] = res.body.data;
    expect(best?.rank).toBeGreaterThan(second?.rank ?? 0);
    expect(best?.highlight).toContain(`<mark>${w}</mark>`);
    // Stemming: "timing" matched "timings".
    expect(second?.highlight).toContain("<mark>timings</mark>");
    // What ts_headline keeps of the body comes back escaped (it drops what it parses as tags).
    for (const escaped of ["onerror=alert(1)&gt;", "5 &lt; 6", "&quot;", "&amp;", "&#39;fees"]) {
      expect(second?.highlight).toContain(escaped);
    }
    // The only markup is <mark> and </mark>.
    const stripped = (second?.highlight ?? "").replaceAll("<mark>", "").replaceAll("</mark>", "");
    expect(stripped).not.toMatch(/[<>]/);
    expect(second).toMatchObject({ channel: "whatsapp", contact: { name: "Evil <Name>" } });
  });

  it("a body cannot forge the private markers", async (t) => {
    const h = await inboxHarness(t);
    const admin = await h.asAdmin();
    const w = word();
    await postWhatsApp(h, inboundText(freshPhone(), `\uE000forged\uE001 ${w}`));
    const res = await h.get<{ data: Hit[] }>(`/v1/admin/messages/search?q=${w}`, {
      headers: admin.auth,
    });
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0]?.highlight).toBe(`forged <mark>${w}</mark>`);
  });

  it("web-search syntax, bounded results, and refusals", async (t) => {
    const h = await inboxHarness(t);
    const admin = await h.asAdmin();
    const [a, b] = [word(), word()];
    for (let i = 0; i < 4; i++)
      await postWhatsApp(h, inboundText(freshPhone(), `${a} number ${i}`));
    await postWhatsApp(h, inboundText(freshPhone(), `${a} and ${b}`));
    const get = (q: string) =>
      h.get<{ data: Hit[]; limit: number }>(`/v1/admin/messages/search?${q}`, {
        headers: admin.auth,
      });
    expect((await get(`q=${a}`)).body.data).toHaveLength(5);
    const limited = await get(`q=${a}&limit=2`);
    expect(limited.body).toMatchObject({ limit: 2 });
    expect(limited.body.data).toHaveLength(2);
    expect((await get(`q=${encodeURIComponent(`${a} -${b}`)}`)).body.data).toHaveLength(4);
    expect((await get(`q=${encodeURIComponent(`"${a} and ${b}"`)}`)).body.data).toHaveLength(1);
    // Only stop words: an empty query matches nothing (not an error).
    const empty = await get("q=the");
    expect(empty.status, empty.text).toBe(200);
    expect(empty.body.data).toEqual([]);
    for (const bad of ["q=", "limit=5", `q=${a}&limit=51`, `q=${a}&limit=0`, "q=a%00b"]) {
      expect((await get(bad)).status, bad).toBe(400);
    }
    const student = await h.asStudent();
    const denied = await h.get(`/v1/admin/messages/search?q=${a}`, { headers: student.auth });
    expect(denied.status).toBe(403);
  });
});

describe("highlightHtml", () => {
  it("escapes everything, then marks only the private markers", () => {
    expect(highlightHtml("a < b & \uE000c\uE001 \"d\" 'e' >")).toBe(
      "a &lt; b &amp; <mark>c</mark> &quot;d&quot; &#39;e&#39; &gt;",
    );
  });
});
