import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      main: "./src/index.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ENVIRONMENT: "test",
          // Overridden per test file by the harness with that file's own database clone.
          DATABASE_URL: inject("pgRuntimeUrl"),
          NEON_WS_PROXY: inject("wsProxy"),
          // Local stand-in for Neon's SQL-over-HTTP endpoint (scripts/lib/neon-http.ts).
          TEST_NEON_HTTP_URL: inject("neonHttpUrl"),
          // The app's HTTP path goes through the same endpoint (src/db/client.ts).
          NEON_HTTP_ENDPOINT: `${inject("neonHttpUrl")}/sql`,
          SENTRY_DSN: inject("fakeSentryDsn"),
          LOG_LEVEL: "warn",
          JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789abcdef",
          RATE_LIMIT_IP_SALT: "test-ip-salt-0123456789",
          CURSOR_SECRET: "test-cursor-secret-0123456789abcdef0123456789ab",
          // The database holds the same key (installed by test/global-setup.ts).
          DB_CONTEXT_SECRET: inject("dbContextSecret"),
          AUDIT_ANCHOR_SECRET: "test-audit-anchor-secret-0123456789abcdef012",
          AUDIT_HASH_SECRET: "test-audit-hash-secret-0123456789abcdef01234",
          TEST_PG_ADMIN_URL: inject("pgAdminUrl"),
          TEST_PG_TEMPLATE_DB: inject("pgTemplateDb"),
          TEST_FAKE_SENTRY_URL: inject("fakeSentryUrl"),
          TEST_FAKE_EMAIL_URL: inject("fakeEmailUrl"),
          // test/support/node/fake-zoom.ts; adapter tests point ZOOM_*_BASE_URL at it.
          TEST_FAKE_ZOOM_URL: inject("fakeZoomUrl"),
          ZOOM_PROVIDER: "dev",
          ZOOM_WEBHOOK_SECRET_TOKEN: "test-zoom-webhook-secret-token",
          // Payments: the real adapter against test/support/node/fake-instamojo.ts. Each test
          // file that drives the fake directly takes its own client id (faults are per client).
          TEST_FAKE_INSTAMOJO_URL: inject("fakeInstamojoUrl"),
          PAYMENTS_PROVIDER: "instamojo",
          INSTAMOJO_BASE_URL: `${inject("fakeInstamojoUrl")}/`,
          INSTAMOJO_CLIENT_ID: "test-client",
          INSTAMOJO_CLIENT_SECRET: "test-client-secret",
          INSTAMOJO_PRIVATE_SALT: "test-instamojo-private-salt",
          // Certificates: a test-only Ed25519 key (public in this repository, refused in staging
          // and production) and the email-hash salt key.
          CERT_SIGNING_KEY: JSON.stringify({
            kty: "OKP",
            crv: "Ed25519",
            x: "T-nlfAUB94qMXwnt86c4y_oWvj10z9vOqKMoft4v82o",
            d: "wuCD1vqslWKDKzAA1GPxvZIKIreZDcguktbAgEkYB2w",
            kid: "test-2026-12-02",
            alg: "EdDSA",
            use: "sig",
          }),
          CERT_SUBJECT_SALT: "test-cert-subject-salt-0123456789",
          // Messaging: test/support/node/fake-{whatsapp,twilio,turnstile}.ts; the fake Resend is
          // TEST_FAKE_EMAIL_URL. Adapter tests pass these as each adapter's baseUrl.
          TEST_FAKE_WHATSAPP_URL: inject("fakeWhatsAppUrl"),
          TEST_FAKE_TWILIO_URL: inject("fakeTwilioUrl"),
          TEST_FAKE_TURNSTILE_URL: inject("fakeTurnstileUrl"),
          TEST_BLACKHOLE_PORT: String(inject("blackholePort")),
          TEST_CLOSED_PORT: String(inject("closedPort")),
          TEST_OPENAPI_VALIDATOR_URL: inject("openApiValidatorUrl"),
          // test/app/fuzz.test.ts: longer or other runs locally, e.g. FUZZ_RUNS=40 FUZZ_SEED=7.
          TEST_FUZZ_RUNS: process.env.FUZZ_RUNS ?? "",
          TEST_FUZZ_SEED: process.env.FUZZ_SEED ?? "",
        },
      },
    })),
  ],
  test: {
    globalSetup: ["./test/global-setup.ts"],
    setupFiles: ["./test/support/setup.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
