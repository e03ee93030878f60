// Secrets are not in wrangler.toml, so `wrangler types` cannot see them: declared here.
interface Env {
  DATABASE_URL: string;
  NEON_WS_PROXY?: string;
  SENTRY_DSN?: string;
  SENTRY_RELEASE?: string;
}
