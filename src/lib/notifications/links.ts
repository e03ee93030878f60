/**
 * Links the app puts in notifications (verification, reset, schedule, invoice), built from a
 * configured base URL (APP_BASE_URL, API_PUBLIC_URL). Only http(s): a crafted `javascript:` URL
 * must never become a clickable href. The templates check links again when rendering.
 */

/** `${base}${path}?k=v…`, e.g. `actionLink(APP_BASE_URL, "/verify-email", { token })`. */
export function actionLink(
  baseUrl: string,
  path: string,
  params: Record<string, string> = {},
): string {
  const url = new URL(path, baseUrl);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`notification links must be http(s), got ${url.protocol}`);
  }
  return url.toString();
}
