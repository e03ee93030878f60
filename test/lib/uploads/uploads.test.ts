import { describe, expect, it } from "vitest";
import {
  ALLOWED_TYPES,
  contentDisposition,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENTS_PER_TICKET,
  sanitizeFileName,
  sniffFileType,
} from "../../../src/lib/uploads";

/** Bytes from numbers, strings (as UTF-8) and byte arrays, in order. */
function bytes(...parts: (number[] | string | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((part) =>
    typeof part === "string" ? new TextEncoder().encode(part) : Uint8Array.from(part),
  );
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

/** An ISO BMFF `ftyp` box: size, "ftyp", major brand, minor version, compatible brands. */
function ftyp(major: string, compatible: string[]): Uint8Array {
  const size = 16 + 4 * compatible.length;
  return bytes(u32(size), "ftyp", major, u32(0), compatible.join(""), u32(8), "meta");
}

const PNG = bytes(
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  u32(13),
  "IHDR",
  u32(1),
  u32(1),
  [8, 6, 0, 0, 0],
);
const JPEG = bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], "JFIF", [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
// The binary comment on line 2 is what writers put there (and is not UTF-8).
const PDF = bytes(
  "%PDF-1.7\n",
  [0x25, 0xe2, 0xe3, 0xcf, 0xd3, 0x0a],
  "1 0 obj\n<< /Type /Catalog >>\nendobj\n",
);

describe("sniffFileType: allowed formats from their real headers", () => {
  it.each([
    ["PNG", PNG, "image/png", "png", "image"],
    ["JPEG", JPEG, "image/jpeg", "jpg", "image"],
    ["GIF87a", bytes("GIF87a", [1, 0, 1, 0, 0x80, 0, 0]), "image/gif", "gif", "image"],
    ["GIF89a", bytes("GIF89a", [1, 0, 1, 0, 0x80, 0, 0]), "image/gif", "gif", "image"],
    ["WebP", bytes("RIFF", [26, 0, 0, 0], "WEBPVP8 ", [0, 0, 0, 0]), "image/webp", "webp", "image"],
    ["HEIC", ftyp("heic", ["mif1", "heic"]), "image/heic", "heic", "image"],
    ["HEIC sequence (hevc)", ftyp("hevc", ["msf1"]), "image/heic", "heic", "image"],
    ["HEIF (mif1, heic compatible)", ftyp("mif1", ["mif1", "heic"]), "image/heic", "heic", "image"],
    ["HEIF (mif1 only)", ftyp("mif1", ["mif1", "miaf"]), "image/heif", "heif", "image"],
    ["AVIF", ftyp("avif", ["mif1", "miaf"]), "image/avif", "avif", "image"],
    ["AVIF (mif1, avif compatible)", ftyp("mif1", ["avif", "mif1"]), "image/avif", "avif", "image"],
    ["AVIF sequence", ftyp("avis", ["msf1"]), "image/avif", "avif", "image"],
    ["PDF", PDF, "application/pdf", "pdf", "pdf"],
    ["ASCII text", bytes("Hello, my\tvideo\r\nwon't play.\f\n"), "text/plain", "txt", "text"],
    ["Hindi text", bytes("नमस्ते, मेरा वीडियो नहीं चल रहा है।\n"), "text/plain", "txt", "text"],
    ["Tamil text with a BOM", bytes([0xef, 0xbb, 0xbf], "வணக்கம்"), "text/plain", "txt", "text"],
  ] as const)("%s", (_name, input, mime, ext, kind) => {
    expect(sniffFileType(input)).toEqual({ mime, ext, kind });
  });

  it("every type it returns is in ALLOWED_TYPES", () => {
    for (const input of [PNG, JPEG, PDF, bytes("plain"), ftyp("avif", [])]) {
      expect(ALLOWED_TYPES).toContain(sniffFileType(input)?.mime);
    }
  });

  it("goes by content, not by name: a JPEG's bytes are a JPEG whatever it was called", () => {
    expect(sniffFileType(JPEG)?.mime).toBe("image/jpeg");
    expect(sanitizeFileName("holiday.gif", "jpg")).toBe("holiday.jpg");
  });

  it("looks at the content only, so large trailing data does not matter for images", () => {
    const big = new Uint8Array(1024 * 1024);
    big.set(PNG);
    expect(sniffFileType(big)?.mime).toBe("image/png");
  });

  it("takes a cut signature that is plain ASCII as text only, never as that format", () => {
    expect(sniffFileType(bytes("%PDF-"))?.mime).toBe("text/plain");
    expect(sniffFileType(bytes("%PDF-x"))?.mime).toBe("text/plain");
    expect(sniffFileType(bytes("GIF8"))?.mime).toBe("text/plain");
  });

  it("takes a PDF header at byte 0 only, not after leading junk", () => {
    expect(sniffFileType(bytes("junk\n", PDF))).toBeNull();
    expect(sniffFileType(bytes("<html><body>", PDF))).toBeNull();
    // Leading junk before an all-text "PDF" leaves it plain text, never application/pdf.
    expect(sniffFileType(bytes("junk\n%PDF-1.4\ntrailer"))?.mime).toBe("text/plain");
  });
});

describe("sniffFileType: refused", () => {
  it.each([
    ["empty", new Uint8Array(0)],
    ["4 bytes of PNG", bytes([0x89, 0x50, 0x4e, 0x47])],
    ["7 bytes of PNG", bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a])],
    ["2 bytes of JPEG", bytes([0xff, 0xd8])],
    ["GIF with an unknown version", bytes("GIF88a", [1, 0, 1, 0])],
    ["RIFF that is not WebP (WAV)", bytes("RIFF", [36, 0, 0, 0], "WAVEfmt ")],
    ["RIFF cut before the form type", bytes("RIFF", [26, 0, 0, 0], "WEB")],
    ["ftyp cut before the brand", bytes(u32(24), "ftyp", "he")],
    ["ftyp with a box size below 16", bytes(u32(8), "ftyp", "heic", u32(0))],
    ["MP4 video", ftyp("isom", ["isom", "mp41"])],
    ["QuickTime video", ftyp("qt  ", ["qt  "])],
    ["EXE (MZ)", bytes("MZ", [0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff, 0, 0])],
    ["ZIP", bytes("PK", [3, 4, 20, 0, 0, 0, 8, 0], "word/document.xml")],
    ["ELF", bytes([0x7f], "ELF", [2, 1, 1, 0])],
    ["text with NUL", bytes("hello\u0000world")],
    ["text with ESC (terminal escapes)", bytes("hello \u001b[31mred")],
    ["text with a vertical tab", bytes("a\u000bb")],
    ["invalid UTF-8 (Latin-1 é)", bytes("caf", [0xe9], " au lait")],
    ["invalid UTF-8 (cut multi-byte sequence)", bytes("नमस्ते").subarray(0, 4)],
    ["UTF-8-encoded surrogate", bytes("a", [0xed, 0xa0, 0x80], "b")],
    ["UTF-16LE with BOM", bytes([0xff, 0xfe, 0x68, 0x00, 0x69, 0x00])],
    ["UTF-16BE without BOM", bytes([0x00, 0x68, 0x00, 0x69])],
  ] as const)("%s", (_name, input) => {
    expect(sniffFileType(input)).toBeNull();
  });
});

describe("sniffFileType: markup passed off as text is refused", () => {
  it.each([
    ["HTML (e.g. renamed to .png)", "<html><body><script>alert(1)</script></body></html>"],
    ["uppercase doctype", "<!DOCTYPE HTML><p>hi"],
    ["lowercase doctype", "<!doctype html>\n<title>x</title>"],
    ["leading spaces and newlines", " \r\n\t <HtMl>"],
    ["a UTF-8 BOM before the tag", "\uFEFF<html>"],
    ["BOM and whitespace before the tag", "\uFEFF\n\n  <BODY onload=alert(1)>"],
    ["<head>", "<head>"],
    ["<iframe", "<IFRAME src=//evil>"],
    ["<h1>", "<h1>Title</h1>"],
    ["<div>", "<div>x</div>"],
    ["<font>", "<font color=red>"],
    ["<table>", "<table>"],
    ["<a href>", '<a href="javascript:alert(1)">click</a>'],
    ["<style>", "<style>body{}</style>"],
    ["<title>", "<title>x</title>"],
    ["<b>", "<b>bold</b>"],
    ["<br>", "<br>"],
    ["<p>", "<p>para"],
    ["<a> at the very end", "<a"],
    ["a comment", "<!-- x -->"],
    ["a comment then a newline", "<!--\n<img src=x onerror=alert(1)>"],
    ["XML", '<?xml version="1.0"?><root/>'],
    ["SVG", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'],
    ["SVG after whitespace, uppercase", "\n  <SVG>"],
    ["<script later in the text", "Dear support,\nmy page shows <ScRiPt>alert(1)</script>"],
    ["<svg later in the text", `${"notes ".repeat(1000)}<svg onload=alert(1)>`],
    ["<html later in the text", "some preface\n\n<HTML>"],
  ])("%s", (_name, text) => {
    expect(sniffFileType(bytes(text))).toBeNull();
  });

  it("scans the whole buffer, not just its start", () => {
    const text = `${"a".repeat(5 * 1024 * 1024)}<script>alert(1)</script>`;
    expect(sniffFileType(bytes(text))).toBeNull();
    expect(sniffFileType(bytes(`${"a".repeat(5 * 1024 * 1024)}\u0000`))).toBeNull();
    expect(sniffFileType(bytes(`${"a".repeat(5 * 1024 * 1024)}`, [0xff]))).toBeNull();
  });

  it.each([
    ["a heart", "<3 thanks for the class"],
    ["an angle-bracketed name", "<Bob> is my tutor"],
    ["an arrow", "a <- b\nc -> d"],
    ["maths", "if x < y and y > z then ...\n"],
    ["an address", "Reply to <student@example.com>"],
  ])("keeps text that merely has angle brackets: %s", (_name, text) => {
    expect(sniffFileType(bytes(text))?.mime).toBe("text/plain");
  });

  it("takes a whole 10 MB text file in linear time", () => {
    const text = bytes("नमस्ते world\n".repeat(Math.floor(MAX_ATTACHMENT_BYTES / 25)));
    const started = Date.now();
    expect(sniffFileType(text)?.mime).toBe("text/plain");
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe("sanitizeFileName", () => {
  it.each([
    ["plain name", "notes.txt", "txt", "notes.txt"],
    ["replaces a wrong extension", "report.png", "pdf", "report.pdf"],
    ["replaces an uppercase extension", "PHOTO.JPEG", "jpg", "PHOTO.jpg"],
    ["replaces only the final extension", "a.tar.gz", "pdf", "a.tar.pdf"],
    ["adds the extension when there was none", "README", "txt", "README.txt"],
    ["keeps a dotted version number", "syllabus v1.2", "pdf", "syllabus v1.2.pdf"],
    ["Unix path traversal", "../../etc/passwd", "txt", "passwd.txt"],
    ["Windows path", "C:\\Users\\Asha\\Desktop\\marks.xlsx", "pdf", "marks.pdf"],
    ["mixed separators", "a/b\\..\\c.png", "png", "c.png"],
    ["only a path", "../../", "txt", "attachment.txt"],
    ["bidi override trick", "invoice\u202Efdp.exe", "pdf", "invoicefdp.pdf"],
    ["bidi isolates", "\u2066photo\u2069\u2067.jpg", "jpg", "photo.jpg"],
    ["zero-width chars", "in\u200Bvo\u200Cice\u200D\uFEFF.pdf", "pdf", "invoice.pdf"],
    ["control chars and CRLF", "re\u0000port\r\nfinal\u0007.pdf", "pdf", "report final.pdf"],
    ["a tab keeps words apart", "week\t3.txt", "txt", "week 3.txt"],
    ["forbidden characters", 'a<b>c:d"e|f?g*h.png', "png", "abcdefgh.png"],
    ["collapses whitespace", "  my \t\n  notes\u00A0\u3000 here .txt", "txt", "my notes here.txt"],
    ["trims dots and spaces", " ..hidden.. .png", "png", "hidden.png"],
    ["a dotfile", ".htaccess", "txt", "htaccess.txt"],
    ["empty", "", "png", "attachment.png"],
    ["nothing left after cleaning", '\u202E<>:"|?*. .', "pdf", "attachment.pdf"],
    ["only an extension", ".png", "png", "png.png"],
    ["Hindi kept", "गणित गृहकार्य.pdf", "pdf", "गणित गृहकार्य.pdf"],
    ["Tamil kept", "கணக்கு வீட்டுப்பாடம்.jpeg", "jpg", "கணக்கு வீட்டுப்பாடம்.jpg"],
    ["NFC-normalised", "cafe\u0301.txt", "txt", "caf\u00e9.txt"],
    ["takes the extension with or without a dot", "x.bin", ".PDF", "x.pdf"],
  ])("%s", (_name, input, ext, expected) => {
    expect(sanitizeFileName(input, ext)).toBe(expected);
  });

  it.each([
    ["CON", "txt", "_CON.txt"],
    ["con.txt", "txt", "_con.txt"],
    ["Aux.tar.gz", "pdf", "_Aux.tar.pdf"],
    ["nul", "png", "_nul.png"],
    ["PRN ", "pdf", "_PRN.pdf"],
    ["COM1.png", "png", "_COM1.png"],
    ["com0", "txt", "_com0.txt"],
    ["COM\u00b9.txt", "txt", "_COM\u00b9.txt"],
    ["conin$", "txt", "_conin$.txt"],
    ["lpt9.pdf", "pdf", "_lpt9.pdf"],
    ["CON .txt", "txt", "_CON.txt"],
  ])("Windows reserved name %j", (input, ext, expected) => {
    expect(sanitizeFileName(input, ext)).toBe(expected);
  });

  it.each(["COM10", "CONSOLE", "nullable", "auxiliary", "LPT"])("%j is not reserved", (input) => {
    expect(sanitizeFileName(input, "txt")).toBe(`${input}.txt`);
  });

  it("caps the base name at 100 code points and keeps the extension", () => {
    const name = sanitizeFileName(`${"x".repeat(300)}.pdf`, "pdf");
    expect(name).toBe(`${"x".repeat(100)}.pdf`);
  });

  it("counts code points, so an emoji at the cut is kept whole or dropped, never split", () => {
    const emoji = "😀";
    const kept = sanitizeFileName(`${"a".repeat(99)}${emoji.repeat(5)}.png`, "png");
    expect(kept).toBe(`${"a".repeat(99)}${emoji}.png`);
    expect(kept.isWellFormed()).toBe(true);
    const all = sanitizeFileName(emoji.repeat(150), "png");
    expect(Array.from(all)).toHaveLength(100 + ".png".length);
    expect(all.isWellFormed()).toBe(true);
    expect(all.length).toBe(200 + ".png".length);
  });

  it("Hindi names are capped by code points too", () => {
    const name = sanitizeFileName("क".repeat(150), "txt");
    expect(name).toBe(`${"क".repeat(100)}.txt`);
  });

  it("trims a space or dot left at the cut", () => {
    expect(sanitizeFileName(`${"a".repeat(99)} tail.txt`, "txt")).toBe(`${"a".repeat(99)}.txt`);
  });

  it("drops lone surrogates", () => {
    expect(sanitizeFileName("a\uD800b.txt", "txt")).toBe("ab.txt");
  });

  it("refuses an extension that did not come from the sniffer", () => {
    expect(() => sanitizeFileName("a", "p/df")).toThrow(TypeError);
    expect(() => sanitizeFileName("a", "")).toThrow(TypeError);
  });

  it("stays fast on a long hostile name", () => {
    const started = Date.now();
    const name = sanitizeFileName(`${". ".repeat(200_000)}x${". ".repeat(200_000)}`, "txt");
    expect(name).toBe("x.txt");
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe("contentDisposition", () => {
  it("gives an ASCII name as both filename and filename*", () => {
    expect(contentDisposition("notes.txt")).toBe(
      `attachment; filename="notes.txt"; filename*=UTF-8''notes.txt`,
    );
  });

  it("escapes quotes and backslashes in the fallback and percent-encodes them in filename*", () => {
    expect(contentDisposition('my "best" \\ work.pdf')).toBe(
      `attachment; filename="my \\"best\\" \\\\ work.pdf"; ` +
        `filename*=UTF-8''my%20%22best%22%20%5C%20work.pdf`,
    );
  });

  it("replaces non-ASCII with _ in the fallback and encodes it as UTF-8 in filename*", () => {
    expect(contentDisposition("गणित.pdf")).toBe(
      `attachment; filename="____.pdf"; ` +
        `filename*=UTF-8''%E0%A4%97%E0%A4%A3%E0%A4%BF%E0%A4%A4.pdf`,
    );
    expect(contentDisposition("café 😀.png")).toBe(
      `attachment; filename="caf_ _.png"; filename*=UTF-8''caf%C3%A9%20%F0%9F%98%80.png`,
    );
  });

  it("never lets CR or LF into the header", () => {
    const header = contentDisposition("evil\r\nSet-Cookie: a=b\r\n.txt");
    expect(header).not.toMatch(/[\r\n]/);
    expect(header).toBe(
      `attachment; filename="evilSet-Cookie: a=b.txt"; filename*=UTF-8''evilSet-Cookie%3A%20a%3Db.txt`,
    );
    // A header value must be accepted by the runtime's own Headers.
    expect(() => new Headers({ "content-disposition": header })).not.toThrow();
  });

  it("encodes the characters encodeURIComponent leaves but RFC 5987 does not allow", () => {
    expect(contentDisposition("it's (1)*.txt")).toBe(
      `attachment; filename="it's (1)*.txt"; filename*=UTF-8''it%27s%20%281%29%2A.txt`,
    );
  });

  it("keeps % out of the fallback, where some browsers would decode it", () => {
    expect(contentDisposition("100%25.txt")).toBe(
      `attachment; filename="100_25.txt"; filename*=UTF-8''100%2525.txt`,
    );
  });

  it("does not throw on a lone surrogate and names an empty file", () => {
    expect(contentDisposition("a\uD800.txt")).toBe(
      `attachment; filename="a_.txt"; filename*=UTF-8''a%EF%BF%BD.txt`,
    );
    expect(contentDisposition("")).toBe(
      `attachment; filename="attachment"; filename*=UTF-8''attachment`,
    );
  });

  it("works on what sanitizeFileName makes", () => {
    const name = sanitizeFileName("../\u202Eरिपोर्ट\r\n.png", "pdf");
    expect(name).toBe("रिपोर्ट.pdf");
    expect(contentDisposition(name)).toMatch(/^attachment; filename="_+\.pdf"; filename\*=UTF-8''/);
  });
});

describe("limits", () => {
  it("are 10 MiB and 5 attachments", () => {
    expect(MAX_ATTACHMENT_BYTES).toBe(10_485_760);
    expect(MAX_ATTACHMENTS_PER_TICKET).toBe(5);
  });
});
