import { describe, expect, it } from "vitest";
import { actionLink } from "../../src/lib/notifications/links";

describe("actionLink", () => {
  it("builds links under the app's base URL and encodes parameters", () => {
    expect(actionLink("https://app.coaching.test", "/verify-email", { token: "a+b/c=" })).toBe(
      "https://app.coaching.test/verify-email?token=a%2Bb%2Fc%3D",
    );
    expect(actionLink("https://app.coaching.test/", "/")).toBe("https://app.coaching.test/");
  });

  it("refuses a base that is not http(s)", () => {
    expect(() => actionLink("ftp://files.test", "/x")).toThrow(/http\(s\)/);
    expect(() => actionLink("javascript:alert(1)//", "/x")).toThrow();
  });
});
