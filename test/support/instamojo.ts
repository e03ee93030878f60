/**
 * Driving the fake Instamojo (test/support/node/fake-instamojo.ts) from tests: each
 * FakeInstamojoClient is a fresh client id, so its tokens, requests, payments, refunds, faults
 * and call counts are its own, even with test files running in parallel.
 */
import {
  type CreatePaymentRequestInput,
  type InstamojoHttpOptions,
  InstamojoHttpProvider,
} from "../../src/providers/instamojo";
import { testEnv } from "./env";

export const FAKE_INSTAMOJO_SECRET = "fake-instamojo-SECRET-5e4d3c2b1a";
export const TEST_INSTAMOJO_SALT = "test-instamojo-private-salt";

export type FakeInstamojoOp =
  | "token"
  | "create_request"
  | "list_requests"
  | "get_request"
  | "get_payment"
  | "create_refund"
  | "get_refund";

export type FakeInstamojoFaultMode =
  | "server_error"
  | "hang"
  | "token_expired"
  | "success_false"
  | "unreadable"
  | "missing_fields"
  | "rate_limited";

export interface FakeInstamojoState {
  calls: Record<FakeInstamojoOp, number>;
  requests: (Record<string, unknown> & { id: string; sent: Record<string, string> })[];
  payments: Record<string, unknown>[];
  refunds: (Record<string, unknown> & { id: string; status: string })[];
  tokens: string[];
  forms: { op: FakeInstamojoOp; fields: Record<string, string> }[];
}

export class FakeInstamojoClient {
  readonly url = testEnv.TEST_FAKE_INSTAMOJO_URL;

  constructor(readonly id = `client-${crypto.randomUUID()}`) {}

  private async control(action: string, body: unknown): Promise<Response> {
    const res = await fetch(`${this.url}/__control/clients/${this.id}/${action}`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`fake instamojo control ${action}: ${res.status}`);
    return res;
  }

  /** The next `times` calls of `op` (default 1; -1 = all) fail as `mode` says. */
  async fault(f: {
    op: FakeInstamojoOp;
    mode: FakeInstamojoFaultMode;
    times?: number;
    applyFirst?: boolean;
    hangMs?: number;
  }) {
    await this.control("faults", f);
  }

  async expireTokens() {
    await this.control("expire-tokens", {});
  }

  /** The buyer pays (or fails); returns the payment and the webhook form Instamojo would post. */
  async pay(
    requestId: string,
    outcome: "paid" | "failed" | "initiated",
    salt = TEST_INSTAMOJO_SALT,
  ): Promise<{
    payment: Record<string, unknown> & { id: string };
    webhook: Record<string, string>;
  }> {
    const res = await this.control(`requests/${requestId}/pay`, { outcome, salt });
    return (await res.json()) as {
      payment: Record<string, unknown> & { id: string };
      webhook: Record<string, string>;
    };
  }

  async setRefundStatus(refundId: string, status: string) {
    await this.control(`refunds/${refundId}/status`, { status });
  }

  async state(): Promise<FakeInstamojoState> {
    const res = await fetch(`${this.url}/__control/clients/${this.id}`);
    return (await res.json()) as FakeInstamojoState;
  }

  /** The real adapter, pointed at the fake, for this client. */
  adapter(opts: Partial<InstamojoHttpOptions> = {}): InstamojoHttpProvider {
    return new InstamojoHttpProvider({
      clientId: this.id,
      clientSecret: FAKE_INSTAMOJO_SECRET,
      baseUrl: `${this.url}/`,
      ...opts,
    });
  }
}

export const aPaymentRequest = (
  overrides: Partial<CreatePaymentRequestInput> = {},
): CreatePaymentRequestInput => ({
  amountPaise: 49_900,
  purpose: "JEE Physics Batch A",
  buyerName: "Asha Verma",
  email: "asha@example.com",
  phone: "+919812345678",
  redirectUrl: "http://api.test/v1/payments/return",
  webhookUrl: "http://api.test/v1/webhooks/instamojo",
  expiresAt: new Date(Date.now() + 60 * 60_000),
  ...overrides,
});
