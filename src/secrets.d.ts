// Secrets (and optional vars with defaults in src/env.ts) are not all in wrangler.toml, so
// `wrangler types` cannot see them: declared here. src/env.ts validates every one.
interface Env {
  DATABASE_URL: string;
  NEON_WS_PROXY?: string;
  SENTRY_DSN?: string;
  SENTRY_RELEASE?: string;
  JWT_SECRET: string;
  CURSOR_SECRET: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  ACCESS_TOKEN_TTL_SECONDS?: string;
  REFRESH_TOKEN_TTL_DAYS?: string;
  APP_BASE_URL?: string;
  EMAIL_PROVIDER?: string;
  EMAIL_FROM?: string;
  RESEND_API_KEY?: string;
  RESEND_BASE_URL?: string;
  ERROR_LOG_RETENTION_DAYS?: string;
  RATE_LIMIT_POLICIES?: string;
  RATE_LIMIT_IP_SALT?: string;
  ZOOM_API_BASE_URL?: string;
  ZOOM_OAUTH_BASE_URL?: string;
  CERT_ISSUER_ID?: string;
  CERT_ISSUER_NAME?: string;
  PUBLIC_VERIFY_BASE_URL?: string;
}
