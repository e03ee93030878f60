/**
 * The lead form's Turnstile verifier (src/providers/turnstile), from the app's configuration:
 * `dev` accepts only Cloudflare's dummy token; `cloudflare` asks siteverify at
 * TURNSTILE_BASE_URL with TURNSTILE_SECRET_KEY.
 */
import type { AppConfig } from "../../env";
import {
  createTurnstileVerifier,
  TURNSTILE_DUMMY_TOKEN,
  type TurnstileVerifier,
} from "../../providers/turnstile";

export const DEV_TURNSTILE_TOKEN = TURNSTILE_DUMMY_TOKEN;

export function turnstileFromConfig(
  config: Pick<AppConfig, "TURNSTILE_PROVIDER" | "TURNSTILE_SECRET_KEY" | "TURNSTILE_BASE_URL">,
): TurnstileVerifier {
  if (config.TURNSTILE_PROVIDER === "dev") return createTurnstileVerifier({ provider: "dev" });
  return createTurnstileVerifier({
    provider: "cloudflare",
    secret: config.TURNSTILE_SECRET_KEY ?? "",
    url: new URL("/turnstile/v0/siteverify", config.TURNSTILE_BASE_URL).toString(),
  });
}
