// RFC 6266 with RFC 5987's `filename*` for the real (UTF-8) name and a plain `filename` for old
// clients. Controls are dropped first, so no CR/LF can split the header.

const CONTROLS = /\p{Cc}/gu;

/** ASCII only; `%` too becomes `_`, as some browsers percent-decode a plain `filename`. */
function asciiFallback(name: string): string {
  return Array.from(name, (char) => {
    if (char === '"' || char === "\\") return `\\${char}`;
    return char < " " || char > "~" || char === "%" ? "_" : char;
  }).join("");
}

/** RFC 5987 attr-chars stay; encodeURIComponent also keeps ' ( ) *, which must be escaped. */
function percentEncode(name: string): string {
  return encodeURIComponent(name).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The Content-Disposition header that downloads `fileName` (use a sanitised name). */
export function contentDisposition(fileName: string): string {
  const name = fileName.toWellFormed().replace(CONTROLS, "") || "attachment";
  return `attachment; filename="${asciiFallback(name)}"; filename*=UTF-8''${percentEncode(name)}`;
}
