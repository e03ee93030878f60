/**
 * iCalendar (RFC 5545) for the schedule feed: CRLF line ends, lines folded at 75 octets (never
 * inside a UTF-8 sequence), TEXT values escaped, times in UTC (`…Z`).
 */

const encoder = new TextEncoder();

/** RFC 5545 §3.3.11: backslash, semicolon, comma and newlines. */
export function escapeText(value: string): string {
  return value
    .replaceAll("\\", "\\\\")
    .replaceAll(";", "\\;")
    .replaceAll(",", "\\,")
    .replace(/\r\n|\r|\n/g, "\\n");
}

/** RFC 5545 §3.1: at most 75 octets a line; a continuation line starts with one space. */
export function foldLine(line: string): string {
  if (encoder.encode(line).length <= 75) return line;
  const parts: string[] = [];
  let current = "";
  let octets = 0;
  for (const ch of line) {
    const size = encoder.encode(ch).length;
    // The first line holds 75 octets; later ones 74 after their leading space.
    const room = parts.length === 0 ? 75 : 74;
    if (octets + size > room) {
      parts.push(current);
      current = "";
      octets = 0;
    }
    current += ch;
    octets += size;
  }
  parts.push(current);
  return parts.join("\r\n ");
}

/** `20261201T043000Z` */
export function icsUtc(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
}

export interface IcsEvent {
  uid: string;
  start: Date;
  end: Date;
  summary: string;
  description: string;
  url?: string;
  status: "CONFIRMED" | "CANCELLED";
  sequence: number;
  lastModified: Date;
}

export function renderCalendar(opts: {
  name: string;
  events: IcsEvent[];
  now: Date;
  /** Suggested poll interval, in minutes. */
  refreshMinutes: number;
}): string {
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Coaching//Coaching API//EN",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    `X-WR-CALNAME:${escapeText(opts.name)}`,
    `REFRESH-INTERVAL;VALUE=DURATION:PT${opts.refreshMinutes}M`,
    `X-PUBLISHED-TTL:PT${opts.refreshMinutes}M`,
  ];
  const stamp = icsUtc(opts.now);
  for (const e of opts.events) {
    lines.push(
      "BEGIN:VEVENT",
      `UID:${e.uid}`,
      `DTSTAMP:${stamp}`,
      `DTSTART:${icsUtc(e.start)}`,
      `DTEND:${icsUtc(e.end)}`,
      `SUMMARY:${escapeText(e.summary)}`,
      `DESCRIPTION:${escapeText(e.description)}`,
      ...(e.url ? [`URL:${e.url}`] : []),
      `STATUS:${e.status}`,
      `SEQUENCE:${e.sequence}`,
      `LAST-MODIFIED:${icsUtc(e.lastModified)}`,
      "END:VEVENT",
    );
  }
  lines.push("END:VCALENDAR");
  return `${lines.map(foldLine).join("\r\n")}\r\n`;
}
