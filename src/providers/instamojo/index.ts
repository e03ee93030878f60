/**
 * Payments through Instamojo: what other code may use. `createPaymentsProvider` picks the
 * provider from config (PAYMENTS_PROVIDER): `instamojo` (the real v2 API, adapter.ts) or `dev`
 * (KV-backed stand-in with a local checkout page, dev.ts and dev-pages.ts). Webhooks: decode the
 * form and check it with `verifyInstamojoMac` before trusting any field; then confirm with
 * `getPayment` (the redirect's query is unauthenticated).
 *
 * Call providers outside database transactions (they are network calls). A create that failed
 * with a kind for which `certainlyNotApplied` is false may exist at Instamojo: reconcile, do not
 * blindly create again.
 */
import type { AppConfig } from "../../env";
import { AppError } from "../../lib/errors";
import type { Logger } from "../../lib/logger";
import { InstamojoHttpProvider } from "./adapter";
import { DevInstamojoProvider } from "./dev";
import type { PaymentsProvider } from "./types";

export {
  INSTAMOJO_DEFAULT_BASE_URL,
  type InstamojoHttpOptions,
  InstamojoHttpProvider,
  instamojoPhone,
  PURPOSE_MAX_LENGTH,
  paymentRequestIdOf,
  refundState,
  truncatePurpose,
} from "./adapter";
export { paiseToRupees, parseRupees, rupeesToPaise } from "./amount";
export {
  type DevInstamojoOptions,
  DevInstamojoProvider,
  type DevPaymentRequest,
  devCheckoutPath,
} from "./dev";
export {
  DEV_INSTAMOJO_ROUTES,
  devRedirectUrl,
  devWebhookFields,
  registerInstamojoDevPages,
} from "./dev-pages";
export { INSTAMOJO_MAC_FIELD, instamojoMac, signInstamojoWebhook, verifyInstamojoMac } from "./mac";
export * from "./types";

export type PaymentsConfig = Pick<
  AppConfig,
  "PAYMENTS_PROVIDER" | "INSTAMOJO_CLIENT_ID" | "INSTAMOJO_CLIENT_SECRET" | "INSTAMOJO_BASE_URL"
>;

export interface PaymentsProviderOptions {
  config: PaymentsConfig;
  /** The dev provider's store (the CACHE binding). */
  kv: KVNamespace;
  /** The dev provider's checkout URLs point here: this API's origin. */
  devBaseUrl: string;
  logger?: Logger;
  /** The real adapter's per-request timeout (default 10 s). */
  timeoutMs?: number;
}

export function createPaymentsProvider(opts: PaymentsProviderOptions): PaymentsProvider {
  const { config } = opts;
  if (config.PAYMENTS_PROVIDER === "dev") {
    return new DevInstamojoProvider({
      kv: opts.kv,
      baseUrl: opts.devBaseUrl,
      logger: opts.logger,
    });
  }
  if (!config.INSTAMOJO_CLIENT_ID || !config.INSTAMOJO_CLIENT_SECRET) {
    throw new AppError({
      code: "BAD_ENVIRONMENT",
      detail: "The service is misconfigured. The operators have been notified.",
    });
  }
  return new InstamojoHttpProvider({
    clientId: config.INSTAMOJO_CLIENT_ID,
    clientSecret: config.INSTAMOJO_CLIENT_SECRET,
    baseUrl: config.INSTAMOJO_BASE_URL,
    timeoutMs: opts.timeoutMs,
    logger: opts.logger,
  });
}
