/** Building blocks for wire schemas: every string trimmed and bounded, emails normalised. */
import { z } from "@hono/zod-openapi";
import { sanitizeRichText } from "./sanitize";

export const text = (opts: { min?: number; max: number }) =>
  z
    .string()
    .trim()
    .min(opts.min ?? 1)
    .max(opts.max);

export const email = () =>
  z
    .string()
    .trim()
    .toLowerCase()
    .max(254)
    .pipe(z.email({ message: "Must be a valid email address" }))
    .openapi({ format: "email", example: "asha@example.in" });

/** HTML from a user, sanitised against XSS before anything stores or echoes it. */
export const richText = (opts: { max: number }) =>
  z
    .string()
    .trim()
    .max(opts.max)
    .transform((html) => sanitizeRichText(html))
    .openapi({ description: "HTML; a safe subset of formatting tags is kept, the rest escaped" });
