/** src/env.ts's loadConfig: parsed once per isolate, whichever object carries the same values. */
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { loadConfig } from "../../src/env";
import { testEnv } from "../support/env";
import { Harness } from "../support/harness";

describe("loadConfig", () => {
  it("one parse serves every request, though the Worker's Sentry wrapper hands each a new env", async (t) => {
    const app = createApp();
    const seen: { env: object; config: object }[] = [];
    app.get("/test/config", (c) => {
      seen.push({ env: c.env, config: c.get("config") });
      return c.json({});
    });
    const h = await Harness.init(t, { app });
    for (let i = 0; i < 2; i++) expect((await h.get("/test/config")).status).toBe(200);
    const [first, second] = seen;
    expect(first?.env).not.toBe(second?.env);
    expect(first?.config).toBe(second?.config);
  });

  it("equal values share a parse; any changed value is parsed again, failures included", () => {
    const valid = loadConfig({ ...testEnv });
    expect(valid.ok).toBe(true);
    expect(loadConfig(new Proxy({ ...testEnv }, {}))).toBe(valid);

    const loud = loadConfig({ ...testEnv, LOG_LEVEL: "debug" });
    expect(loud.ok && loud.config.LOG_LEVEL).toBe("debug");
    const broken = loadConfig({ ...testEnv, JWT_SECRET: "short" });
    expect(broken.ok ? [] : broken.issues).toEqual([
      "JWT_SECRET: JWT_SECRET must be at least 32 characters",
    ]);
    expect(loadConfig({ ...testEnv, JWT_SECRET: "short" })).toEqual(broken);
    const again = loadConfig({ ...testEnv });
    expect(again.ok && again.config.LOG_LEVEL).toBe(testEnv.LOG_LEVEL);
    expect(again.ok && again.config.JWT_SECRET).toBe(testEnv.JWT_SECRET);
  });
});
