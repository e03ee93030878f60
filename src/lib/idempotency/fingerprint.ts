/**
 * What makes two requests "the same request" for a key: method, path with query, and the body
 * in canonical form (JSON with keys sorted and no insignificant whitespace; any other body as
 * sent). hex SHA-256, so the table never holds the body itself.
 */
export async function requestFingerprint(
  method: string,
  pathWithQuery: string,
  body: string,
): Promise<string> {
  const text = `${method.toUpperCase()}\n${pathWithQuery}\n${canonicalBody(body)}`;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function canonicalBody(body: string): string {
  if (body.trim() === "") return "";
  try {
    return JSON.stringify(sortKeys(JSON.parse(body)));
  } catch {
    return body;
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}
