import { testEnv } from "./env";
import { eventually } from "./harness";

export interface ReceivedEnvelope {
  project: string;
  body: string;
}

/** Envelopes the fake Sentry received that contain `marker`. */
export async function envelopesContaining(marker: string): Promise<ReceivedEnvelope[]> {
  const res = await fetch(
    `${testEnv.TEST_FAKE_SENTRY_URL}/__envelopes?contains=${encodeURIComponent(marker)}`,
  );
  return (await res.json()) as ReceivedEnvelope[];
}

/** Waits until at least one envelope with `marker` arrived (Sentry flushes in waitUntil). */
export function waitForEnvelope(marker: string): Promise<ReceivedEnvelope[]> {
  return eventually(async () => {
    const found = await envelopesContaining(marker);
    return found.length > 0 ? found : undefined;
  });
}
