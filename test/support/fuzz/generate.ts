/**
 * Request generation for the schema-driven fuzzer: the OpenAPI document walked into operations,
 * JSON Schemas turned into fast-check arbitraries (valid, boundary and hostile values), path,
 * query, header and body arbitraries, whole request shapes, the sweep, and the request a
 * generated shape becomes on the wire.
 *
 * Pure: fast-check and web-platform globals only (no `cloudflare:*`, no harness, no database),
 * so the same generator drives test/app/fuzz.test.ts inside workerd and scripts/fuzz.ts in Node
 * against a running server.
 */
import fc from "fast-check";

// ---------------------------------------------------------------------------------------------
// The document

export interface JsonSchema {
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

export interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema: JsonSchema;
}

export interface OpenApiOperation {
  operationId: string;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, unknown>;
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema> };
}

export interface Operation {
  id: string;
  method: string;
  path: string;
  secured: boolean;
  params: Parameter[];
  body?: JsonSchema;
  /** The body is a multipart/form-data upload (one `file` field), not JSON. */
  multipart: boolean;
  /** Redirects the operation documents as its answer (e.g. 303 from the payment return). */
  redirects: number[];
}

export function operations(doc: OpenApiDoc): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      id: op.operationId,
      method: method.toUpperCase(),
      path,
      secured: (op.security ?? []).some((s) => "bearerAuth" in s),
      params: op.parameters ?? [],
      body: op.requestBody?.content["application/json"]?.schema,
      multipart: op.requestBody?.content["multipart/form-data"] !== undefined,
      redirects: Object.keys(op.responses)
        .filter((status) => /^3\d\d$/.test(status))
        .map(Number),
    })),
  );
}

// ---------------------------------------------------------------------------------------------
// Values from JSON Schemas

/**
 * Known-good values by field name (`name`, or `operationId:name` for one operation), so valid
 * requests also reach the handlers' happy paths: live tokens, existing ids, real phone numbers.
 */
export type Hints = Record<string, fc.Arbitrary<unknown>>;

export interface Gen {
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

export type AuthMode =
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

export interface FuzzRequest {
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

export interface Limits {
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

const BOUNDARY = "fuzz-boundary-7MA4YWxkTrZu0gW";
/** The smallest PNG there is: a valid upload for multipart operations. */
const PNG_1X1 = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

/** A multipart/form-data body with one `file` part holding `bytes`. */
function multipart(name: string, bytes: Uint8Array): NonNullable<FuzzRequest["body"]> {
  const enc = new TextEncoder();
  const head = enc.encode(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
      "Content-Type: application/octet-stream\r\n\r\n",
  );
  const tail = enc.encode(`\r\n--${BOUNDARY}--\r\n`);
  const payload = new Uint8Array(head.length + bytes.length + tail.length);
  payload.set(head, 0);
  payload.set(bytes, head.length);
  payload.set(tail, head.length + bytes.length);
  return { contentType: `multipart/form-data; boundary=${BOUNDARY}`, payload };
}

function bodyArb(
  gen: Gen,
  op: Operation,
  mode: "valid" | "mixed",
  limits: Limits,
): fc.Arbitrary<FuzzRequest["body"]> {
  if (op.multipart) {
    const valid = fc
      .constantFrom("photo.png", "..\\..\\x.png", "स्क्रीन.png")
      .map((n) => multipart(n, PNG_1X1));
    if (mode === "valid") return valid;
    return weighted<FuzzRequest["body"]>(
      [4, valid],
      // Content that is not an allowed type, whatever the name says.
      [2, fc.constant(multipart("page.png", new TextEncoder().encode("<html><script>x</script>")))],
      [1, fc.constant(multipart("empty.png", new Uint8Array()))],
      [1, fc.uint8Array({ maxLength: 256 }).map((b) => multipart("x.bin", b))],
      [1, fc.constant(undefined)],
      [1, fc.constant({ contentType: "application/json", payload: "{}" })],
    );
  }
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
export function requestArbs(gen: Gen, op: Operation, caller: Caller, limits: Limits) {
  const anonymous = caller === "anonymous";
  // Header parameters the operation requires (Idempotency-Key), as a client sends them.
  const required = op.params.filter((p) => p.in === "header" && p.required);
  const validHeaders = fc
    .tuple(
      headersArb("valid"),
      fc.record(Object.fromEntries(required.map((p) => [p.name, headerValue(gen, op, p)]))),
    )
    .map(([a, b]) => ({ ...a, ...(b as Record<string, string>) }));
  const parts = {
    method: fc.constant(op.method),
    path: pathArb(gen, op, "valid"),
    query: queryArb(gen, op, "valid"),
    headers: validHeaders,
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

function headerValue(gen: Gen, op: Operation, p: Parameter): fc.Arbitrary<string> {
  const hint = gen.hints[`${op.id}:${p.name}`] ?? gen.hints[p.name];
  if (hint) return hint.map(String);
  if (p.name.toLowerCase() === "idempotency-key") return fc.uuid();
  return validValue(gen, p.schema).map(String);
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
// Callers

export type FuzzRole = "student" | "admin" | "super_admin";
export type Caller = "anonymous" | FuzzRole;

export const CALLERS: Caller[] = ["anonymous", "student", "admin", "super_admin"];

/** Operations whose success ends the caller's session (its token stops working). */
export const SESSION_ENDING: ReadonlySet<string> = new Set(["logoutAll", "changePassword"]);

/** A stable per-operation seed, so one operation's failure replays on its own. */
export function seedFor(seed: number, opId: string, caller: Caller): number {
  let hash = seed;
  for (const ch of `${caller}:${opId}`) hash = (Math.imul(hash, 31) + ch.charCodeAt(0)) | 0;
  return hash;
}

/** Who sweeps an operation: the least privileged caller that may use it. */
export const sweeper = (access: ReadonlyMap<Caller, ReadonlySet<string>>, op: Operation) =>
  CALLERS.find((caller) => access.get(caller)?.has(op.id));

// ---------------------------------------------------------------------------------------------
// Hint values shared by every runner

const WORDS = ["monsoon", "chai", "kite", "banyan", "ludo", "tabla", "mango", "rickshaw", "diya"];
/** A password the app accepts (not a common one, long enough). */
export const passphrase = fc
  .tuple(
    fc.shuffledSubarray(WORDS, { minLength: 3, maxLength: 4 }),
    fc.integer({ min: 0, max: 9999 }),
  )
  .map(([words, n]) => `${words.join(" ")} ${n}`);
/** An address nobody has signed up with yet. */
export const freshEmail = fc
  .stringMatching(/^[a-z][a-z0-9]{2,15}$/)
  .map((local) => `${local}.${crypto.randomUUID().slice(0, 6)}@example.in`);
/** Valid values for profile and admin-request fields. */
export const profileHints: Hints = {
  phone: fc.integer({ min: 6_000_000_000, max: 9_999_999_999 }).map((n) => `+91${n}`),
  fullName: fc.constantFrom("Asha Rao", "Ravi Kumar", "Zoë Ångström", "अनन्या शर्मा"),
  reason: fc.constantFrom("I run the Pune centre and teach maths", "Centre head, Nagpur branch"),
};

const DAY_MS = 86_400_000;
/** Evaluated when sampled (a Worker's global scope has no clock): `days` from now. */
const fromNow = (days: number, as: "date" | "instant") =>
  fc.constant(days).map((d) => {
    const iso = new Date(Date.now() + d * DAY_MS).toISOString();
    return as === "date" ? iso.slice(0, 10) : iso;
  });
/** A course slug nobody has taken. */
export const freshSlug = fc
  .stringMatching(/^[a-z]{3,12}$/)
  .map((word) => `${word}-${crypto.randomUUID().slice(0, 8)}`);
/**
 * Valid values for catalogue fields: fresh slugs for new courses, real categories and
 * languages, and batch dates in order with each other and with the fixtures' batches (start in
 * a week, end in three months, enrolment open since yesterday until the day before the start).
 */
export const catalogueHints: Hints = {
  "createCourse:slug": freshSlug,
  "updateCourse:slug": freshSlug,
  category: fc.constantFrom("jee", "neet", "upsc", "class-10"),
  language: fc.constantFrom("en", "hi", "ta"),
  title: fc.constantFrom("JEE Physics: Mechanics", "NEET Biology", "यूपीएससी इतिहास"),
  summary: fc.constantFrom("Twelve weeks of live classes", "Weekend revision with tests"),
  name: fc.constantFrom("Morning batch", "Weekend batch"),
  timezone: fc.constantFrom("Asia/Kolkata", "Asia/Dubai"),
  startDate: fromNow(7, "date"),
  endDate: fromNow(90, "date"),
  enrolmentOpensAt: fromNow(-1, "instant"),
  enrolmentClosesAt: fromNow(6, "instant"),
};

/**
 * Valid values for sessions' fields: classes a few days ahead, of ordinary length; schedule
 * windows inside the 180 days allowed.
 */
export const sessionHints: Hints = {
  startsAt: fromNow(3, "instant"),
  durationMinutes: fc.integer({ min: 30, max: 180 }),
  "getMySchedule:from": fromNow(-1, "instant"),
  "getMySchedule:to": fromNow(30, "instant"),
};

// ---------------------------------------------------------------------------------------------
// The sweep

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
export function sweep(gen: Gen, op: Operation, base: FuzzRequest): FuzzRequest[] {
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

// ---------------------------------------------------------------------------------------------
// On the wire

/** A request as fetch takes it; `target` is the path and query, resolved against the server. */
export interface WireRequest {
  target: string;
  method: string;
  headers: Headers;
  body: string | Uint8Array | undefined;
}

/**
 * The request a generated shape becomes: `token` is the caller's access token (mangled as the
 * shape's auth mode says), `clientIp` the address sent as `CF-Connecting-IP`. GET, HEAD and
 * OPTIONS carry no body.
 */
export function toWire(req: FuzzRequest, token: string | undefined, clientIp: string): WireRequest {
  const headers = new Headers(req.headers);
  headers.set("CF-Connecting-IP", clientIp);
  const auth = authorization(req.auth, token);
  if (auth !== undefined) headers.set("Authorization", auth);
  const canHaveBody = !["GET", "HEAD", "OPTIONS"].includes(req.method);
  const body = canHaveBody ? req.body : undefined;
  if (body?.contentType !== undefined) headers.set("Content-Type", body.contentType);
  return { target: `${req.path}${req.query}`, method: req.method, headers, body: body?.payload };
}

/**
 * The access probe for one secured operation: a genuine token and input the validator refuses,
 * so a permitted call answers 400 (or runs, if it takes no input) and a refused one 403.
 */
export function accessProbe(op: Operation, token: string, clientIp: string): WireRequest {
  const headers = new Headers({
    Authorization: `Bearer ${token}`,
    "CF-Connecting-IP": clientIp,
    ...(op.body ? { "Content-Type": "application/json" } : {}),
  });
  return {
    target: op.path.replace(/\{\w+\}/g, "%20"),
    method: op.method,
    headers,
    body: op.body ? "{" : undefined,
  };
}
