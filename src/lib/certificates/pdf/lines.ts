/**
 * Every word on the certificate, in drawing order, with the role that decides where and how it
 * is drawn (pdf/render.ts). Pure and dependency-free, so it is cheap to import and to test: a
 * test of these lines is a test of the document's wording.
 */
import type { CertificateInput } from "./types";

export type CertificateLineRole =
  | "title"
  | "lead"
  | "name"
  | "completed"
  | "course"
  | "batch"
  | "attendance"
  | "issued"
  | "code"
  | "verify"
  | "scan"
  | "revokedMark"
  | "revokedDetail";

export interface CertificateLine {
  role: CertificateLineRole;
  text: string;
}

// User text is capped so a pathological value cannot overflow the page; the renderer also
// shrinks a long line to fit.
const MAX_NAME = 120;
const MAX_COURSE = 160;
const MAX_OTHER = 120;
const MAX_URL = 300;

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** Control characters become spaces, runs of spaces collapse; NFC so shaping sees one form. */
export function cleanText(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  const cleaned = text.normalize("NFC").replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, " ");
  const chars = Array.from(cleaned.replace(/ {2,}/g, " ").trim());
  return chars.length <= max ? chars.join("") : `${chars.slice(0, max - 1).join("")}…`;
}

/** "2026-01-05" → "5 January 2026" (a calendar date: no time zone involved). */
export function formatCalendarDate(ymd: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd);
  const month = m ? MONTHS[Number(m[2]) - 1] : undefined;
  const day = m ? Number(m[3]) : 0;
  if (!m || !month || day < 1 || day > 31) throw new RangeError(`invalid date: ${ymd}`);
  return `${day} ${month} ${m[1]}`;
}

/** An instant as its date in India Standard Time (UTC+05:30, no DST), e.g. "2 December 2026". */
export function formatIndianDate(date: Date): string {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError("invalid date");
  const ist = new Date(ms + 330 * 60_000);
  return `${ist.getUTCDate()} ${MONTHS[ist.getUTCMonth()]} ${ist.getUTCFullYear()}`;
}

/** Rounded down to one decimal, so 89.96 never shows as 90. */
export function formatAttendance(pct: number): string {
  if (!Number.isFinite(pct)) throw new RangeError("invalid attendance");
  const clamped = Math.min(100, Math.max(0, pct));
  return `${Math.floor(clamped * 10 + 1e-9) / 10}%`;
}

export function certificateLines(input: CertificateInput): CertificateLine[] {
  const lines: CertificateLine[] = [
    { role: "title", text: "Certificate of Completion" },
    { role: "lead", text: "This is to certify that" },
    { role: "name", text: cleanText(input.name, MAX_NAME) },
    { role: "completed", text: "has successfully completed the course" },
    { role: "course", text: cleanText(input.course, MAX_COURSE) },
    {
      role: "batch",
      text: `Batch ${cleanText(input.batchName, MAX_OTHER)}, ${formatCalendarDate(input.startDate)} to ${formatCalendarDate(input.endDate)}`,
    },
    { role: "attendance", text: `Attendance: ${formatAttendance(input.attendancePct)}` },
    {
      role: "issued",
      text: `Issued on ${formatIndianDate(input.issuedAt)} by ${cleanText(input.issuerName, MAX_OTHER)}`,
    },
    { role: "code", text: `Certificate code: ${cleanText(input.code, MAX_OTHER)}` },
    { role: "verify", text: `Verify at ${cleanText(input.verifyUrl, MAX_URL)}` },
    { role: "scan", text: "Scan to verify" },
  ];
  if (input.revoked) {
    lines.push(
      { role: "revokedMark", text: "REVOKED" },
      {
        role: "revokedDetail",
        text: `Revoked on ${formatIndianDate(input.revoked.at)}. Reason: ${cleanText(input.revoked.reasonCategory, MAX_OTHER)}`,
      },
    );
  }
  return lines;
}
