/**
 * Driving the fake Zoom (test/support/node/fake-zoom.ts) from tests: each FakeZoomAccount is a
 * fresh Zoom account, so its tokens, meetings, faults and call counts are its own.
 */
import { type ZoomHttpOptions, ZoomHttpProvider } from "../../src/providers/zoom";
import { testEnv } from "./env";

/** The credentials the fake accepts (the same literals as fake-zoom.ts). */
export const FAKE_ZOOM_CLIENT_ID = "fake_zoom_client_id_0123";
export const FAKE_ZOOM_CLIENT_SECRET = "fake-zoom-SECRET-9f8e7d6c5b4a3210";

export type FakeZoomOp = "token" | "create" | "get" | "update" | "delete";

export interface FakeZoomState {
  calls: Record<FakeZoomOp, number>;
  meetings: Record<string, unknown>[];
  tokens: string[];
  tokenRequests: { authScheme: string; grantIn: string; contentType: string }[];
}

export class FakeZoomAccount {
  readonly id = `acct-${crypto.randomUUID().slice(0, 13)}`;
  readonly url = testEnv.TEST_FAKE_ZOOM_URL;

  private async control(action: string, body: unknown) {
    const res = await fetch(`${this.url}/__control/accounts/${this.id}/${action}`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    if (res.status !== 204) throw new Error(`fake zoom control ${action}: ${res.status}`);
  }

  /** The next `times` calls of `op` (default 1; -1 = all) wait `delayMs`, then answer `status`. */
  fault(f: {
    op: FakeZoomOp;
    status?: number;
    retryAfter?: string;
    delayMs?: number;
    times?: number;
  }) {
    return this.control("faults", f);
  }

  tokenTtl(seconds: number) {
    return this.control("settings", { tokenTtlSeconds: seconds });
  }

  revokeTokens() {
    return this.control("revoke-tokens", {});
  }

  async state(): Promise<FakeZoomState> {
    const res = await fetch(`${this.url}/__control/accounts/${this.id}`);
    return (await res.json()) as FakeZoomState;
  }

  /** The real adapter, pointed at the fake, for this account. */
  adapter(opts: Partial<ZoomHttpOptions> = {}): ZoomHttpProvider {
    return new ZoomHttpProvider({
      accountId: this.id,
      clientId: FAKE_ZOOM_CLIENT_ID,
      clientSecret: FAKE_ZOOM_CLIENT_SECRET,
      apiBaseUrl: `${this.url}/v2`,
      oauthBaseUrl: this.url,
      ...opts,
    });
  }
}

export const aMeeting = (overrides: Record<string, unknown> = {}) => ({
  topic: "Physics: Kinematics (Batch A)",
  startTime: "2026-12-01T10:00:00+05:30",
  durationMinutes: 90,
  timezone: "Asia/Kolkata",
  ...overrides,
});
