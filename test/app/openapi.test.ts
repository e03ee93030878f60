import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { Harness } from "../support/harness";

interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { responses: Record<string, unknown>; summary?: string }>>;
  components?: { schemas?: Record<string, unknown> };
}

// Served by the Worker but not API operations: the document itself.
const UNDOCUMENTED = new Set(["GET /openapi.json"]);

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 and every $ref resolves", async (t) => {
    const h = await Harness.init(t);
    const res = await h.get<OpenApiDoc>("/openapi.json");
    expect(res.status, res.text).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    expect(res.body.info.title).toBeTruthy();
    const refs = [...res.text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(res.body.components?.schemas, ref).toHaveProperty(ref as string);
    // And a full validator (swagger-parser, run in Node: see test/support/node/openapi-validator).
    const verdict = (await (
      await fetch(h.env.TEST_OPENAPI_VALIDATOR_URL, { method: "POST", body: res.text })
    ).json()) as { valid: boolean; version?: string; error?: string };
    expect(verdict, verdict.error).toEqual({ valid: true, version: "3.1.0" });
    // The validator is no rubber stamp: a broken reference is refused.
    const broken = res.text.replace(
      '"#/components/schemas/Problem"',
      '"#/components/schemas/Nope"',
    );
    const refused = (await (
      await fetch(h.env.TEST_OPENAPI_VALIDATOR_URL, { method: "POST", body: broken })
    ).json()) as { valid: boolean };
    expect(refused.valid).toBe(false);
  });

  it("documents exactly the routes the app serves", async (t) => {
    const h = await Harness.init(t);
    const doc = (await h.get<OpenApiDoc>("/openapi.json")).body;
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
      ),
    );
    const served = new Set(
      createApp()
        .routes.filter((r) => r.method !== "ALL")
        .map((r) => `${r.method} ${r.path}`)
        .filter((r) => !UNDOCUMENTED.has(r)),
    );
    expect([...served].sort()).toEqual([...documented].sort());
  });

  it("gives every operation its error responses as problem+json", async (t) => {
    const h = await Harness.init(t);
    const doc = (await h.get<OpenApiDoc>("/openapi.json")).body;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const status of ["400", "500", "503"]) {
          expect(op.responses, `${method} ${path} lacks ${status}`).toHaveProperty(status);
        }
        expect(op.summary, `${method} ${path} has no summary`).toBeTruthy();
      }
    }
  });

  it("states the password bounds the policy enforces (8–128 to set, any to log in)", async (t) => {
    const h = await Harness.init(t);
    const schemas = (await h.get<OpenApiDoc>("/openapi.json")).body.components?.schemas as Record<
      string,
      { properties: Record<string, { minLength?: number; maxLength?: number }> }
    >;
    const bounds = (schema: string, prop: string) => {
      const p = schemas[schema]?.properties[prop];
      return [p?.minLength, p?.maxLength];
    };
    expect(bounds("SignupRequest", "password")).toEqual([8, 128]);
    expect(bounds("LoginRequest", "password")).toEqual([1, 128]);
    // The upper edge in code points, as the document counts: 128 dragons (256 UTF-16 units) pass.
    const signup = (password: string) =>
      h.post("/v1/auth/signup", {
        email: `${crypto.randomUUID()}@example.in`,
        password,
        fullName: "Edge Case",
      });
    expect((await signup("🐉".repeat(128))).status).toBe(201);
    expect((await signup("🐉".repeat(129))).status).toBe(400);
  });
});
