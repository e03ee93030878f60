import { env } from "cloudflare:workers";

/** Bindings the test config adds on top of the Worker's own (see vitest.config.ts). */
export interface TestBindings extends Env, IdentityBindings {
  TEST_PG_ADMIN_URL: string;
  TEST_PG_TEMPLATE_DB: string;
  TEST_FAKE_SENTRY_URL: string;
  TEST_FAKE_EMAIL_URL: string;
  TEST_FAKE_ZOOM_URL: string;
  TEST_FAKE_INSTAMOJO_URL: string;
  TEST_FAKE_WHATSAPP_URL: string;
  TEST_FAKE_TWILIO_URL: string;
  TEST_FAKE_TURNSTILE_URL: string;
  TEST_BLACKHOLE_PORT: string;
  TEST_CLOSED_PORT: string;
  TEST_OPENAPI_VALIDATOR_URL: string;
  TEST_NEON_HTTP_URL: string;
}

export const testEnv = env as unknown as TestBindings;

export interface IdentityBindings {
  JWT_SECRET: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
}
