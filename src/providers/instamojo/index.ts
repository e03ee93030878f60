/**
 * Payments through Instamojo (PROVIDERS.md §1): what other code may use. `createPaymentsProvider`
 * picks the provider from config (PAYMENTS_PROVIDER). Placeholder until the adapter lands.
 */
import type { AppConfig } from "../../env";
import { AppError } from "../../lib/errors";
import type { Logger } from "../../lib/logger";
import type { PaymentsProvider } from "./types";

export * from "./types";

export interface PaymentsProviderOptions {
  config: AppConfig;
  kv: KVNamespace;
  devBaseUrl: string;
  logger?: Logger;
  timeoutMs?: number;
}

export function createPaymentsProvider(_opts: PaymentsProviderOptions): PaymentsProvider {
  throw new AppError({
    code: "BAD_ENVIRONMENT",
    detail: "The service is misconfigured. The operators have been notified.",
  });
}
