import * as z from "zod";
import {
  type BusinessCalendar,
  BusinessHoursConfigError,
  defaultCalendar,
  parseHolidays,
  parseSlaTargets,
} from "./lib/business-hours";
import { certificateKeyProblems } from "./lib/certificates/keys";
import { resolvePolicies } from "./lib/rate-limit/policies";

const commaList = z
  .string()
  .default("")
  .transform((s) =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean),
  );

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** An optional value where an empty string (a blank line in .dev.vars) means "unset". */
const optionalText = () =>
  z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined));

const httpUrl = z.url({ protocol: /^https?$/ });

/** Vars (wrangler.toml) and secrets (.dev.vars / `wrangler secret`), validated once per env object. */
export const envSchema = z.object({
  ENVIRONMENT: z.enum(["development", "test", "staging", "production"]),
  DATABASE_URL: z
    .string()
    .min(1, "DATABASE_URL is required")
    .refine((v) => /^postgres(ql)?:\/\//.test(v), "DATABASE_URL must be a postgres:// URL"),
  NEON_WS_PROXY: z
    .string()
    .regex(/^[\w.-]+:\d+$/, "NEON_WS_PROXY must be host:port")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  /**
   * Local only: the SQL-over-HTTP endpoint that stands in for Neon's (scripts/lib/neon-http.ts),
   * e.g. http://127.0.0.1:54331/sql. Unset in staging/production: the driver sends HTTP queries
   * to Neon's endpoint for the DATABASE_URL host.
   */
  NEON_HTTP_ENDPOINT: z
    .url({ protocol: /^https?$/ })
    .optional()
    .or(z.literal("").transform(() => undefined)),
  CORS_ORIGINS: commaList,
  MAX_BODY_BYTES: positiveInt(1_048_576),
  DB_QUERY_TIMEOUT_MS: positiveInt(5_000),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  SENTRY_DSN: z
    .url()
    .optional()
    .or(z.literal("").transform(() => undefined)),
  SENTRY_RELEASE: z.string().optional(),

  // Identity: HS256 key for access tokens (≥ 32 bytes), their issuer/audience and lifetimes.
  JWT_SECRET: z.string().min(32, "JWT_SECRET must be at least 32 characters"),
  JWT_ISSUER: z.string().min(1).default("coaching-api"),
  JWT_AUDIENCE: z.string().min(1).default("coaching-app"),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(900).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(90).default(30),
  /** Signs pagination cursors so a tampered one is rejected. */
  CURSOR_SECRET: z.string().min(32, "CURSOR_SECRET must be at least 32 characters"),
  /** Front-end base URL for links in emails (verification, password reset). */
  APP_BASE_URL: z.url().default("http://127.0.0.1:8787"),
  EMAIL_PROVIDER: z.enum(["outbox", "resend"]).default("outbox"),
  EMAIL_FROM: z.string().min(3).default("Coaching <no-reply@example.in>"),
  RESEND_API_KEY: z.string().optional(),
  RESEND_BASE_URL: z.url().optional(),
  /** Signs Resend's webhooks (Svix, `whsec_…`): delivery, bounce and complaint events. */
  RESEND_WEBHOOK_SECRET: optionalText(),
  /**
   * WhatsApp (src/providers/whatsapp): `dev` prints and keeps sends in memory; `cloud` is Meta's
   * WhatsApp Cloud API. The app secret signs inbound webhooks (X-Hub-Signature-256) in both.
   */
  WHATSAPP_PROVIDER: z.enum(["dev", "cloud"]).default("dev"),
  WHATSAPP_ACCESS_TOKEN: optionalText(),
  WHATSAPP_PHONE_NUMBER_ID: optionalText(),
  WHATSAPP_APP_SECRET: optionalText(),
  /** Answers Meta's `hub.verify_token` challenge when the webhook is subscribed. */
  WHATSAPP_VERIFY_TOKEN: optionalText(),
  WHATSAPP_BASE_URL: httpUrl.default("https://graph.facebook.com"),
  /** The language the approved message templates are registered in. */
  WHATSAPP_TEMPLATE_LANGUAGE: z.string().min(2).default("en"),
  /** SMS (src/providers/twilio): `dev` prints and keeps sends in memory; `twilio` sends. */
  SMS_PROVIDER: z.enum(["dev", "twilio"]).default("dev"),
  TWILIO_ACCOUNT_SID: optionalText(),
  /** Also signs Twilio's webhooks (X-Twilio-Signature). */
  TWILIO_AUTH_TOKEN: optionalText(),
  /** A sender number (E.164) or DLT-registered sender id; or a Messaging Service below. */
  TWILIO_FROM: optionalText(),
  TWILIO_MESSAGING_SERVICE_SID: optionalText(),
  TWILIO_BASE_URL: httpUrl.default("https://api.twilio.com"),
  /**
   * Bot protection on the public lead form (src/providers/turnstile): `dev` accepts only
   * Cloudflare's documented dummy token `XXXX.DUMMY.TOKEN.XXXX` (offline); `cloudflare` calls
   * siteverify with the secret key.
   */
  TURNSTILE_PROVIDER: z.enum(["dev", "cloudflare"]).default("dev"),
  TURNSTILE_SECRET_KEY: optionalText(),
  TURNSTILE_BASE_URL: httpUrl.default("https://challenges.cloudflare.com"),
  /**
   * First retry delay of a failed notification (doubles per try, with jitter; a 429's
   * Retry-After wins when longer). Small locally so a walk-through sees the dead letter soon.
   */
  NOTIFY_RETRY_BASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /**
   * Live classes (src/providers/zoom): `dev` keeps meetings in KV and serves join pages from
   * this API (development, tests); `zoom` is Zoom's API with Server-to-Server OAuth.
   */
  ZOOM_PROVIDER: z.enum(["dev", "zoom"]).default("dev"),
  ZOOM_ACCOUNT_ID: optionalText(),
  ZOOM_CLIENT_ID: optionalText(),
  ZOOM_CLIENT_SECRET: optionalText(),
  /** Signs Zoom's webhooks (x-zm-signature) and answers its URL validation challenge. */
  ZOOM_WEBHOOK_SECRET_TOKEN: optionalText(),
  /** Tests point these at the local fake (test/support/node/fake-zoom.ts). */
  ZOOM_API_BASE_URL: httpUrl.default("https://api.zoom.us/v2"),
  ZOOM_OAUTH_BASE_URL: httpUrl.default("https://zoom.us"),
  /**
   * Payments (src/providers/instamojo): `dev` keeps payment requests in KV and serves a local
   * checkout page with Pay and Fail buttons; `instamojo` is Instamojo's v2 API.
   */
  PAYMENTS_PROVIDER: z.enum(["dev", "instamojo"]).default("dev"),
  INSTAMOJO_CLIENT_ID: optionalText(),
  INSTAMOJO_CLIENT_SECRET: optionalText(),
  /** Signs Instamojo's webhooks (the `mac` field, HMAC-SHA1). Differs for test and production. */
  INSTAMOJO_PRIVATE_SALT: optionalText(),
  /** `https://api.instamojo.com/` (production) or `https://test.instamojo.com/` (sandbox). */
  INSTAMOJO_BASE_URL: httpUrl.default("https://api.instamojo.com/"),
  /**
   * This API's public origin, for the URLs Instamojo calls back (`redirect_url`, `webhook`).
   * Unset: the origin of the request that starts the checkout (fine locally, not behind a proxy).
   */
  API_PUBLIC_URL: httpUrl.optional().or(z.literal("").transform(() => undefined)),
  /** Where `GET /v1/payments/return` sends the student (303) with `?status=&enrolmentId=`. */
  PAYMENT_RESULT_URL: httpUrl.default("http://127.0.0.1:3000/payments/result"),
  /** GST rate in basis points (1800 = 18%), split CGST+SGST within the supplier's state. */
  GST_RATE_BPS: z.coerce.number().int().min(0).max(2800).default(1800),
  /** Catalogue prices include GST (what the student pays) unless set to "false". */
  GST_PRICES_INCLUSIVE: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true"),
  /** The supplier on every invoice (CGST Rule 46). */
  SUPPLIER_NAME: z.string().min(1).default("Demo Coaching Private Limited"),
  SUPPLIER_ADDRESS: z.string().min(1).default("12 MG Road, Bengaluru, Karnataka 560001"),
  SUPPLIER_GSTIN: z
    .string()
    .regex(/^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$/, "SUPPLIER_GSTIN must be a GSTIN")
    .default("29AABCD1234E1Z5"),
  /**
   * Invoice number prefixes, 1 to 3 capital letters so a number fits GST's 16 characters:
   * `INV/26-27/000001`, `CN/26-27/000001`. A new series starts each financial year.
   */
  INVOICE_PREFIX: z
    .string()
    .regex(/^[A-Z]{1,3}$/)
    .default("INV"),
  CREDIT_NOTE_PREFIX: z
    .string()
    .regex(/^[A-Z]{1,3}$/)
    .default("CN"),
  /** Retention of error logs, in days, for the scheduled cleanup. */
  ERROR_LOG_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** JSON overrides of the rate-limit policies (see src/lib/rate-limit/policies.ts). */
  RATE_LIMIT_POLICIES: z
    .string()
    .optional()
    .refine((v) => {
      try {
        resolvePolicies(v);
        return true;
      } catch {
        return false;
      }
    }, "RATE_LIMIT_POLICIES is not valid JSON or names an unknown policy or field"),
  /** Salt for hashing IPs in rate-limit analytics; unset = no analytics (raw IPs never stored). */
  RATE_LIMIT_IP_SALT: z.string().min(16).optional(),
  /**
   * Signs the row-level-security context of every transaction (`app_enter`, migration 0011).
   * The database holds the same value (`app_install_context_key`); SQL without it cannot act
   * as another user or as `system`.
   */
  DB_CONTEXT_SECRET: z.string().min(32, "DB_CONTEXT_SECRET must be at least 32 characters"),
  /** MACs each sealed audit checkpoint into KV: the anchor outside the database. */
  AUDIT_ANCHOR_SECRET: z.string().min(32, "AUDIT_ANCHOR_SECRET must be at least 32 characters"),
  /** Keys the hash that stands for attacker-supplied emails in audit rows (failed logins). */
  AUDIT_HASH_SECRET: z.string().min(32, "AUDIT_HASH_SECRET must be at least 32 characters"),
  /**
   * Certificates (src/lib/certificates): the private Ed25519 JWK (with `kid`) that signs
   * credentials, from `npm run certs:keygen`. Optional in development and tests only; checked
   * in loadConfig. Rotation steps: .dev.vars.example.
   */
  CERT_SIGNING_KEY: optionalText(),
  /** JSON array of PUBLIC JWKs of earlier signing keys, still published for verification. */
  CERT_PREVIOUS_KEYS: optionalText(),
  /** Keys the per-credential salt of the subject's email hash (never published itself). */
  CERT_SUBJECT_SALT: z
    .string()
    .min(16, "CERT_SUBJECT_SALT must be at least 16 characters")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  /** The credential issuer: a DID (did:web:…) or an https URL resolving to its profile. */
  CERT_ISSUER_ID: z
    .string()
    .regex(/^(did:[a-z0-9]+:\S+|https?:\/\/\S+)$/, "CERT_ISSUER_ID must be a DID or a URL")
    .default("did:web:example.in"),
  CERT_ISSUER_NAME: z.string().min(1).default("Demo Coaching"),
  /** Base of the public verify URL printed in certificates' QR codes. */
  PUBLIC_VERIFY_BASE_URL: httpUrl.default("http://127.0.0.1:8787"),
  /**
   * Support SLA targets in business minutes, JSON overriding some defaults, e.g.
   * `{"urgent":{"firstResponse":30}}` (see src/lib/business-hours/sla.ts). Blank: the defaults.
   */
  SUPPORT_SLA_TARGETS: z
    .string()
    .optional()
    .transform((v, ctx) => businessHours(ctx, "SUPPORT_SLA_TARGETS", () => parseSlaTargets(v))),
  /** Support's days off, `YYYY-MM-DD,YYYY-MM-DD` (IST): no SLA time is counted on them. */
  SUPPORT_HOLIDAYS: z
    .string()
    .default("")
    .transform((v, ctx) =>
      businessHours(
        ctx,
        "SUPPORT_HOLIDAYS",
        (): BusinessCalendar => defaultCalendar(parseHolidays(v)),
      ),
    ),
});

/** A business-hours setting parsed by its own parser; its refusal becomes a config issue. */
function businessHours<T>(ctx: z.RefinementCtx, name: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof BusinessHoursConfigError)) throw err;
    ctx.addIssue({ code: "custom", message: `${name}: ${err.message}` });
    return z.NEVER;
  }
}

export type AppConfig = z.infer<typeof envSchema>;

export type ConfigResult = { ok: true; config: AppConfig } | { ok: false; issues: string[] };

// Keyed by the env object so a parse happens once per isolate, and tests may pass their own env.
const cache = new WeakMap<object, ConfigResult>();
const configKeys = Object.keys(envSchema.shape);
/**
 * The last parse and the values it read. Sentry's `withSentry` hands every request a new Proxy
 * of the same env, so the WeakMap alone missed on every request and the whole schema ran again.
 * The result depends only on these values: equal values, same result.
 */
let last: { values: unknown[]; result: ConfigResult } | undefined;

export function loadConfig(env: object): ConfigResult {
  const cached = cache.get(env);
  if (cached) return cached;
  const values = configKeys.map((key) => (env as Record<string, unknown>)[key]);
  if (last?.values.every((value, i) => value === values[i])) {
    cache.set(env, last.result);
    return last.result;
  }
  const parsed = envSchema.safeParse(env);
  let result: ConfigResult;
  if (parsed.success) {
    result = { ok: true, config: parsed.data };
    const c = result.config;
    const problems: string[] = [];
    if (c.ENVIRONMENT === "production" && c.NEON_WS_PROXY) {
      problems.push("NEON_WS_PROXY: must not be set in production");
    }
    if (c.ENVIRONMENT === "production" && c.NEON_HTTP_ENDPOINT) {
      problems.push("NEON_HTTP_ENDPOINT: must not be set in production");
    }
    if (c.NEON_WS_PROXY && !c.NEON_HTTP_ENDPOINT) {
      // A local Postgres has no HTTP endpoint of its own: HTTP-path queries would go nowhere.
      problems.push(
        "NEON_HTTP_ENDPOINT: required with NEON_WS_PROXY (a local Postgres); `npm run dev` sets both",
      );
    }
    if (c.EMAIL_PROVIDER === "resend" && !c.RESEND_API_KEY) {
      problems.push("RESEND_API_KEY: required when EMAIL_PROVIDER is resend");
    }
    if (
      (c.ENVIRONMENT === "production" || c.ENVIRONMENT === "staging") &&
      c.EMAIL_PROVIDER !== "resend"
    ) {
      problems.push("EMAIL_PROVIDER: must be resend outside development and tests");
    }
    if (c.ZOOM_PROVIDER === "zoom") {
      for (const key of [
        "ZOOM_ACCOUNT_ID",
        "ZOOM_CLIENT_ID",
        "ZOOM_CLIENT_SECRET",
        "ZOOM_WEBHOOK_SECRET_TOKEN",
      ] as const) {
        if (!c[key]) problems.push(`${key}: required when ZOOM_PROVIDER is zoom`);
      }
    }
    if (c.PAYMENTS_PROVIDER === "instamojo") {
      for (const key of [
        "INSTAMOJO_CLIENT_ID",
        "INSTAMOJO_CLIENT_SECRET",
        "INSTAMOJO_PRIVATE_SALT",
      ] as const) {
        if (!c[key]) problems.push(`${key}: required when PAYMENTS_PROVIDER is instamojo`);
      }
    }
    if (c.PAYMENTS_PROVIDER === "dev" && !c.INSTAMOJO_PRIVATE_SALT) {
      // The dev checkout page signs its webhooks as Instamojo would: with this salt.
      problems.push("INSTAMOJO_PRIVATE_SALT: required (the dev checkout page signs with it)");
    }
    if (c.ENVIRONMENT === "production" || c.ENVIRONMENT === "staging") {
      if (c.PAYMENTS_PROVIDER !== "instamojo") {
        problems.push("PAYMENTS_PROVIDER: must be instamojo outside development and tests");
      }
      if (!c.INSTAMOJO_BASE_URL.startsWith("https://")) {
        problems.push("INSTAMOJO_BASE_URL: must be https");
      }
      if (!c.API_PUBLIC_URL) {
        problems.push("API_PUBLIC_URL: required outside development (Instamojo calls it back)");
      }
      if (c.ZOOM_PROVIDER !== "zoom") {
        problems.push("ZOOM_PROVIDER: must be zoom outside development and tests");
      }
      // The token request carries the client secret: never over plain HTTP.
      for (const key of ["ZOOM_API_BASE_URL", "ZOOM_OAUTH_BASE_URL"] as const) {
        if (!c[key].startsWith("https://")) problems.push(`${key}: must be https`);
      }
    }
    problems.push(...messagingProblems(c));
    problems.push(...certificateKeyProblems(c));
    if (problems.length) result = { ok: false, issues: problems };
  } else {
    // Names and messages only: values may be secrets.
    result = {
      ok: false,
      issues: parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`),
    };
  }
  if (!result.ok) {
    console.error(
      JSON.stringify({
        level: "error",
        msg: "invalid worker configuration",
        issues: result.issues,
      }),
    );
  }
  cache.set(env, result);
  last = { values, result };
  return result;
}

/** Each real messaging provider needs its credentials; outside development all must be real. */
function messagingProblems(c: AppConfig): string[] {
  const problems: string[] = [];
  const need = (when: boolean, keys: (keyof AppConfig)[], why: string) => {
    if (!when) return;
    for (const key of keys) if (!c[key]) problems.push(`${key}: required when ${why}`);
  };
  need(
    c.WHATSAPP_PROVIDER === "cloud",
    [
      "WHATSAPP_ACCESS_TOKEN",
      "WHATSAPP_PHONE_NUMBER_ID",
      "WHATSAPP_APP_SECRET",
      "WHATSAPP_VERIFY_TOKEN",
    ],
    "WHATSAPP_PROVIDER is cloud",
  );
  need(
    c.SMS_PROVIDER === "twilio",
    ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"],
    "SMS_PROVIDER is twilio",
  );
  if (c.SMS_PROVIDER === "twilio" && !c.TWILIO_FROM && !c.TWILIO_MESSAGING_SERVICE_SID) {
    problems.push(
      "TWILIO_FROM: required (or TWILIO_MESSAGING_SERVICE_SID) when SMS_PROVIDER is twilio",
    );
  }
  need(
    c.TURNSTILE_PROVIDER === "cloudflare",
    ["TURNSTILE_SECRET_KEY"],
    "TURNSTILE_PROVIDER is cloudflare",
  );
  if (c.ENVIRONMENT === "production" || c.ENVIRONMENT === "staging") {
    if (c.WHATSAPP_PROVIDER !== "cloud")
      problems.push("WHATSAPP_PROVIDER: must be cloud outside development and tests");
    if (c.SMS_PROVIDER !== "twilio")
      problems.push("SMS_PROVIDER: must be twilio outside development and tests");
    if (c.TURNSTILE_PROVIDER !== "cloudflare")
      problems.push("TURNSTILE_PROVIDER: must be cloudflare outside development and tests");
    if (!c.RESEND_WEBHOOK_SECRET)
      problems.push(
        "RESEND_WEBHOOK_SECRET: required outside development (bounces suppress addresses)",
      );
    for (const key of ["WHATSAPP_BASE_URL", "TWILIO_BASE_URL", "TURNSTILE_BASE_URL"] as const) {
      if (!c[key].startsWith("https://")) problems.push(`${key}: must be https`);
    }
  }
  return problems;
}
