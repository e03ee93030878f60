import * as z from "zod";

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
  CORS_ORIGINS: commaList,
  MAX_BODY_BYTES: positiveInt(1_048_576),
  DB_QUERY_TIMEOUT_MS: positiveInt(5_000),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  SENTRY_DSN: z
    .url()
    .optional()
    .or(z.literal("").transform(() => undefined)),
  SENTRY_RELEASE: z.string().optional(),
});

export type AppConfig = z.infer<typeof envSchema>;

export type ConfigResult = { ok: true; config: AppConfig } | { ok: false; issues: string[] };

// Keyed by the env object so a parse happens once per isolate, and tests may pass their own env.
const cache = new WeakMap<object, ConfigResult>();

export function loadConfig(env: object): ConfigResult {
  const cached = cache.get(env);
  if (cached) return cached;
  const parsed = envSchema.safeParse(env);
  let result: ConfigResult;
  if (parsed.success) {
    result = { ok: true, config: parsed.data };
    if (result.config.ENVIRONMENT === "production" && result.config.NEON_WS_PROXY) {
      result = { ok: false, issues: ["NEON_WS_PROXY: must not be set in production"] };
    }
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
  return result;
}
