/**
 * Schema-driven fuzzing of every operation in /openapi.json, anonymous and as each role.
 *
 * Requests are generated with fast-check from the document's JSON Schemas (zod-fast-check does
 * not support zod 4): valid values, boundary values and hostile ones (wrong types, missing and
 * extra keys, huge and odd strings, malformed JSON, wrong content types, odd path params, query
 * strings and headers). For each operation and caller: a sweep of the known-good request with
 * one field at a time at its most hostile (deterministic), the known-good request, then RUNS
 * generated ones. Whatever the request, the API must never answer 5xx, every 4xx must be a
 * problem+json body whose `code`, `status` and `title` agree with the error catalog, and no
 * request shape may take a caller further than its role goes (as probed from the app).
 *
 * Deterministic by default (fixed seed; about 400 requests). Longer or other runs locally:
 *   FUZZ_RUNS=40 FUZZ_SEED=7 npx vitest run test/app/fuzz.test.ts
 * A failure prints the request and the operation's seed; the same FUZZ_SEED and FUZZ_RUNS
 * replay it.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ErrorCode, errorCatalog } from "../../src/lib/errors";
import { hashPassword } from "../../src/lib/password";
import { generateOpaqueToken, hashToken } from "../../src/lib/tokens";
import { adminQuery } from "../support/database";
import { Harness } from "../support/harness";
import { DEFAULT_PASSWORD, mintAccessToken, type Role, type TestUser } from "../support/identity";

// ---------------------------------------------------------------------------------------------
// Knobs (vitest.config.ts passes FUZZ_RUNS / FUZZ_SEED from the shell as bindings)

const knobs = env as unknown as Record<string, string | undefined>;
/** Requests per operation and caller, the known-good one included (plus the sweep). */
const RUNS = Number.parseInt(knobs.TEST_FUZZ_RUNS ?? "", 10) || 3;
const SEED = Number.parseInt(knobs.TEST_FUZZ_SEED ?? "", 10) || 20_261_128;
/** A caller's identity is replaced after this many requests (session and per-user limits). */
const ROTATE_EVERY = 8;
const TIMEOUT_MS = Math.max(90_000, RUNS * 6_000);

// ---------------------------------------------------------------------------------------------
// The document

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
}

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema: JsonSchema;
}

interface OpenApiOperation {
  operationId: string;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, unknown>;
}

interface OpenApiDoc {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema> };
}

interface Operation {
  id: string;
  method: string;
  path: string;
  secured: boolean;
  params: Parameter[];
  body?: JsonSchema;
}

function operations(doc: OpenApiDoc): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      id: op.operationId,
      method: method.toUpperCase(),
      path,
      secured: (op.security ?? []).some((s) => "bearerAuth" in s),
      params: op.parameters ?? [],
      body: op.requestBody?.content["application/json"]?.schema,
    })),
  );
}

// ---------------------------------------------------------------------------------------------
// Values from JSON Schemas

/**
 * Known-good values by field name (`name`, or `operationId:name` for one operation), so valid
 * requests also reach the handlers' happy paths: live tokens, existing ids, real phone numbers.
 */
type Hints = Record<string, fc.Arbitrary<unknown>>;

interface Gen {
  doc: OpenApiDoc;
  hints: Hints;
  /** The operation being fuzzed, for operation-scoped hints. */
  op?: string;
  /** Always take the hint where there is one: the known-good request. */
  canonical?: boolean;
}

const resolve = (gen: Gen, s: JsonSchema): JsonSchema => {
  const name = s.$ref?.replace("#/components/schemas/", "");
  const target = name ? gen.doc.components.schemas[name] : s;
  if (!target) throw new Error(`unresolvable $ref ${s.$ref}`);
  return target;
};

const typesOf = (s: JsonSchema): string[] =>
  Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];

const weighted = <T>(...pairs: [number, fc.Arbitrary<T>][]) =>
  fc.oneof(...pairs.map(([weight, arbitrary]) => ({ weight, arbitrary })));

function objectOf(
  gen: Gen,
  s: JsonSchema,
  value: (prop: JsonSchema, name: string) => fc.Arbitrary<unknown>,
): fc.Arbitrary<Record<string, unknown>> {
  const props = s.properties ?? {};
  const model = Object.fromEntries(
    Object.entries(props).map(([name, prop]) => [name, value(resolve(gen, prop), name)]),
  );
  return fc.record(model, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
}

/** A value the schema accepts (or a hint for the field, e.g. a live refresh token). */
function validValue(gen: Gen, schema: JsonSchema, name?: string): fc.Arbitrary<unknown> {
  const s = resolve(gen, schema);
  const base = validBase(gen, s);
  const hint = name ? (gen.hints[`${gen.op}:${name}`] ?? gen.hints[name]) : undefined;
  if (hint && gen.canonical) return hint;
  return hint ? weighted([3, hint], [1, base]) : base;
}

function validBase(gen: Gen, s: JsonSchema): fc.Arbitrary<unknown> {
  if ("const" in s) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const variants = s.oneOf ?? s.anyOf;
  if (variants) return fc.oneof(...variants.map((v) => validValue(gen, v)));
  const types = typesOf(s);
  if (types.includes("null") && types.length > 1) {
    const nonNull = validBase(gen, { ...s, type: types.filter((t) => t !== "null") });
    return weighted([4, nonNull], [1, fc.constant(null)]);
  }
  switch (types[0]) {
    case "string":
      return validString(s);
    case "integer":
      return fc.integer({ min: s.minimum ?? -1_000, max: s.maximum ?? 1_000_000 });
    case "number":
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(validValue(gen, s.items ?? {}), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 4, 4),
      });
    case "object":
      return objectOf(gen, s, (prop, name) => validValue(gen, prop, name));
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function validString(s: JsonSchema): fc.Arbitrary<string> {
  switch (s.format) {
    case "uuid":
      return fc.uuid();
    case "date-time":
      return fc
        .date({ min: new Date("2000-01-01Z"), max: new Date("2099-12-31Z"), noInvalidDate: true })
        .map((d) => d.toISOString());
    case "email":
      return fc.emailAddress().filter((e) => e.length <= (s.maxLength ?? 254));
  }
  if (s.pattern) return fc.stringMatching(new RegExp(s.pattern));
  const minLength = s.minLength ?? 0;
  const maxLength = Math.min(s.maxLength ?? minLength + 32, minLength + 32);
  return weighted(
    [3, fc.string({ minLength, maxLength, unit: "grapheme-ascii" })],
    [1, fc.string({ minLength, maxLength, unit: "grapheme" })],
    [1, nastyString(s)],
  );
}

/** Hostile content (NUL, RTL, injection, emoji…) cut or padded to the schema's length bounds. */
function nastyString(s: JsonSchema): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? Math.max(min, 64);
  return fc
    .constantFrom(...HOSTILE_STRINGS.filter((x) => x.trim() !== ""))
    .map((x) => `${"x".repeat(Math.max(0, min - x.length))}${x}`.slice(0, max));
}

const FORMAT_EDGES: Record<string, string[]> = {
  uuid: [
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "6F9619FF-8B86-D011-B42D-00CF4FC964FF",
    "{6f9619ff-8b86-d011-b42d-00cf4fc964ff}",
    "6f9619ff8b86d011b42d00cf4fc964ff",
    "6f9619ff-8b86-d011-b42d-00cf4fc964f",
  ],
  "date-time": [
    "1970-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999Z",
    "2024-02-29T23:59:59+05:30",
    "2023-02-29T00:00:00Z",
    "2024-01-01T24:00:00Z",
    "2024-13-01T00:00:00Z",
    "2024-01-01",
    "2024-01-01T00:00:00",
    "2024-01-01T00:00:00.123456789Z",
    "2024-01-01T00:00:00-23:59",
    "0001-01-01T00:00:00+05:30",
    "9999-12-31T23:59:59-23:59",
    "275760-09-13T00:00:00Z",
  ],
  email: [
    "a@b.co",
    "A.B+tag@Example.IN",
    "  padded@example.in  ",
    "no-at-sign.example.in",
    "a@b",
    '"quoted local"@example.in',
    "δοκιμή@παράδειγμα.δοκιμή",
    `${"l".repeat(64)}@${"d".repeat(185)}.example.in`,
    `${"l".repeat(64)}@${"d".repeat(186)}.example.in`,
  ],
};

/** Edges of what the schema accepts: length, range and enum boundaries, just in and just out. */
function boundaryValue(gen: Gen, schema: JsonSchema): fc.Arbitrary<unknown> {
  const s = resolve(gen, schema);
  const edges: unknown[] = [];
  for (const value of s.enum ?? []) {
    edges.push(value);
    if (typeof value === "string") edges.push(value.toUpperCase(), `${value} `, "");
  }
  const variants = s.oneOf ?? s.anyOf;
  if (variants) return fc.oneof(...variants.map((v) => boundaryValue(gen, v)));
  const types = typesOf(s);
  if (types.includes("null")) edges.push(null);
  if (types.includes("string")) {
    edges.push(...(FORMAT_EDGES[s.format ?? ""] ?? []));
    const lengths = new Set([0, 1]);
    for (const edge of [s.minLength, s.maxLength]) {
      if (edge !== undefined)
        for (const n of [edge - 1, edge, edge + 1]) if (n >= 0) lengths.add(n);
    }
    // Code points vs UTF-16 units vs graphemes vs bytes: each counts a different length.
    for (const n of lengths)
      for (const fill of ["a", "é", "🐉", "e\u0301", " "]) edges.push(fill.repeat(n));
  }
  if (types.includes("integer") || types.includes("number")) {
    for (const edge of [s.minimum, s.maximum]) {
      if (edge !== undefined) edges.push(edge - 1, edge, edge + 1);
    }
    edges.push(0, -1, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 53), 1e21, "1", "1e3");
  }
  if (types.includes("boolean")) edges.push(true, false, "true", 0, 1);
  if (types.includes("array")) edges.push([], new Array((s.maxItems ?? 100) + 1).fill(0));
  if (types.includes("object")) {
    edges.push({});
    const required = Object.fromEntries(
      (s.required ?? []).map((k) => [k, null] as const).filter(([k]) => s.properties?.[k]),
    );
    if (Object.keys(required).length > 0) {
      return weighted(
        [1, fc.constantFrom(...edges)],
        [
          2,
          fc.record(
            Object.fromEntries(
              Object.keys(required).map((k) => [k, validValue(gen, s.properties?.[k] ?? {}, k)]),
            ),
          ),
        ],
      );
    }
  }
  return edges.length > 0 ? fc.constantFrom(...edges) : fc.constant(null);
}

const HOSTILE_STRINGS = [
  "",
  " ",
  "\t\r\n",
  "\u0000",
  "a\u0000b",
  "' OR '1'='1' --",
  "'; DROP TABLE users; --",
  "1; SELECT pg_sleep(10)",
  '") OR 1=1 --',
  "\\",
  "%",
  "%00",
  "%ZZ",
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "javascript:alert(1)",
  "{{7*7}}",
  "$" + "{7*7}",
  "../../../../etc/passwd",
  "..%2F..%2Fetc%2Fpasswd",
  "\u202Egnp.exe\u202C",
  "\u200B\u200D\uFEFF",
  "🐉🔥💯👩‍👩‍👧‍👦",
  "𝕬𝖇𝖈",
  "नमस्ते दुनिया",
  "مرحبا بالعالم",
  "\uD800",
  "\uDFFF\uD800",
  "\u2028\u2029\u0085",
  "null",
  "undefined",
  "NaN",
  "-Infinity",
  "true",
  "[]",
  "{}",
  "__proto__",
  "constructor",
  "0x10",
  "-0",
  "1e309",
];

/** Anything but what the schema wants: wrong types, odd strings, random JSON. */
function hostileValue(): fc.Arbitrary<unknown> {
  return weighted<unknown>(
    [4, fc.constantFrom(...HOSTILE_STRINGS)],
    [
      3,
      fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 1e300, [], {}, [null], { $ne: null }),
    ],
    [2, fc.string({ unit: "binary", maxLength: 40 })],
    [2, fc.jsonValue({ maxDepth: 3 })],
    [1, fc.constantFrom(10_000, 100_000).map((n) => "A".repeat(n))],
  );
}

/** A value where the schema wants something else, or something it takes in an unkind form. */
function perturbed(gen: Gen, schema: JsonSchema): fc.Arbitrary<unknown> {
  const s = resolve(gen, schema);
  const nasty = typesOf(s).includes("string") && !s.enum ? nastyString(s) : hostileValue();
  return weighted<unknown>([2, boundaryValue(gen, s)], [2, hostileValue()], [2, nasty]);
}

/** A valid body but for one field: a lone bad value reaching the code behind validation. */
function focusedBody(gen: Gen, schema: JsonSchema): fc.Arbitrary<unknown> {
  const s = resolve(gen, schema);
  const variants = s.oneOf ?? s.anyOf;
  if (variants) return fc.oneof(...variants.map((v) => focusedBody(gen, v)));
  const props = Object.entries(s.properties ?? {});
  if (props.length === 0) return perturbed(gen, s);
  const base = validValue(gen, s) as fc.Arbitrary<Record<string, unknown>>;
  return fc.oneof(
    ...props.map(([key, prop]) =>
      fc.tuple(base, perturbed(gen, prop)).map(([obj, value]) => ({ ...obj, [key]: value })),
    ),
  );
}

const EXTRA_KEYS = ["__proto__", "constructor", "prototype", "role", "isAdmin", "status", "id", ""];

/** Valid-ish, at the edges, or hostile; objects may lose required keys or gain unknown ones. */
function mixedValue(gen: Gen, schema: JsonSchema, name?: string): fc.Arbitrary<unknown> {
  const s = resolve(gen, schema);
  const variants = s.oneOf ?? s.anyOf;
  if (typesOf(s).includes("object") && !variants) {
    const fields = objectOf(gen, s, (prop, key) => mixedValue(gen, prop, key));
    const required = (s.required ?? []).filter((k) => s.properties?.[k]);
    const missing =
      required.length > 0
        ? fc
            .tuple(fields, fc.constantFrom(...required))
            .map(([obj, key]) => Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key)))
        : fields;
    const extra = fc
      .tuple(fields, fc.dictionary(fc.constantFrom(...EXTRA_KEYS), hostileValue(), { maxKeys: 3 }))
      .map(([obj, more]) => ({ ...obj, ...more }));
    return weighted<unknown>([6, fields], [2, missing], [2, extra], [1, hostileValue()]);
  }
  if (variants) {
    return weighted<unknown>(
      [6, fc.oneof(...variants.map((v) => mixedValue(gen, v, name)))],
      [1, hostileValue()],
    );
  }
  return weighted<unknown>(
    [5, validValue(gen, s, name)],
    [2, boundaryValue(gen, s)],
    [2, hostileValue()],
  );
}

// ---------------------------------------------------------------------------------------------
// Requests

type AuthMode =
  | "genuine"
  | "none"
  | "lowercase-scheme"
  | "no-scheme"
  | "double-space"
  | "trailing-garbage"
  | "two-tokens"
  | "no-signature"
  | "basic"
  | "huge"
  | "garbage-jwt";

interface FuzzRequest {
  method: string;
  /** Path with its params filled in (encoded, or deliberately not). */
  path: string;
  /** "" or "?…" */
  query: string;
  headers: Record<string, string>;
  body?: { contentType?: string; payload: string | Uint8Array };
  auth: AuthMode;
  /** The client address: a fresh one per request, or this harness' own ("hot", limited). */
  hotIp: boolean;
}

interface Limits {
  maxBodyBytes: number;
}

const toText = (v: unknown) => (typeof v === "string" ? v : (JSON.stringify(v) ?? "undefined"));
/** Percent-encoded; a lone surrogate (which no URL can carry) becomes U+FFFD first. */
const encode = (v: unknown) => encodeURIComponent(toText(v).toWellFormed());

/** A value for a path or query string: percent-encoded, or raw as an attacker would send it. */
const encoded = (value: fc.Arbitrary<unknown>) =>
  weighted(
    [4, value.map(encode)],
    [1, value.map((v) => toText(v).replaceAll("#", "%23").replaceAll("?", "%3F"))],
  );

const ODD_SEGMENTS = [
  "..%2F..%2Fetc%2Fpasswd",
  "%2e%2e",
  "%2E%2E%2F",
  "%ZZ",
  "%",
  "%00",
  "%C0%AF",
  "%E2%80%AE",
  "%F0%9F%90%89",
  "%EF%BF%BF",
  "%FF%FE",
  "%20",
  "null",
  "undefined",
  "0",
  "-1",
  "1e9",
  "%27%20OR%201%3D1--",
  "%3Cscript%3E",
  "ip:",
  "user:..%2F..%2Fadmin",
  `ip:${"1".repeat(200)}`,
  `account:${"a".repeat(129)}`,
];

const pathParams = (op: Operation) =>
  [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);

/** The path with its parameters filled in; `focus`: only that one is off in a valid request. */
function pathArb(
  gen: Gen,
  op: Operation,
  mode: "valid" | "mixed",
  focus?: string,
): fc.Arbitrary<string> {
  const names = pathParams(op);
  const value = (name: string) => {
    const schema = op.params.find((p) => p.in === "path" && p.name === name)?.schema ?? {};
    const valid = validValue(gen, schema, name).map(encode);
    if (mode === "valid" && name !== focus) return valid;
    return weighted(
      [name === focus ? 0 : 4, valid],
      [2, encoded(boundaryValue(gen, schema))],
      [2, fc.constantFrom(...ODD_SEGMENTS)],
      [1, encoded(hostileValue())],
      [1, fc.constantFrom(2_000, 20_000).map((n) => "9".repeat(n))],
    );
  };
  const filled = fc
    .tuple(...names.map(value))
    .map((vals) =>
      names.reduce((path, name, i) => path.replace(`{${name}}`, vals[i] ?? ""), op.path),
    );
  if (mode === "valid") return filled;
  // Rarely, the path itself is odd: trailing slash, doubled slashes, case, dot segments.
  return weighted<string>(
    [12, filled],
    [
      1,
      fc
        .tuple(
          filled,
          fc.constantFrom("trailing", "double", "upper", "dots", "escaped", "encoded-slash"),
        )
        .map(([path, how]) => {
          switch (how) {
            case "trailing":
              return `${path}/`;
            case "double":
              return path.replace("/", "//");
            case "upper":
              return path.toUpperCase();
            case "dots":
              return `${path}/%2e%2e/%2e%2e/v1/admin/users`;
            case "escaped":
              // "/v1/%61dmin/…": the router decodes it; every guard must see the same path.
              return path.replace(
                /\/([a-z])/g,
                (_, c: string) => `/%${c.charCodeAt(0).toString(16)}`,
              );
            default:
              return path.replaceAll("/", "%2F");
          }
        }),
    ],
  );
}

const OPAQUE_QUERY = new Set(["cursor"]);

/** The query string; `focus`: in a valid request, that parameter is present and off. */
function queryArb(
  gen: Gen,
  op: Operation,
  mode: "valid" | "mixed",
  focus?: string,
): fc.Arbitrary<string> {
  // A valid cursor only comes from a previous page: valid requests start at the first one.
  const params = op.params.filter(
    (p) => p.in === "query" && (mode === "mixed" || p.name === focus || !OPAQUE_QUERY.has(p.name)),
  );
  const pair = (p: Parameter) =>
    (mode === "mixed"
      ? encoded(mixedValue(gen, p.schema, p.name))
      : p.name === focus
        ? encoded(perturbed(gen, p.schema))
        : validValue(gen, p.schema, p.name).map(encode)
    ).map((v) => `${encodeURIComponent(p.name)}=${v}`);
  const known = fc.tuple(
    ...params.map((p) => (p.name === focus ? pair(p) : fc.option(pair(p), { nil: undefined }))),
  );
  if (mode === "valid") {
    return known.map((pairs) => {
      const q = pairs.filter((x) => x !== undefined).join("&");
      return q ? `?${q}` : "";
    });
  }
  const odd = fc.constantFrom(
    "limit=1&limit=2",
    "limit[]=1",
    "page=1&cursor=abc.def",
    "__proto__[x]=1",
    "constructor=1",
    "=",
    "&&&",
    "%ZZ=%ZZ",
    "q=%",
    "cursor=%00",
    `cursor=${"A".repeat(1025)}`,
    `cursor=${"A".repeat(20)}.${"B".repeat(43)}`,
    `unknown=${"x".repeat(10_000)}`,
    "limit=0x10",
    "limit=%2B1",
    "limit=1.0",
    "limit=%20%205",
    "page=99999999999999999999",
    "from=2024-01-01T00:00:00Z&to=2023-01-01T00:00:00Z",
    "from=0000-01-01T00:00:00Z",
    "since=275760-09-13T00:00:00Z",
  );
  return fc.tuple(known, fc.array(odd, { maxLength: 2 })).map(([pairs, extra]) => {
    const q = [...pairs.filter((x) => x !== undefined), ...extra].join("&");
    return q ? `?${q}` : "";
  });
}

const ODD_HEADER_VALUES = [
  "",
  " ",
  "null",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  "a\tb",
  "x".repeat(129),
  "x".repeat(8_192),
];

function headersArb(mode: "valid" | "mixed"): fc.Arbitrary<Record<string, string>> {
  const requestId = weighted(
    [2, fc.stringMatching(/^[A-Za-z0-9._:-]{8,128}$/)],
    [3, fc.constantFrom(...ODD_HEADER_VALUES, "req_1", "x".repeat(100_000))],
  );
  if (mode === "valid") {
    return fc.record(
      { "X-Request-Id": fc.stringMatching(/^[A-Za-z0-9._:-]{8,64}$/) },
      { requiredKeys: [] },
    );
  }
  return fc.record(
    {
      "X-Request-Id": requestId,
      Accept: fc.constantFrom(
        "application/xml",
        "text/html",
        "*/*",
        "application/problem+json",
        "",
        ";;;",
      ),
      Origin: fc.constantFrom("http://localhost:3000", "https://evil.example", "null", "*"),
      "Access-Control-Request-Method": fc.constantFrom("DELETE", "PUT", "TRACE"),
      "User-Agent": fc.constantFrom(...ODD_HEADER_VALUES, "sqlmap/1.7"),
      "Accept-Encoding": fc.constantFrom("gzip, br", "identity;q=0", "*;q=0"),
      "Accept-Language": fc.constantFrom("hi-IN,hi;q=0.9", "x".repeat(4_096)),
      "X-Forwarded-For": fc.constantFrom("127.0.0.1", "1.2.3.4, evil", "::1"),
      Cookie: fc.constantFrom("session=../../", "a=".repeat(2_000)),
      "Idempotency-Key": fc.constantFrom(...ODD_HEADER_VALUES),
    },
    { requiredKeys: [] },
  );
}

const MALFORMED_JSON = [
  "{",
  "}",
  '{"a":',
  "{'a':1}",
  '{"a":1,}',
  "[1,2",
  "nul",
  "\uFEFF{}",
  '{"a":NaN}',
  '{"a":1}{"b":2}',
  '{"a":"\\ud800"}',
  '{"a":"\\u00"}',
  '{"status":"active","status":"disabled"}',
  '{"__proto__":{"admin":true}}',
  `${"[".repeat(10_000)}${"]".repeat(10_000)}`,
  `{"a":${"[".repeat(100_000)}`,
];

const WRONG_CONTENT_TYPES = [
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/xml",
  "application/jsonx",
  "application/ json",
  "json",
  "application/json; charset=utf-16",
  "application/json;;;",
  "Application/JSON",
  "application/merge-patch+json",
  "*/*",
];

const json = (value: unknown) => ({
  contentType: "application/json",
  payload: JSON.stringify(value) ?? "null",
});

function bodyArb(
  gen: Gen,
  op: Operation,
  mode: "valid" | "mixed",
  limits: Limits,
): fc.Arbitrary<FuzzRequest["body"]> {
  if (mode === "valid")
    return op.body ? validValue(gen, op.body).map(json) : fc.constant(undefined);
  const schemaValue = op.body ? mixedValue(gen, op.body) : fc.jsonValue({ maxDepth: 2 });
  const limit = limits.maxBodyBytes;
  // A JSON string field padded so the whole body is exactly `size` bytes.
  const padded = (key: string, size: number) => {
    const head = `{"${key}":"`;
    return `${head}${"x".repeat(size - head.length - 2)}"}`;
  };
  const bodyKeys = Object.keys(op.body ? (resolve(gen, op.body).properties ?? {}) : {});
  const key = bodyKeys[0] ?? "x";
  return weighted<FuzzRequest["body"]>(
    [op.body ? 14 : 2, schemaValue.map(json)],
    [op.body ? 0 : 12, fc.constant(undefined)],
    [
      2,
      fc
        .constantFrom<unknown>(null, [], "text", 42, true, [{}], { "": "" }, [[[[[[]]]]]])
        .map(json),
    ],
    [
      2,
      fc
        .constantFrom(...MALFORMED_JSON)
        .map((payload) => ({ contentType: "application/json", payload })),
    ],
    [
      2,
      fc
        .tuple(schemaValue, fc.constantFrom(...WRONG_CONTENT_TYPES))
        .map(([v, contentType]) => ({ contentType, payload: JSON.stringify(v) ?? "" })),
    ],
    // Bytes without any Content-Type header.
    [1, schemaValue.map((v) => ({ payload: new TextEncoder().encode(JSON.stringify(v) ?? "") }))],
    [1, fc.constant({ contentType: "application/json", payload: "" })],
    [
      1,
      fc
        .constantFrom(limit - 1, limit, limit + 1, 4 * limit)
        .map((size) => ({ contentType: "application/json", payload: padded(key, size) })),
    ],
  );
}

const AUTH_MANGLES: AuthMode[] = [
  "lowercase-scheme",
  "no-scheme",
  "double-space",
  "trailing-garbage",
  "two-tokens",
  "no-signature",
  "basic",
  "huge",
  "garbage-jwt",
];

/**
 * Requests for one operation: `valid` ones, as a client should send them, and `any`: valid,
 * valid but for one thing (a header, a path or query parameter, a body field), or anything.
 */
function requestArbs(gen: Gen, op: Operation, caller: Caller, limits: Limits) {
  const anonymous = caller === "anonymous";
  const parts = {
    method: fc.constant(op.method),
    path: pathArb(gen, op, "valid"),
    query: queryArb(gen, op, "valid"),
    headers: headersArb("valid"),
    body: bodyArb(gen, op, "valid", limits),
    auth: fc.constant<AuthMode>(anonymous ? "none" : "genuine"),
    hotIp: fc.constant(false),
  };
  const valid = fc.record(parts);
  const focused = fc.oneof(
    fc.record({ ...parts, headers: headersArb("mixed") }),
    ...pathParams(op).map((name) => fc.record({ ...parts, path: pathArb(gen, op, "valid", name) })),
    ...op.params
      .filter((p) => p.in === "query")
      .map((p) => fc.record({ ...parts, query: queryArb(gen, op, "valid", p.name) })),
    ...(op.body ? [fc.record({ ...parts, body: focusedBody(gen, op.body).map(json) })] : []),
  );
  const mixed = fc.record({
    method: weighted(
      [14, fc.constant(op.method)],
      [1, fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")],
    ),
    path: pathArb(gen, op, "mixed"),
    query: queryArb(gen, op, "mixed"),
    headers: headersArb("mixed"),
    body: bodyArb(gen, op, "mixed", limits),
    auth: weighted<AuthMode>(
      [8, fc.constant(anonymous ? "none" : "genuine")],
      [2, fc.constantFrom(...AUTH_MANGLES)],
    ),
    hotIp: weighted([4, fc.constant(false)], [1, fc.constant(true)]),
  });
  return { valid, any: weighted<FuzzRequest>([1, valid], [2, focused], [2, mixed]) };
}

function authorization(mode: AuthMode, token: string | undefined): string | undefined {
  const t = token ?? "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
  switch (mode) {
    case "none":
      return undefined;
    case "genuine":
      return `Bearer ${t}`;
    case "lowercase-scheme":
      return `bearer ${t}`;
    case "no-scheme":
      return t;
    case "double-space":
      return `Bearer  ${t}`;
    case "trailing-garbage":
      return `Bearer ${t}x`;
    case "two-tokens":
      return `Bearer ${t}, Bearer ${t}`;
    case "no-signature":
      return `Bearer ${t.split(".").slice(0, 2).join(".")}.`;
    case "basic":
      return `Basic ${btoa("admin:admin")}`;
    case "huge":
      return `Bearer ${"A".repeat(100_000)}`;
    case "garbage-jwt":
      return `Bearer ${btoa('{"alg":"none"}')}.${btoa('{"role":"super_admin"}')}.`;
  }
}

// ---------------------------------------------------------------------------------------------
// Callers and fixtures

type Caller = "anonymous" | Role;

let passwordHash: Promise<string> | undefined;

/**
 * Signed-in users of one role, minted in one round trip (users, sessions, access tokens). Marked
 * active just now, so their first request does not also stamp the activity column.
 */
async function mintUsers(h: Harness, role: Role, n: number): Promise<TestUser[]> {
  passwordHash ??= hashPassword(DEFAULT_PASSWORD);
  const emails = Array.from({ length: n }, () => `fuzz-${crypto.randomUUID()}@example.in`);
  const rows = await adminQuery<{ id: string; email: string; ver: number; sid: string }>(
    `WITH u AS (
       INSERT INTO users (email, password_hash, full_name, role, status, email_verified_at,
                          last_active_at)
       SELECT e, $2, 'Fuzz Caller', $3, 'active', now(), now() FROM unnest($1::text[]) AS e
       RETURNING id, email, token_version
     ), s AS (
       INSERT INTO sessions (user_id, expires_at)
       SELECT id, now() + interval '1 day' FROM u RETURNING id, user_id
     )
     SELECT u.id, u.email, u.token_version AS ver, s.id AS sid FROM u JOIN s ON s.user_id = u.id`,
    [emails, await passwordHash, role],
    h.database,
  );
  return Promise.all(
    rows.map(async (row) => {
      const claims = { sub: row.id, role, sid: row.sid, ver: row.ver };
      const accessToken = await mintAccessToken(h.env, claims);
      return {
        id: row.id,
        email: row.email,
        password: DEFAULT_PASSWORD,
        role,
        sessionId: row.sid,
        accessToken,
        auth: { Authorization: `Bearer ${accessToken}` },
      };
    }),
  );
}

/**
 * The signed-in caller. Each identity serves a few requests (session and per-user limits stay
 * far away) and is replaced at once when a request ended its session (logout-all, password
 * change).
 */
class Actor {
  private spare: TestUser[] = [];
  private user: TestUser | undefined;
  private used = 0;
  private ended = false;

  constructor(
    private readonly h: Harness,
    readonly caller: Caller,
  ) {}

  async token(): Promise<string | undefined> {
    if (this.caller === "anonymous") return undefined;
    if (!this.user || this.ended || this.used >= ROTATE_EVERY) {
      if (this.spare.length === 0) this.spare = await mintUsers(this.h, this.caller, 16);
      this.user = this.spare.pop();
      this.used = 0;
      this.ended = false;
    }
    this.used++;
    return this.user?.accessToken;
  }

  /** Whether the current identity's session may have ended (then a 401 is expected). */
  get sessionMayHaveEnded() {
    return this.ended;
  }

  /** Notes a 2xx from an operation that ends the caller's session. */
  endedBy(opId: string, status: number) {
    if (status < 300 && SESSION_ENDING.has(opId)) this.ended = true;
  }
}

const SESSION_ENDING = new Set(["logoutAll", "changePassword"]);

const WORDS = ["monsoon", "chai", "kite", "banyan", "ludo", "tabla", "mango", "rickshaw", "diya"];
const passphrase = fc
  .tuple(
    fc.shuffledSubarray(WORDS, { minLength: 3, maxLength: 4 }),
    fc.integer({ min: 0, max: 9999 }),
  )
  .map(([words, n]) => `${words.join(" ")} ${n}`);
const freshEmail = fc
  .stringMatching(/^[a-z][a-z0-9]{2,15}$/)
  .map((local) => `${local}.${crypto.randomUUID().slice(0, 6)}@example.in`);

/**
 * Live data for valid requests to act on, inserted directly (one round trip): a victim account
 * (unverified, with sessions and refresh tokens, password-reset and verification tokens, and a
 * verified admin request), an applicant (a pending admin request and its token) and a candidate
 * (another verified request: one to approve, one to reject).
 */
async function createFixtures(h: Harness): Promise<Hints> {
  passwordHash ??= hashPassword(DEFAULT_PASSWORD);
  const victimEmail = `victim-${crypto.randomUUID()}@example.in`;
  const applicantEmail = `applicant-${crypto.randomUUID()}@example.in`;
  const candidateEmail = `candidate-${crypto.randomUUID()}@example.in`;
  const refreshTokens = Array.from({ length: 10 }, () => generateOpaqueToken());
  const oneTime = ["email_verification", "password_reset", "admin_request_verification"].flatMap(
    (purpose) => [0, 1].map(() => ({ purpose, token: generateOpaqueToken() })),
  );
  const tokensFor = (purpose: string) =>
    fc.constantFrom(...oneTime.filter((o) => o.purpose === purpose).map((o) => o.token));
  const [row] = await adminQuery<{
    victim: string;
    applicant: string;
    verified: string;
    verified2: string;
    pending: string;
  }>(
    `WITH v AS (
       INSERT INTO users (email, password_hash, full_name, role, status, email_verified_at)
       VALUES ($1, $3, 'Fuzz Victim', 'student', 'active', NULL),
              ($2, $3, 'Fuzz Applicant', 'student', 'active', now()),
              ($7, $3, 'Fuzz Candidate', 'student', 'active', now())
       RETURNING id, email
     ), victim AS (SELECT id FROM v WHERE email = $1),
     applicant AS (SELECT id FROM v WHERE email = $2),
     candidate AS (SELECT id FROM v WHERE email = $7),
     s AS (
       INSERT INTO sessions (user_id, expires_at)
       SELECT victim.id, now() + interval '1 day' FROM victim, unnest($4::text[])
       RETURNING id
     ), r AS (
       INSERT INTO refresh_tokens (session_id, user_id, token_hash, expires_at)
       SELECT s.id, victim.id, t.h, now() + interval '1 day'
       FROM victim,
            (SELECT id, row_number() OVER () AS n FROM s) AS s
            JOIN (SELECT h, row_number() OVER () AS n FROM unnest($4::text[]) AS h) AS t USING (n)
     ), verified AS (
       INSERT INTO admin_requests (user_id, phone, reason, status, verified_at)
       SELECT id, '+919876543210', 'Runs the Pune centre', 'verified', now() FROM victim
       RETURNING id
     ), verified2 AS (
       INSERT INTO admin_requests (user_id, phone, reason, status, verified_at)
       SELECT id, '+919876500000', 'Runs the Indore centre', 'verified', now() FROM candidate
       RETURNING id
     ), pending AS (
       INSERT INTO admin_requests (user_id, phone, reason)
       SELECT id, '+919812345678', 'Runs the Nagpur centre' FROM applicant
       RETURNING id
     ), o AS (
       INSERT INTO one_time_tokens (user_id, purpose, token_hash, subject_id, expires_at)
       SELECT CASE WHEN t.p = 'admin_request_verification' THEN applicant.id ELSE victim.id END,
              t.p, t.h,
              CASE WHEN t.p = 'admin_request_verification' THEN pending.id END,
              now() + interval '1 hour'
       FROM victim, applicant, pending, unnest($5::text[], $6::text[]) AS t(p, h)
     )
     SELECT victim.id AS victim, applicant.id AS applicant, verified.id AS verified,
            verified2.id AS verified2, pending.id AS pending
     FROM victim, applicant, verified, verified2, pending`,
    [
      victimEmail,
      applicantEmail,
      await passwordHash,
      await Promise.all(refreshTokens.map(hashToken)),
      oneTime.map((o) => o.purpose),
      await Promise.all(oneTime.map((o) => hashToken(o.token))),
      candidateEmail,
    ],
    h.database,
  );
  if (!row) throw new Error("fixture insert failed");
  const users = fc.constantFrom(row.victim, row.applicant);
  return {
    id: fc.constantFrom(row.victim, row.applicant, row.verified, row.pending),
    "getUser:id": users,
    "updateUserStatus:id": users,
    "approveAdminRequest:id": fc.constantFrom(row.verified, row.pending),
    "rejectAdminRequest:id": fc.constantFrom(row.verified2, row.pending),
    identity: fc.constantFrom(`ip:${h.ip}`, `user:${row.victim}`),
    refreshToken: fc.constantFrom(...refreshTokens),
    token: fc.constantFrom(...oneTime.map((o) => o.token), ...refreshTokens),
    "verifyEmail:token": tokensFor("email_verification"),
    "resetPassword:token": tokensFor("password_reset"),
    "verifyAdminRequest:token": tokensFor("admin_request_verification"),
    email: fc.oneof(fc.constant(victimEmail), freshEmail),
    "signup:email": freshEmail,
    // A new reset link voids the outstanding ones: keep the fixture's reset tokens alive.
    "forgotPassword:email": freshEmail,
    "login:email": fc.constant(victimEmail),
    "login:password": fc.constant(DEFAULT_PASSWORD),
    password: passphrase,
    newPassword: passphrase,
    currentPassword: fc.constant(DEFAULT_PASSWORD),
    phone: fc.integer({ min: 6_000_000_000, max: 9_999_999_999 }).map((n) => `+91${n}`),
    fullName: fc.constantFrom("Asha Rao", "Ravi Kumar", "Zoë Ångström", "अनन्या शर्मा"),
    reason: fc.constantFrom("I run the Pune centre and teach maths", "Centre head, Nagpur branch"),
  };
}

// ---------------------------------------------------------------------------------------------
// Sending and judging

interface Outcome {
  status: number;
  contentType: string;
  text: string;
}

let ipCounter = 0;
/** A client address of its own: limits keyed by address never pile up across requests. */
function freshIp(): string {
  const n = ++ipCounter;
  return n % 5 === 0
    ? `2001:db8:${(n >> 16).toString(16)}:${(n & 0xffff).toString(16)}::1`
    : `198.18.${(n >> 8) & 0xff}.${n & 0xff}`;
}

async function send(h: Harness, req: FuzzRequest, token: string | undefined): Promise<Outcome> {
  const headers = new Headers(req.headers);
  headers.set("CF-Connecting-IP", req.hotIp ? h.ip : freshIp());
  const auth = authorization(req.auth, token);
  if (auth !== undefined) headers.set("Authorization", auth);
  const canHaveBody = !["GET", "HEAD", "OPTIONS"].includes(req.method);
  const body = canHaveBody ? req.body : undefined;
  if (body?.contentType !== undefined) headers.set("Content-Type", body.contentType);
  const res = await h.fetch(`${req.path}${req.query}`, {
    method: req.method,
    headers,
    body: body?.payload,
  });
  return {
    status: res.status,
    contentType: res.headers.get("Content-Type") ?? "",
    text: await res.text(),
  };
}

/** The operation a method and path reach, matched the way the router matches (decoded path). */
function reachedOperation(ops: Operation[], method: string, path: string): Operation | undefined {
  let pathname = new URL(path, "http://api.test").pathname;
  try {
    pathname = decodeURI(pathname);
  } catch {
    // malformed escapes stay as they are, as the router leaves them
  }
  const segments = pathname.split("/");
  const params = (op: Operation) => (op.path.match(/\{/g) ?? []).length;
  return ops
    .filter((op) => op.method === method)
    .filter((op) => {
      const template = op.path.split("/");
      return (
        template.length === segments.length &&
        template.every((seg, i) => (seg.startsWith("{") ? segments[i] !== "" : seg === segments[i]))
      );
    })
    .sort((a, b) => params(a) - params(b))[0];
}

/** Sent as a credential a standard-conforming server may accept (RFC 9110: scheme and spaces). */
const CREDENTIAL: ReadonlySet<AuthMode> = new Set(["genuine", "lowercase-scheme", "double-space"]);

/** What is wrong with this answer, if anything. `may`: the operations the caller may use. */
function judge(
  ops: Operation[],
  may: ReadonlySet<string>,
  caller: Caller,
  req: FuzzRequest,
  out: Outcome,
  live: boolean,
): string | undefined {
  if (out.status >= 500) return `server fault ${out.status}`;
  if (out.status >= 400) {
    if (!out.contentType.startsWith("application/problem+json")) {
      return `${out.status} without problem+json (Content-Type: ${out.contentType || "none"})`;
    }
    let problem: { code?: unknown; status?: unknown; title?: unknown };
    try {
      problem = JSON.parse(out.text);
    } catch {
      return `${out.status} problem body is not JSON`;
    }
    const entry = errorCatalog[problem?.code as ErrorCode] as { status: number; title: string };
    if (!entry) return `${out.status} problem with unknown code ${String(problem?.code)}`;
    if (problem.status !== out.status) return `problem status ${problem.status} ≠ ${out.status}`;
    if (entry.status !== out.status) return `${problem.code} is ${entry.status}, got ${out.status}`;
    if (problem.title !== entry.title) return `problem title "${problem.title}" (${problem.code})`;
  }
  if (req.method === "OPTIONS") return undefined; // CORS preflight, answered before routing
  const reached = reachedOperation(ops, req.method, `${req.path}${req.query}`);
  if (out.status < 300) {
    if (!reached) return `${out.status} on a path that is no operation`;
    if (reached.secured && (caller === "anonymous" || !CREDENTIAL.has(req.auth))) {
      return `${out.status} without a valid token on a secured operation`;
    }
    if (!may.has(reached.id)) {
      return `${out.status}: ${caller} reached ${reached.id}, which the role may not use`;
    }
  }
  // A live identity's own token is never refused (logout-all or a password change end it).
  if (out.status === 401 && live && req.auth === "genuine" && reached?.secured) {
    return "401 for a live identity's genuine token";
  }
  return undefined;
}

const clip = (text: string, n = 300) =>
  text.length > n ? `${text.slice(0, n)}… (${text.length} chars)` : text;

function describeRequest(req: FuzzRequest): string {
  const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${clip(v, 80)}`);
  const body =
    req.body === undefined
      ? "(no body)"
      : `${req.body.contentType ?? "(no Content-Type)"} ${clip(
          typeof req.body.payload === "string"
            ? req.body.payload
            : new TextDecoder().decode(req.body.payload),
        )}`;
  return [
    `${req.method} ${clip(`${req.path}${req.query}`, 400)}`,
    `auth: ${req.auth}${req.hotIp ? ", shared client address" : ""}`,
    ...headers,
    body,
  ].join("\n    ");
}

/** A stable per-operation seed, so one operation's failure replays on its own. */
function seedFor(opId: string, caller: Caller): number {
  let hash = SEED;
  for (const ch of `${caller}:${opId}`) hash = (Math.imul(hash, 31) + ch.charCodeAt(0)) | 0;
  return hash;
}

// ---------------------------------------------------------------------------------------------

const CALLERS: Caller[] = ["anonymous", "student", "admin", "super_admin"];

/** Every hostile trait in one string: NUL, quotes, markup, an escape, emoji, RTL, a lone half. */
const KITCHEN_SINK = "\u0000'\"<b>%00🐉\u202E\uD800\\--;";

/** The value a field gets in the sweep, or undefined to leave it out. */
function sweepValue(gen: Gen, schema: JsonSchema): unknown {
  const s = resolve(gen, schema);
  if (s.enum || s.pattern || !typesOf(s).some((t) => t === "string" || t === "integer")) {
    return undefined;
  }
  if (typesOf(s).includes("integer")) return s.maximum;
  if (s.format === "date-time") return "0000-01-01T00:00:00Z";
  if (s.format) return undefined;
  const min = s.minLength ?? 0;
  return `${"x".repeat(Math.max(0, min - KITCHEN_SINK.length))}${KITCHEN_SINK}`.slice(
    0,
    s.maxLength ?? KITCHEN_SINK.length,
  );
}

/**
 * The sweep: the known-good request once per field, with just that field at its most hostile
 * (the kitchen-sink string, year 0000, the largest integer allowed): deterministic, so a field
 * that only breaks behind validation is found in every run, not by luck.
 */
function sweep(gen: Gen, op: Operation, base: FuzzRequest): FuzzRequest[] {
  const out: FuzzRequest[] = [];
  for (const p of op.params.filter((x) => x.in === "query")) {
    const value = sweepValue(gen, p.schema);
    if (value === undefined) continue;
    const others = base.query
      .replace(/^\?/, "")
      .split("&")
      .filter((pair) => pair && !pair.startsWith(`${p.name}=`));
    out.push({ ...base, query: `?${[...others, `${p.name}=${encode(value)}`].join("&")}` });
  }
  const body = base.body?.payload;
  if (op.body && typeof body === "string") {
    const valid = JSON.parse(body) as Record<string, unknown>;
    const schema = resolve(gen, op.body);
    // For a union, the variant the known-good body is (its keys are all that variant's).
    const variant =
      (schema.oneOf ?? schema.anyOf ?? [schema])
        .map((v) => resolve(gen, v))
        .find((v) => Object.keys(valid).every((k) => k in (v.properties ?? {}))) ?? schema;
    for (const [key, prop] of Object.entries(variant.properties ?? {})) {
      const value = sweepValue(gen, prop);
      if (value !== undefined) out.push({ ...base, body: json({ ...valid, [key]: value }) });
    }
  }
  return out;
}

/**
 * What each caller may use, asked of the app itself (as requireAuth and requireRole guard it,
 * whatever the policy of the day): each secured operation once per role, with a fresh identity
 * and input the validator refuses, so a permitted call answers 400 (or runs, if it takes no
 * input) and a refused one answers 403. Computed once per file; the fuzzing then checks that no
 * request shape (odd paths, escapes, methods, tokens) reaches further than this.
 */
let accessOnce: Promise<Map<Caller, Set<string>>> | undefined;

async function probeAccess(h: Harness, ops: Operation[]): Promise<Map<Caller, Set<string>>> {
  const access = new Map<Caller, Set<string>>();
  access.set("anonymous", new Set(ops.filter((op) => !op.secured).map((op) => op.id)));
  const secured = ops.filter((op) => op.secured);
  for (const role of CALLERS.filter((c): c is Role => c !== "anonymous")) {
    const users = await mintUsers(h, role, secured.length);
    const may = new Set(access.get("anonymous"));
    for (const [i, op] of secured.entries()) {
      const res = await h.fetch(op.path.replace(/\{\w+\}/g, "%20"), {
        method: op.method,
        headers: {
          Authorization: `Bearer ${users[i]?.accessToken}`,
          "CF-Connecting-IP": freshIp(),
          ...(op.body ? { "Content-Type": "application/json" } : {}),
        },
        body: op.body ? "{" : undefined,
      });
      expect(res.status, `${role} probing ${op.id}: ${await res.text()}`).not.toBe(401);
      if (res.status !== 403) may.add(op.id);
    }
    access.set(role, may);
  }
  return access;
}

/** Who sweeps an operation: the least privileged caller that may use it. */
const sweeper = (access: Map<Caller, Set<string>>, op: Operation) =>
  CALLERS.find((caller) => access.get(caller)?.has(op.id));

describe("fuzzing every operation in /openapi.json", () => {
  for (const caller of CALLERS) {
    it(
      `as ${caller}: no 5xx, every 4xx a problem, no role past its rights`,
      async (t) => {
        const started = Date.now();
        const h = await Harness.init(t);
        const res = await h.get<OpenApiDoc>("/openapi.json");
        expect(res.status).toBe(200);
        const doc = res.body;
        const ops = operations(doc);
        expect(ops.length).toBeGreaterThan(20);
        const limits = { maxBodyBytes: Number(h.env.MAX_BODY_BYTES ?? 1_048_576) };
        const gen: Gen = { doc, hints: await createFixtures(h) };
        accessOnce ??= probeAccess(h, ops);
        const access = await accessOnce;
        const may = access.get(caller) ?? new Set<string>();
        const actor = new Actor(h, caller);

        const failures: string[] = [];
        const statuses = new Map<number, number>();
        const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
        const pastLimiter = new Set<string>();
        const succeeded = new Set<string>();
        let total = 0;
        let expected = 0;
        for (const op of ops) {
          const seed = seedFor(op.id, caller);
          const arbs = requestArbs({ ...gen, op: op.id }, op, caller, limits);
          // First the sweep of the known-good request's fields (refused, so nothing is used up),
          // then the known-good request itself, then anything.
          const canonical = requestArbs({ ...gen, op: op.id, canonical: true }, op, caller, limits);
          const [known] = fc.sample(canonical.valid, { seed, numRuns: 1 }) as [FuzzRequest];
          const swept = sweeper(access, op) === caller ? sweep(gen, op, known) : [];
          const examples = [...swept, known].map((req) => [req] as [FuzzRequest]);
          expected += RUNS + swept.length;
          const details = await fc.check(
            fc.asyncProperty(arbs.any, async (req) => {
              const token = await actor.token();
              const live = !actor.sessionMayHaveEnded;
              const out = await send(h, req, token);
              total++;
              count(out.status);
              if (out.status !== 429) pastLimiter.add(op.id);
              if (out.status < 300 && req.method === op.method) succeeded.add(op.id);
              actor.endedBy(op.id, out.status);
              const wrong = judge(ops, may, caller, req, out, live);
              if (wrong) {
                throw new Error(
                  `${wrong}\n    ${describeRequest(req)}\n  → ${out.status} ${clip(out.text, 600)}`,
                );
              }
            }),
            // No shrinking: requests change state and can be huge; the seed replays the run.
            { seed, numRuns: RUNS + swept.length, examples, endOnFailure: true },
          );
          if (details.failed) {
            const error = details.errorInstance;
            const message = error instanceof Error ? error.message : String(error);
            failures.push(`${op.id} (${op.method} ${op.path}, seed ${seed}): ${message}`);
          }
        }
        const histogram = Object.fromEntries([...statuses].sort(([a], [b]) => a - b));
        const usable = ops.filter((op) => may.has(op.id)).map((op) => op.id);
        const neverSucceeded = usable.filter((id) => !succeeded.has(id));
        console.log(
          `fuzz as ${caller}: ${total} requests in ${Date.now() - started} ms, ` +
            `statuses ${JSON.stringify(histogram)}, ` +
            `no 2xx for ${neverSucceeded.length}/${usable.length} usable operations: ${neverSucceeded.join(", ")}`,
        );

        expect(failures, failures.join("\n\n")).toEqual([]);
        expect(total).toBe(expected);
        // The limiter may answer, but never instead of the app: every operation was reached past
        // it, and most requests were.
        expect(ops.map((op) => op.id).filter((id) => !pastLimiter.has(id))).toEqual([]);
        expect(statuses.get(429) ?? 0).toBeLessThan(total * 0.2);
        // No mere validation-error machine: nearly every operation the role may use answered
        // 2xx (an admin asking to become one gets 409, whatever it sends).
        expect(neverSucceeded.length).toBeLessThanOrEqual(Math.ceil(usable.length / 10));
      },
      TIMEOUT_MS,
    );
  }

  // Found by this fuzzer, replayed exactly so they stay fixed whatever the seed.
  it("regressions: date-time filters outside what Postgres stores → 400, not 500", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin("super_admin");
    // Year 0000 passes the ISO format; an offset moves year 1 into year 0 or 9999 into 10000;
    // a `to` in year 1 puts the stats' default `from` (a day earlier) into year 0.
    for (const query of [
      "/v1/admin/error-logs/stats?to=0000-01-01T00%3A00%3A00Z",
      "/v1/admin/error-logs/stats?to=0001-01-01T00%3A00%3A00Z",
      "/v1/admin/error-logs/stats?from=9999-12-31T23%3A59%3A59-23%3A59",
      "/v1/admin/error-logs?from=0001-01-01T00%3A00%3A00%2B05%3A30",
      "/v1/admin/audit-logs?to=0000-01-01T00%3A00%3A00Z&page=1",
      "/v1/admin/rate-limits/top?since=9999-12-31T23%3A59%3A59-23%3A59",
    ]) {
      const res = await h.get<{ code: string }>(query, { headers: admin.auth });
      expect(res.status, `${query}: ${res.text}`).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
    }
    // The edges themselves are fine.
    const edges = "from=1970-01-01T00%3A00%3A00Z&to=9999-12-31T23%3A59%3A59Z";
    for (const query of [`/v1/admin/error-logs/stats?${edges}`, `/v1/admin/audit-logs?${edges}`]) {
      const res = await h.get(query, { headers: admin.auth });
      expect(res.status, `${query}: ${res.text}`).toBe(200);
    }
  });

  it("regressions: a NUL character in text or a text filter → 400, not 500", async (t) => {
    const h = await Harness.init(t);
    const [student, admin, superAdmin] = await Promise.all([
      h.asStudent(),
      h.asAdmin(),
      h.asAdmin("super_admin"),
    ]);
    // Postgres text cannot hold U+0000: stored or compared, the query failed.
    const nul = "a\u0000b";
    const cases: [string, string, unknown, Record<string, string>][] = [
      [
        "POST",
        "/v1/auth/signup",
        { email: "nul@example.in", password: "monsoon chai kite 42", fullName: nul },
        {},
      ],
      ["PATCH", "/v1/me", { fullName: nul }, student.auth],
      [
        "POST",
        "/v1/admin-requests",
        { phone: "+919876543210", reason: `${nul} runs a centre` },
        student.auth,
      ],
      [
        "POST",
        `/v1/admin/admin-requests/${crypto.randomUUID()}/reject`,
        { reason: nul },
        superAdmin.auth,
      ],
      ["GET", "/v1/admin/users?q=a%00b", undefined, admin.auth],
      ["GET", "/v1/admin/audit-logs?action=%00", undefined, admin.auth],
      ["GET", "/v1/admin/audit-logs?entityType=%00", undefined, admin.auth],
      ["GET", "/v1/admin/audit-logs?entityId=%00", undefined, admin.auth],
      ["GET", "/v1/admin/error-logs?code=a%00b", undefined, admin.auth],
    ];
    for (const [method, path, body, headers] of cases) {
      const res = await h.request<{ code: string }>(method, path, body, { headers });
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
    }
    // Other unusual text is stored as sent.
    const name = "अनन्या 🐉 \u202Eشرما";
    const res = await h.patch<unknown, { fullName: string }>(
      "/v1/me",
      { fullName: name },
      {
        headers: student.auth,
      },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.fullName).toBe(name);
  });
});
