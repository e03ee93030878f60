/** HMAC-SHA256 with keys imported once per secret per isolate (importKey is not free). */
// Spelled through importKey so this file also typechecks for Node (scripts/zoom-event.ts),
// whose types have no global CryptoKey.
type HmacKey = ReturnType<typeof crypto.subtle.importKey>;
const keys = new Map<string, HmacKey>();

function keyFor(secret: string): HmacKey {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    keys.set(secret, key);
  }
  return key;
}

/**
 * Hex HMAC-SHA256(secret, message), optionally cut to its first `bytes` bytes. A string message
 * is signed as UTF-8; bytes as they are (a webhook's raw body).
 */
export async function hmacHex(
  secret: string,
  message: string | Uint8Array<ArrayBuffer>,
  bytes = 32,
): Promise<string> {
  const mac = await crypto.subtle.sign(
    "HMAC",
    await keyFor(secret),
    typeof message === "string" ? new TextEncoder().encode(message) : message,
  );
  return Array.from(new Uint8Array(mac).slice(0, bytes), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}
