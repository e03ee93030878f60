import { toPaddedBase64 } from "../messaging/crypto";

/** `Basic base64(user:password)`, padded (RFC 7617). */
export const basicAuth = (user: string, password: string) =>
  `Basic ${toPaddedBase64(new TextEncoder().encode(`${user}:${password}`))}`;
