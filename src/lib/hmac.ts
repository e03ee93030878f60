/** HMAC-SHA256 with keys imported once per secret per isolate (importKey is not free). */
const keys = new Map<string, Promise<CryptoKey>>();

function keyFor(secret: string): Promise<CryptoKey> {
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

/** Hex HMAC-SHA256(secret, message), optionally cut to its first `bytes` bytes. */
export async function hmacHex(secret: string, message: string, bytes = 32): Promise<string> {
  const mac = await crypto.subtle.sign(
    "HMAC",
    await keyFor(secret),
    new TextEncoder().encode(message),
  );
  return Array.from(new Uint8Array(mac).slice(0, bytes), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}
