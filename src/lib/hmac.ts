/** HMAC-SHA256 (and SHA-1, for Instamojo) with keys imported once per secret per isolate. */
// Spelled through importKey so this file also typechecks for Node (scripts/zoom-event.ts),
// whose types have no global CryptoKey.
type HmacKey = ReturnType<typeof crypto.subtle.importKey>;
type HmacHash = "SHA-256" | "SHA-1";
const keys = new Map<string, HmacKey>();

function keyFor(secret: string, hash: HmacHash): HmacKey {
  const id = `${hash}\n${secret}`;
  let key = keys.get(id);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash },
      false,
      ["sign"],
    );
    keys.set(id, key);
  }
  return key;
}

async function sign(
  hash: HmacHash,
  secret: string,
  message: string | Uint8Array<ArrayBuffer>,
): Promise<Uint8Array> {
  const mac = await crypto.subtle.sign(
    "HMAC",
    await keyFor(secret, hash),
    typeof message === "string" ? new TextEncoder().encode(message) : message,
  );
  return new Uint8Array(mac);
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * Hex HMAC-SHA256(secret, message), optionally cut to its first `bytes` bytes. A string message
 * is signed as UTF-8; bytes as they are (a webhook's raw body).
 */
export async function hmacHex(
  secret: string,
  message: string | Uint8Array<ArrayBuffer>,
  bytes = 32,
): Promise<string> {
  return hex((await sign("SHA-256", secret, message)).slice(0, bytes));
}

/** Hex HMAC-SHA1(secret, UTF-8 message): Instamojo's webhook `mac`. Nothing else should use SHA-1. */
export async function hmacSha1Hex(secret: string, message: string): Promise<string> {
  return hex(await sign("SHA-1", secret, message));
}
