/** Building blocks for wire schemas: every string trimmed and bounded, emails normalised. */
import { z } from "@hono/zod-openapi";
import { stripUnsafe } from "./notifications/templates/format";
import { sanitizeRichText } from "./sanitize";

/** Postgres text cannot hold U+0000: refuse it here (400) rather than fail in the query (500). */
const withoutNul = (value: string) => !value.includes("\u0000");
const NUL_MESSAGE = "Must not contain the NUL character (U+0000)";

/**
 * Required text must say something once control and bidi-override characters are gone (what
 * notification templates remove before rendering): a name or subject of only U+202E would
 * otherwise be stored, then make every email that quotes it unrenderable.
 */
const visible = (value: string) => stripUnsafe(value).trim().length > 0;

export const text = (opts: { min?: number; max: number }) =>
  z
    .string()
    .trim()
    .min(opts.min ?? 1)
    .max(opts.max)
    .refine(withoutNul, NUL_MESSAGE)
    .refine((v) => (opts.min ?? 1) === 0 || visible(v), "Must contain visible characters");

/** A free-text filter (an action, a code, an id as stored): trimmed, bounded, may be empty. */
export const filterText = (max: number) =>
  z.string().trim().max(max).refine(withoutNul, NUL_MESSAGE);

export const email = () =>
  z
    .string()
    .trim()
    .toLowerCase()
    .max(254)
    .pipe(z.email({ message: "Must be a valid email address" }))
    .openapi({ format: "email", example: "asha@example.in" });

const INSTANT_MIN = Date.UTC(1970, 0, 1);
const INSTANT_MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * An ISO 8601 date-time with offset, for filters such as `from`, `to` and `since`: between
 * 1970-01-01 and the end of 9999 (UTC). The format alone admits year 0000, and an offset can move
 * a well-formed value into year 0 or 10000; Postgres has neither, so the query would fail.
 */
export const instant = () =>
  z.iso.datetime({ offset: true }).refine((value) => {
    const time = Date.parse(value);
    return time >= INSTANT_MIN && time <= INSTANT_MAX;
  }, "Must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z");

/** HTML from a user, sanitised against XSS before anything stores or echoes it. */
export const richText = (opts: { max: number }) =>
  z
    .string()
    .trim()
    .max(opts.max)
    .refine(withoutNul, NUL_MESSAGE)
    .transform((html) => sanitizeRichText(html))
    .openapi({ description: "HTML; a safe subset of formatting tags is kept, the rest escaped" });
