/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { Harness } from "../support/harness";

interface Operation {
  responses: Record<string, unknown>;
  summary?: string;
  operationId?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; schema: { enum?: string[]; format?: string } }[];
  requestBody?: unknown;
}

interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

// Every endpoint's contract, one file per operation, named after its verb and noun.
const routeModules = import.meta.glob<{ route: { method: string; path: string } }>(
  ["../../src/domains/*/routes/*.ts", "../../src/domains/*/*/routes/*.ts"],
  { eager: true },
);

const camelCase = (kebab: string) =>
  kebab.replace(/-([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());

const operationsOf = (doc: OpenApiDoc) =>
  Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );

/** A path with sample values for its parameters (what the app would accept as well-formed). */
function samplePath(path: string, op: Operation) {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const schema = op.parameters?.find((p) => p.in === "path" && p.name === name)?.schema;
    if (schema?.enum?.[0]) return schema.enum[0];
    if (schema?.format === "uuid") return "00000000-0000-4000-8000-000000000001";
    return name === "identity" ? "ip:203.0.113.7" : "x";
  });
}

// Served by the Worker but not API operations: the document itself.
const UNDOCUMENTED = new Set([
  "GET /openapi.json",
  // The dev Zoom provider's pages: development and tests only, not part of the API.
  "GET /dev/zoom/join/:meetingId",
  "GET /dev/zoom/start/:meetingId",
  "GET /dev/zoom/recordings/:meetingId/:fileId",
  // The dev payments provider's checkout page and its buttons (development and tests only).
  "GET /dev/instamojo/checkout/:requestId",
  "POST /dev/instamojo/checkout/:requestId/pay",
  "POST /dev/instamojo/checkout/:requestId/fail",
]);

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

  it("names every operation (unique camelCase operationId, after its route file)", async (t) => {
    const h = await Harness.init(t);
    const doc = (await h.get<OpenApiDoc>("/openapi.json")).body;
    const ops = operationsOf(doc);
    const ids = ops.map(({ op }) => op.operationId);
    for (const { method, path, op } of ops) {
      expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][a-zA-Z0-9]*$/);
    }
    expect(new Set(ids).size, `duplicate operationIds: ${ids.join(", ")}`).toBe(ids.length);
    // Stable: each id is its route file's name (routes/get-me.ts → getMe), so renaming an
    // operation means renaming its file, never a silent drift of the public contract.
    const fromFiles = Object.entries(routeModules).map(([file, mod]) => ({
      key: `${mod.route.method.toUpperCase()} ${mod.route.path}`,
      id: camelCase(file.split("/").at(-1)?.replace(/\.ts$/, "") ?? ""),
    }));
    expect(fromFiles.length).toBe(ops.length);
    expect(
      Object.fromEntries(ops.map(({ method, path, op }) => [`${method} ${path}`, op.operationId])),
    ).toEqual(Object.fromEntries(fromFiles.map(({ key, id }) => [key, id])));
  });

  it("declares bearerAuth on exactly the operations requireAuth guards, [] on the others", async (t) => {
    const h = await Harness.init(t);
    const doc = (await h.get<OpenApiDoc>("/openapi.json")).body;
    expect(doc.components?.securitySchemes).toHaveProperty("bearerAuth");
    const declared: Record<string, "bearerAuth" | "public"> = {};
    const observed: Record<string, "bearerAuth" | "public"> = {};
    for (const { method, path, op } of operationsOf(doc)) {
      const key = `${method} ${path}`;
      expect(op.security, `${key} has no security entry`).toBeDefined();
      expect([[], [{ bearerAuth: [] }]], `${key}: ${JSON.stringify(op.security)}`).toContainEqual(
        op.security,
      );
      declared[key] = op.security?.length ? "bearerAuth" : "public";
      // Ask without a token: requireAuth answers 401 with a Bearer challenge before anything
      // else (validation, the handler); a public operation never does. An empty JSON body is
      // enough to get past the content-type check to the validator.
      const res = await h.request(method, samplePath(path, op), op.requestBody ? {} : undefined, {
        // One client address per request: the auth limiter must not answer for the route.
        headers: { "CF-Connecting-IP": `198.18.${Object.keys(observed).length}.1` },
      });
      expect(res.status, `${key}: ${res.text}`).not.toBe(429);
      expect(res.status, `${key}: ${res.text}`).toBeLessThan(500);
      const challenged =
        res.status === 401 && /^Bearer/.test(res.headers.get("WWW-Authenticate") ?? "");
      observed[key] = challenged ? "bearerAuth" : "public";
    }
    expect(observed).toEqual(declared);
    // Both kinds exist, so neither side of the comparison is trivially empty.
    expect(Object.values(declared)).toContain("bearerAuth");
    expect(Object.values(declared)).toContain("public");
  });
});
