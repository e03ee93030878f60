/** The Zoom settings in src/env.ts: which provider where, and what each needs. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { DEPLOYED_CERT_CONFIG } from "../support/certificates";
import { testEnv } from "../support/env";
import { DEPLOYED_MESSAGING_CONFIG } from "../support/messaging";

describe("configuration", () => {
  const valid = { ...testEnv };
  const issues = (env: Record<string, unknown>) => {
    const loaded = loadConfig({ ...valid, ...env });
    return loaded.ok ? [] : loaded.issues;
  };

  it("development and tests default to the dev provider", () => {
    expect(issues({})).toEqual([]);
    const loaded = loadConfig({ ...valid, ZOOM_PROVIDER: undefined });
    expect(loaded.ok && loaded.config.ZOOM_PROVIDER).toBe("dev");
  });

  it("zoom needs every credential, and says which are missing (never a value)", () => {
    expect(issues({ ZOOM_PROVIDER: "zoom", ZOOM_CLIENT_ID: "id", ZOOM_CLIENT_SECRET: "" })).toEqual(
      [
        "ZOOM_ACCOUNT_ID: required when ZOOM_PROVIDER is zoom",
        "ZOOM_CLIENT_SECRET: required when ZOOM_PROVIDER is zoom",
      ],
    );
  });

  it.for(["staging", "production"])("%s requires zoom over https", (environment) => {
    const base = {
      ENVIRONMENT: environment,
      ...DEPLOYED_CERT_CONFIG,
      ...DEPLOYED_MESSAGING_CONFIG,
      NEON_WS_PROXY: "",
      NEON_HTTP_ENDPOINT: "",
      EMAIL_PROVIDER: "resend",
      RESEND_API_KEY: "re_x",
      // What payments need there (test/providers/instamojo-* cover those rules).
      PAYMENTS_PROVIDER: "instamojo",
      INSTAMOJO_BASE_URL: "https://test.instamojo.com/",
      API_PUBLIC_URL: "https://api.example.in",
    };
    expect(issues({ ...base, ZOOM_PROVIDER: "dev" })).toContain(
      "ZOOM_PROVIDER: must be zoom outside development and tests",
    );
    const zoom = {
      ...base,
      ZOOM_PROVIDER: "zoom",
      ZOOM_ACCOUNT_ID: "acc",
      ZOOM_CLIENT_ID: "id",
      ZOOM_CLIENT_SECRET: "very-secret-value",
      ZOOM_WEBHOOK_SECRET_TOKEN: "whsec",
    };
    expect(issues(zoom)).toEqual([]);
    const plain = issues({ ...zoom, ZOOM_OAUTH_BASE_URL: "http://zoom.example" });
    expect(plain).toEqual(["ZOOM_OAUTH_BASE_URL: must be https"]);
    expect(JSON.stringify(plain)).not.toContain("very-secret-value");
  });
});
