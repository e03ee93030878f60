/**
 * Support-ticket attachments, pure (no I/O): what the upload route needs before storing in R2.
 *
 * - `sniff.ts`: `sniffFileType`, the type from the content alone (images, PDF, plain text).
 * - `text.ts`: when bytes count as plain text and not as a page or SVG in disguise.
 * - `file-name.ts`: `sanitizeFileName`, a safe name ending in the sniffed extension.
 * - `content-disposition.ts`: the download header for that name.
 */
export { contentDisposition } from "./content-disposition";
export { sanitizeFileName } from "./file-name";
export { sniffFileType } from "./sniff";
export {
  ALLOWED_TYPES,
  type AllowedMime,
  type FileKind,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENTS_PER_TICKET,
  type SniffedType,
} from "./types";
