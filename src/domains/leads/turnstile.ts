/**
 * TEMPORARY stand-in for src/providers/turnstile (being built on another branch), with exactly
 * its interface: when that lands, this file goes and the one import in service/submit.ts
 * points there instead.
 */
import type { AppConfig } from "../../env";

export const DEV_TURNSTILE_TOKEN = "XXXX.DUMMY.TOKEN.XXXX";

export type TurnstileResult =
  | { ok: true }
  | { ok: false; reason: "invalid" | "unavailable"; codes: string[] };

export interface TurnstileVerifier {
  verify(input: {
    token: string;
    remoteIp?: string | null;
    idempotencyKey?: string;
  }): Promise<TurnstileResult>;
}

type TurnstileConfig = Pick<
  AppConfig,
  "TURNSTILE_PROVIDER" | "TURNSTILE_SECRET_KEY" | "TURNSTILE_BASE_URL"
>;

export function createTurnstileVerifier(config: TurnstileConfig): TurnstileVerifier {
  if (config.TURNSTILE_PROVIDER === "dev") {
    return {
      verify: async ({ token }) =>
        token === DEV_TURNSTILE_TOKEN
          ? { ok: true }
          : { ok: false, reason: "invalid", codes: ["invalid-input-response"] },
    };
  }
  return {
    async verify({ token, remoteIp, idempotencyKey }) {
      const form = new URLSearchParams({
        secret: config.TURNSTILE_SECRET_KEY ?? "",
        response: token,
      });
      if (remoteIp) form.set("remoteip", remoteIp);
      if (idempotencyKey) form.set("idempotency_key", idempotencyKey);
      try {
        const res = await fetch(new URL("/turnstile/v0/siteverify", config.TURNSTILE_BASE_URL), {
          method: "POST",
          body: form,
          signal: AbortSignal.timeout(5_000),
        });
        if (!res.ok) return { ok: false, reason: "unavailable", codes: [`http-${res.status}`] };
        const body = (await res.json()) as { success?: boolean; "error-codes"?: string[] };
        if (body.success === true) return { ok: true };
        const codes = body["error-codes"] ?? [];
        return codes.includes("internal-error")
          ? { ok: false, reason: "unavailable", codes }
          : { ok: false, reason: "invalid", codes };
      } catch {
        return { ok: false, reason: "unavailable", codes: ["network-error"] };
      }
    },
  };
}
