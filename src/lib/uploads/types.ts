/** Largest attachment the upload route accepts (the text check scans all of it, linearly). */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/** Attachments one support ticket may hold. */
export const MAX_ATTACHMENTS_PER_TICKET = 5;

/** Every type `sniffFileType` can return; anything else is refused (SVG never: it runs script). */
export const ALLOWED_TYPES = [
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "image/heic",
  "image/heif",
  "image/avif",
  "application/pdf",
  "text/plain",
] as const;

export type AllowedMime = (typeof ALLOWED_TYPES)[number];

export type FileKind = "image" | "pdf" | "text";

/** What the bytes are. Serve text as `text/plain; charset=utf-8`: it was checked as UTF-8. */
export interface SniffedType {
  mime: AllowedMime;
  ext: string;
  kind: FileKind;
}
