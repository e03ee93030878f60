/**
 * Zoom webhooks through the mounted app: events built by the same code `npm run zoom:event`
 * uses (src/providers/zoom/simulate.ts), signed with the test secret, posted raw.
 */
import {
  buildZoomEvent,
  type SimulateInput,
  signedZoomWebhook,
} from "../../src/providers/zoom/simulate";
import type { Harness } from "./harness";

export type Delivery = { rawBody: string; headers: Record<string, string> };

export async function zoomDelivery(
  h: Harness,
  input: Omit<SimulateInput, "event"> & { event: SimulateInput["event"] },
  opts: { signedAt?: Date; secret?: string } = {},
): Promise<Delivery> {
  const body = await buildZoomEvent(input);
  return signedZoomWebhook(
    body,
    opts.secret ?? h.env.ZOOM_WEBHOOK_SECRET_TOKEN,
    opts.signedAt ?? new Date(),
  );
}

export async function postDelivery(h: Harness, d: Delivery) {
  const res = await h.fetch("/v1/webhooks/zoom", {
    method: "POST",
    headers: d.headers,
    body: d.rawBody,
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* keep {} */
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** Builds, signs and posts one event. */
export async function sendZoomEvent(h: Harness, input: SimulateInput) {
  return postDelivery(h, await zoomDelivery(h, input));
}
