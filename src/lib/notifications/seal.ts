/**
 * Seals outbox variables that work as credentials (links carrying a reset or invitation token)
 * with AES-256-GCM under a key derived (HKDF) from JWT_SECRET, which never reaches the
 * database: a copy of the database alone holds no working link. The row id is the associated
 * data, so a sealed value cannot be moved to another notification.
 */
const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function sealingKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = (async () => {
      const ikm = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, [
        "deriveKey",
      ]);
      return crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: new Uint8Array(0),
          info: encoder.encode("notifications-sealed-variables-v1"),
        },
        ikm,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      );
    })();
    keys.set(secret, key);
  }
  return key;
}

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unb64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

export async function sealVariables(
  secret: string,
  notificationId: string,
  values: Record<string, unknown>,
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(notificationId) },
    await sealingKey(secret),
    encoder.encode(JSON.stringify(values)),
  );
  return `v1.${b64(iv)}.${b64(new Uint8Array(sealed))}`;
}

/** The sealed values, or null when they cannot be opened (another key, another row, tampered). */
export async function openVariables(
  secret: string,
  notificationId: string,
  sealed: string,
): Promise<Record<string, unknown> | null> {
  const [version, iv, data] = sealed.split(".");
  if (version !== "v1" || !iv || !data) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: unb64(iv), additionalData: encoder.encode(notificationId) },
      await sealingKey(secret),
      unb64(data),
    );
    return JSON.parse(new TextDecoder().decode(plain)) as Record<string, unknown>;
  } catch {
    return null;
  }
}
