/**
 * Instamojo's webhook MAC: vectors computed outside this code (Python's hmac, and the fake's
 * node:crypto implementation), the rules around them, and what is refused.
 */
import { describe, expect, it } from "vitest";
import {
  instamojoMac,
  signInstamojoWebhook,
  verifyInstamojoMac,
} from "../../src/providers/instamojo";
import { aPaymentRequest, FakeInstamojoClient, TEST_INSTAMOJO_SALT } from "../support/instamojo";

const SALT = "test-salt-vector";

// python3: keys sorted by str.lower → A, amount, b, c, Zeta; values joined with "|";
// hmac.new(b"test-salt-vector", b"1|499.00|2||z|pipe", hashlib.sha1).hexdigest()
const VECTOR: [string, string][] = [
  ["b", "2"],
  ["A", "1"],
  ["c", ""],
  ["Zeta", "z|pipe"],
  ["amount", "499.00"],
];
const VECTOR_MAC = "670b428343a542fe359a79d822aed1ab9fcb5c93";

const formWith = (entries: [string, string][], mac: string) =>
  new URLSearchParams([...entries, ["mac", mac]]);

describe("instamojoMac", () => {
  it("matches an independently computed vector (case-insensitive sort, empty values kept)", async () => {
    expect(await instamojoMac(VECTOR, SALT)).toBe(VECTOR_MAC);
    // b, A, c alone: "1|2|" (the empty c still adds its separator).
    expect(
      await instamojoMac(
        [
          ["b", "2"],
          ["A", "1"],
          ["c", ""],
        ],
        SALT,
      ),
    ).toBe("df3012756a8dbb6c65b0a68115f4d2eb69bd5339");
  });

  it("ignores the order given and any mac among the fields", async () => {
    const shuffled = [...VECTOR].reverse();
    expect(await instamojoMac(shuffled, SALT)).toBe(VECTOR_MAC);
    expect(await instamojoMac([...VECTOR, ["mac", "whatever"]], SALT)).toBe(VECTOR_MAC);
  });

  it("signs UTF-8 values", async () => {
    expect(await instamojoMac([["buyer_name", "Ásha Verma ✓"]], SALT)).toBe(
      "a67de586d890e2874b77f1d824ed14fe8cab3a33",
    );
  });

  it("refuses ambiguous fields and an empty salt", async () => {
    await expect(
      instamojoMac(
        [
          ["amount", "1"],
          ["Amount", "2"],
        ],
        SALT,
      ),
    ).rejects.toThrow(TypeError);
    await expect(
      instamojoMac(
        [
          ["amount", "1"],
          ["amount", "1"],
        ],
        SALT,
      ),
    ).rejects.toThrow(TypeError);
    await expect(instamojoMac(VECTOR, "")).rejects.toThrow(TypeError);
  });
});

describe("verifyInstamojoMac", () => {
  it("accepts the vector, in any field order, with extra unknown keys signed too", async () => {
    expect(await verifyInstamojoMac(formWith(VECTOR, VECTOR_MAC), SALT)).toBe(true);
    const body = await signInstamojoWebhook([...VECTOR, ["new_field", "added later"]], SALT);
    expect(await verifyInstamojoMac(new URLSearchParams(body), SALT)).toBe(true);
  });

  it("accepts the hex in upper case (hex case carries no secret)", async () => {
    expect(await verifyInstamojoMac(formWith(VECTOR, VECTOR_MAC.toUpperCase()), SALT)).toBe(true);
  });

  it("verifies what the fake Instamojo (node:crypto) signs for a real-looking webhook", async () => {
    const fake = new FakeInstamojoClient();
    const request = await fake.adapter().createPaymentRequest(aPaymentRequest());
    const { webhook } = await fake.pay(request.id, "paid");
    expect(webhook.status).toBe("Credit");
    expect(await verifyInstamojoMac(new URLSearchParams(webhook), TEST_INSTAMOJO_SALT)).toBe(true);
    expect(await verifyInstamojoMac(new URLSearchParams(webhook), "another-salt")).toBe(false);
  });

  const flipped = (hex: string) => (hex[0] === "0" ? "1" : "0") + hex.slice(1);
  it.each<[string, () => URLSearchParams]>([
    ["a tampered value", () => formWith([...VECTOR.slice(0, 4), ["amount", "4.99"]], VECTOR_MAC)],
    ["a flipped hex digit", () => formWith(VECTOR, flipped(VECTOR_MAC))],
    ["a missing mac", () => new URLSearchParams(VECTOR)],
    ["an empty mac", () => formWith(VECTOR, "")],
    ["a truncated mac", () => formWith(VECTOR, VECTOR_MAC.slice(0, 39))],
    ["a non-hex mac", () => formWith(VECTOR, `${VECTOR_MAC.slice(0, 39)}g`)],
    ["two macs", () => new URLSearchParams([...formWith(VECTOR, VECTOR_MAC), ["mac", VECTOR_MAC]])],
    ["a dropped field", () => formWith(VECTOR.slice(1), VECTOR_MAC)],
    ["an added field", () => formWith([...VECTOR, ["extra", "x"]], VECTOR_MAC)],
    ["a field sent twice", () => formWith([...VECTOR, ["b", "2"]], VECTOR_MAC)],
    ["a key differing only in case", () => formWith([...VECTOR, ["B", "2"]], VECTOR_MAC)],
  ])("refuses %s", async (_, form) => {
    expect(await verifyInstamojoMac(form(), SALT)).toBe(false);
  });

  it("refuses everything without a salt", async () => {
    expect(await verifyInstamojoMac(formWith(VECTOR, VECTOR_MAC), "")).toBe(false);
    expect(await verifyInstamojoMac(formWith(VECTOR, VECTOR_MAC), undefined)).toBe(false);
  });
});

describe("signInstamojoWebhook", () => {
  it("returns the form body with mac appended, from entries or a record", async () => {
    const body = await signInstamojoWebhook(VECTOR, SALT);
    expect(body).toBe(`b=2&A=1&c=&Zeta=z%7Cpipe&amount=499.00&mac=${VECTOR_MAC}`);
    expect(await signInstamojoWebhook(Object.fromEntries(VECTOR), SALT)).toBe(body);
    // A stale mac among the fields is replaced, not sent twice.
    const resigned = await signInstamojoWebhook([...VECTOR, ["mac", "0".repeat(40)]], SALT);
    expect(new URLSearchParams(resigned).getAll("mac")).toEqual([VECTOR_MAC]);
  });
});
