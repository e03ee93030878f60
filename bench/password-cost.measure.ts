/**
 * `npm run bench:password`: one password hash inside workerd (single-threaded, synchronous
 * work, so wall time on an idle isolate is its CPU time), argon2id against PBKDF2 side by side.
 * A measurement, not a test: it is not part of `npm test` (timings do not belong in tests).
 */
import { describe, expect, it } from "vitest";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "../src/lib/password";

async function medianMs(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // first call instantiates wasm and grows its memory: not what a login pays
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)] ?? Number.NaN;
}

describe("password hashing cost in workerd", () => {
  it("argon2id (m=19 MiB, t=2, p=1) vs PBKDF2-SHA256 (100,000)", async () => {
    const argon2 = await medianMs(10, () => hashPassword("measure this password"));
    const pbkdf2 = await medianMs(10, () =>
      hashPassword("measure this password", { algorithm: "pbkdf2-sha256" }),
    );
    const stored = await hashPassword("measure this password");
    const verify = await medianMs(10, () => verifyPassword("measure this password", stored));
    const dummy = await medianMs(10, () => verifyAgainstDummy("measure this password"));
    console.info(
      `median of 10 in workerd: argon2id hash ${argon2} ms, argon2id verify ${verify} ms, ` +
        `unknown-account dummy verify ${dummy} ms, ` +
        `pbkdf2-sha256 100k hash ${pbkdf2} ms`,
    );
    for (const ms of [argon2, verify, dummy, pbkdf2]) expect(Number.isFinite(ms)).toBe(true);
  });
});
