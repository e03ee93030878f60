/**
 * `npm run fuzz -- [URL] [--i-mean-it]`: the schema-driven fuzzer of test/app/fuzz.test.ts,
 * run over HTTP against a running server (default http://127.0.0.1:8787, the `npm run dev`
 * stack). The requests come from the same generator (test/support/fuzz/generate.ts) and are
 * judged by the same rules (test/support/fuzz/judge.ts): never a 5xx, every 4xx a problem+json
 * body whose `code`, `status` and `title` agree with the error catalog, and no request shape
 * takes a caller past what its role may use (probed from the server first).
 *
 * Callers get their identities the way a client would: a student signs up (a fresh one every
 * few requests, and again when one's password changed), the seeded demo accounts admin@demo.in
 * and superadmin@demo.in log in (a role whose login fails is fuzzed anonymously, and the summary
 * says so), and a caller whose session ended (logout-all, a password change) logs in again.
 * Every request carries a fresh `CF-Connecting-IP` from 100.64.0.0/10 (carrier-grade NAT space,
 * never a real public address; only ever a header value), so per-address limits do not hide
 * answers; the generator's "shared client address" requests share one address of the run. A
 * 429 from a signed-in caller's own per-user `api` budget pauses that caller for Retry-After
 * and sends the request again; every 429 is counted.
 *
 * Requests go to URL's origin only, and to a loopback one unless `--i-mean-it` is given. The
 * demo accounts' passwords are never sent where they could change (no current-password hint
 * for them); their profile name and phone, which the fuzzer's PATCH /v1/me may change, are put
 * back at the end.
 *
 * Env: FUZZ_REQUESTS (generated requests, default 3000, spread over every operation and caller:
 * each one's known-good request first, the sweep, then generated ones), FUZZ_SEED (default
 * random; printed, replays the same request shapes), FUZZ_SECONDS (stop sending after this,
 * default 300), FUZZ_CONCURRENCY (requests in flight, default 8).
 *
 * Exits 1 if any request failed (or nothing answers at URL), 0 otherwise.
 */
import { randomInt, randomUUID } from "node:crypto";
import fc from "fast-check";
import {
  accessProbe,
  CALLERS,
  type Caller,
  catalogueHints,
  type FuzzRequest,
  type FuzzRole,
  freshEmail,
  type Gen,
  type Hints,
  type OpenApiDoc,
  type Operation,
  operations,
  passphrase,
  profileHints,
  requestArbs,
  SESSION_ENDING,
  seedFor,
  sweep,
  sweeper,
  toWire,
  type WireRequest,
} from "../test/support/fuzz/generate.ts";
import {
  clip,
  describeRequest,
  judge,
  type Outcome,
  reachedOperation,
} from "../test/support/fuzz/judge.ts";
import { DEMO_PASSWORD } from "./lib/seed.ts";

// ---------------------------------------------------------------------------------------------
// Arguments and knobs

const USAGE = "usage: npm run fuzz -- [URL] [--i-mean-it]   (default URL http://127.0.0.1:8787)";
const DEFAULT_URL = "http://127.0.0.1:8787";

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function knob(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) fail(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}
const unknownFlags = args.filter((a) => a.startsWith("-") && a !== "--i-mean-it");
if (unknownFlags.length > 0) fail(`unknown option ${unknownFlags.join(" ")}\n${USAGE}`);
const positional = args.filter((a) => !a.startsWith("-"));
if (positional.length > 1) fail(`one URL at most\n${USAGE}`);
const target = (() => {
  try {
    return new URL(positional[0] ?? DEFAULT_URL);
  } catch {
    return fail(`not a URL: ${positional[0]}\n${USAGE}`);
  }
})();
if (target.protocol !== "http:" && target.protocol !== "https:") {
  fail(`only http(s) URLs, got ${target.protocol}`);
}
const loopbackHost = (host: string) => {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
};
if (!loopbackHost(target.hostname) && !args.includes("--i-mean-it")) {
  fail(
    `refusing to fuzz ${target.origin}: not a loopback address. The fuzzer sends thousands of ` +
      "hostile requests and signs up accounts; pass --i-mean-it if this server is yours to break.",
  );
}
/** Every request goes here: the origin only (the API's routes start at /). */
const ORIGIN = target.origin;

const REQUESTS = knob("FUZZ_REQUESTS", 3000);
const SEED = (() => {
  const raw = process.env.FUZZ_SEED;
  if (raw === undefined || raw.trim() === "") return randomInt(1, 2 ** 31 - 1);
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) fail(`FUZZ_SEED must be an integer, got "${raw}"`);
  return n;
})();
const SECONDS = knob("FUZZ_SECONDS", 300);
const CONCURRENCY = knob("FUZZ_CONCURRENCY", 8);
/** A student identity is replaced after this many requests (per-user limits stay far away). */
const ROTATE_STUDENT_EVERY = 25;
const REQUEST_TIMEOUT_MS = 30_000;
/** A per-user 429 pauses its caller and is sent again if Retry-After is at most this. */
const MAX_RETRY_AFTER_S = 30;
const MAX_RESENDS = 3;
/** wrangler.toml's MAX_BODY_BYTES: the generator's body-size edges sit around it. */
const LIMITS = { maxBodyBytes: 1_048_576 };
const DEMO_ACCOUNTS: Record<Exclude<FuzzRole, "student">, string> = {
  admin: "admin@demo.in",
  super_admin: "superadmin@demo.in",
};
/** Every account this run signs up has this password (changePassword may change one's). */
const RUN_PASSWORD = `fuzz kite monsoon ${randomUUID().slice(0, 8)}`;

// ---------------------------------------------------------------------------------------------
// Client addresses: 100.64.0.0/10, from a random offset so runs do not share limiter state

const CGNAT_SIZE = 1 << 22;
const ipBase = randomInt(CGNAT_SIZE);
let ipCounter = 0;
const cgnat = (n: number) => {
  const i = n % CGNAT_SIZE;
  return `100.${64 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`;
};
const HOT_IP = cgnat(ipBase);
const freshIp = () => cgnat(ipBase + ++ipCounter);

// ---------------------------------------------------------------------------------------------
// HTTP

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** The URL a target becomes: resolved as the test harness resolves it, on ORIGIN only. */
function onServer(path: string): string {
  const u = new URL(path, "http://api.test");
  return `${ORIGIN}${u.pathname}${u.search}`;
}

class NoAnswer extends Error {}

interface Answer extends Outcome {
  headers: Headers;
}

async function exchange(wire: WireRequest): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(onServer(wire.target), {
      method: wire.method,
      headers: wire.headers,
      body: wire.body,
      redirect: "manual",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
    const why = [error instanceof Error ? error.message : String(error), cause?.message]
      .filter(Boolean)
      .join(": ");
    throw new NoAnswer(why);
  }
  return {
    status: res.status,
    contentType: res.headers.get("Content-Type") ?? "",
    text: await res.text(),
    headers: res.headers,
  };
}

/**
 * An answer the dev server's front gave instead of the app's, which the test (calling the Worker
 * directly) never meets: counted and shown, not judged.
 * - Miniflare's entry worker, doing what Cloudflare's edge does, replaces a compressible
 *   response with a plain-text 415 (and `Accept-Encoding: br, gzip`) when the request's
 *   Accept-Encoding refuses identity and offers neither gzip nor br.
 * - workerd's HTTP server answers a request line over its limit (about 64 KiB) with a
 *   plain-text 414 before any Worker runs (Cloudflare's edge, for its part, stops at 16 KiB).
 */
function platformAnswer(wire: WireRequest, out: Answer): string | undefined {
  const plain = out.contentType.startsWith("text/plain");
  const refusesIdentity = /(^|,)\s*(\*|identity)\s*;\s*q=0(\.0*)?\s*(,|$)/i.test(
    wire.headers.get("Accept-Encoding") ?? "",
  );
  if (
    out.status === 415 &&
    plain &&
    refusesIdentity &&
    out.headers.has("Accept-Encoding") &&
    out.text === "Unsupported Media Type"
  ) {
    return "415 from Miniflare's edge emulation: Accept-Encoding refuses identity";
  }
  if (out.status === 414 && plain && out.text === "URI too long" && wire.target.length > 16_384) {
    return "414 from workerd's HTTP server: request line too long";
  }
  return undefined;
}

interface Json {
  status: number;
  body: unknown;
  text: string;
}

/** A plain JSON call, as a client makes one (for identities and fixtures, not fuzzing). */
async function call(method: string, path: string, body?: unknown, token?: string): Promise<Json> {
  const headers = new Headers({ "CF-Connecting-IP": freshIp() });
  if (token) headers.set("Authorization", `Bearer ${token}`);
  if (body !== undefined) headers.set("Content-Type", "application/json");
  for (let attempt = 0; ; attempt++) {
    const out = await exchange({
      target: path,
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const retryAfter = perUserRetryAfter(out);
    if (retryAfter !== undefined && attempt < MAX_RESENDS) {
      await sleep(retryAfter * 1000);
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(out.text);
    } catch {
      parsed = undefined;
    }
    return { status: out.status, body: parsed, text: out.text };
  }
}

/** Seconds to wait when a 429 is the caller's own per-user `api` budget, short enough to wait. */
function perUserRetryAfter(out: Outcome): number | undefined {
  if (out.status !== 429) return undefined;
  try {
    const problem = JSON.parse(out.text) as { policies?: unknown; retryAfterSeconds?: unknown };
    const policies = Array.isArray(problem.policies) ? problem.policies : [];
    const seconds = Number(problem.retryAfterSeconds);
    if (!policies.includes("api") || !Number.isFinite(seconds)) return undefined;
    return seconds <= MAX_RETRY_AFTER_S ? Math.max(1, seconds) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Identities

interface Identity {
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

const isTokenPair = (v: unknown): v is TokenPair =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as TokenPair).accessToken === "string" &&
  typeof (v as TokenPair).refreshToken === "string";

const failureOf = (what: string, r: Json) => `${what}: ${r.status} ${clip(r.text, 200)}`;

/** Signs up a fresh student with RUN_PASSWORD. */
async function signUp(label = "student"): Promise<Identity & { id: string }> {
  const email = `fuzz-${label}-${randomUUID().slice(0, 12)}@example.in`;
  const r = await call("POST", "/v1/auth/signup", {
    email,
    password: RUN_PASSWORD,
    fullName: `Fuzz ${label}`,
  });
  const body = r.body as { user?: { id?: unknown }; tokens?: unknown } | undefined;
  if (r.status !== 201 || !isTokenPair(body?.tokens) || typeof body?.user?.id !== "string") {
    throw new Error(failureOf(`sign-up of ${email}`, r));
  }
  return { id: body.user.id, email, password: RUN_PASSWORD, ...body.tokens };
}

/** Logs in; the failure's reason instead when it does not work. */
async function logIn(email: string, password: string): Promise<Identity | string> {
  const r = await call("POST", "/v1/auth/login", { email, password });
  if (r.status !== 200 || !isTokenPair(r.body)) return failureOf(`login of ${email}`, r);
  return { email, password, ...r.body };
}

const notes: string[] = [];

/**
 * A signed-in caller. A student is replaced every few requests and when its session ended; an
 * admin logs in again when its session ended. A role that cannot sign in is fuzzed anonymously.
 */
class Actor {
  private current: Identity | undefined;
  private used = 0;
  private ended = false;
  private renewing: Promise<void> | undefined;
  signUps = 0;
  logIns = 0;
  /** Who the requests go out as: the caller, or anonymous once it cannot sign in. */
  effective: Caller;

  constructor(readonly caller: Caller) {
    this.effective = caller;
  }

  private needsRenewal(): boolean {
    if (this.effective === "anonymous") return false;
    if (!this.current || this.ended) return true;
    return this.caller === "student" && this.used >= ROTATE_STUDENT_EVERY;
  }

  async token(): Promise<string | undefined> {
    while (this.needsRenewal()) {
      this.renewing ??= this.renew().finally(() => {
        this.renewing = undefined;
      });
      await this.renewing;
    }
    if (this.effective === "anonymous") return undefined;
    this.used++;
    return this.current?.accessToken;
  }

  private degrade(reason: string) {
    this.effective = "anonymous";
    this.current = undefined;
    notes.push(`${this.caller} fuzzed anonymously from here on: ${reason}`);
  }

  private async renew(): Promise<void> {
    const previous = this.current;
    const ended = this.ended;
    this.used = 0;
    this.ended = false;
    if (this.caller === "student") {
      // Logged out everywhere: log in again; a changed password: a new student.
      if (previous && ended) {
        const again = await logIn(previous.email, previous.password);
        this.logIns++;
        if (typeof again !== "string") {
          this.current = again;
          return;
        }
      }
      try {
        this.current = await signUp();
        this.signUps++;
      } catch (error) {
        this.degrade(error instanceof Error ? error.message : String(error));
      }
      return;
    }
    const email = DEMO_ACCOUNTS[this.caller as Exclude<FuzzRole, "student">];
    const identity = await logIn(email, DEMO_PASSWORD);
    this.logIns++;
    if (typeof identity === "string") this.degrade(identity);
    else this.current = identity;
  }

  /** After each answer: did it end the session the token belongs to? */
  observe(op: Operation, req: FuzzRequest, token: string | undefined, out: Outcome) {
    if (!token || token !== this.current?.accessToken) return; // another identity's answer
    if (out.status < 300 && SESSION_ENDING.has(op.id)) this.ended = true;
    const reached = reachedOperation(operationsList, req.method, `${req.path}${req.query}`);
    if (out.status === 401 && req.auth === "genuine" && reached?.secured) this.ended = true;
  }
}

// ---------------------------------------------------------------------------------------------
// Access, fixtures and restoring the demo accounts

let operationsList: Operation[] = [];

/**
 * What each caller may use, asked of the server as the test asks the app: each secured
 * operation once per role with input the validator refuses (403 = not allowed). The probes
 * that end a session go last, before the callers sign in.
 */
async function probeAccess(ops: Operation[]): Promise<Map<Caller, Set<string>>> {
  const access = new Map<Caller, Set<string>>();
  const anonymous = new Set(ops.filter((op) => !op.secured).map((op) => op.id));
  access.set("anonymous", anonymous);
  const secured = ops
    .filter((op) => op.secured)
    .sort((a, b) => Number(SESSION_ENDING.has(a.id)) - Number(SESSION_ENDING.has(b.id)));
  const roles = CALLERS.filter((c): c is FuzzRole => c !== "anonymous");
  const probed = await Promise.all(
    roles.map(async (role): Promise<Set<string>> => {
      let identity: Identity | string;
      try {
        identity =
          role === "student"
            ? await signUp("probe")
            : await logIn(DEMO_ACCOUNTS[role], DEMO_PASSWORD);
      } catch (error) {
        identity = error instanceof Error ? error.message : String(error);
      }
      if (typeof identity === "string") {
        notes.push(
          `access probe could not sign in as ${role} (${identity}): may what anonymous may`,
        );
        return new Set(anonymous);
      }
      const may = new Set(anonymous);
      for (const op of secured) {
        const out = await exchange(accessProbe(op, identity.accessToken, freshIp()));
        if (out.status === 401 || out.status === 429) {
          notes.push(`access probe: ${role} got ${out.status} on ${op.id}; counted as allowed`);
        }
        if (out.status !== 403) may.add(op.id);
      }
      return may;
    }),
  );
  for (const [i, role] of roles.entries()) access.set(role, probed[i] ?? new Set(anonymous));
  return access;
}

/**
 * Live data for valid requests to act on, made over HTTP (this run's own accounts only): a
 * victim (unverified, with ten sessions' refresh tokens) and an applicant (with an admin request
 * if the server takes one from an unverified account).
 */
async function createFixtures(): Promise<Hints> {
  const [victim, applicant] = await Promise.all([signUp("victim"), signUp("applicant")]);
  const logins = await Promise.all(
    Array.from({ length: 9 }, () => logIn(victim.email, victim.password)),
  );
  const refreshTokens = [
    victim.refreshToken,
    ...logins.flatMap((l) => (typeof l === "string" ? [] : [l.refreshToken])),
  ];
  const submitted = await call(
    "POST",
    "/v1/admin-requests",
    { phone: "+919812345678", reason: "Runs the Nagpur centre (fuzz fixture)" },
    applicant.accessToken,
  );
  const requestId = (submitted.body as { id?: unknown } | undefined)?.id;
  const requests = typeof requestId === "string" ? [requestId] : [];
  if (requests.length === 0) {
    notes.push(
      `fixture: no admin request to approve or reject (${failureOf("submit", submitted)})`,
    );
  }
  const users = fc.constantFrom(victim.id, applicant.id);
  const ownRequests = requests.length > 0 ? fc.constantFrom(...requests) : undefined;
  return {
    id: fc.constantFrom(victim.id, applicant.id, ...requests),
    "getUser:id": users,
    "updateUserStatus:id": users,
    ...(ownRequests
      ? { "approveAdminRequest:id": ownRequests, "rejectAdminRequest:id": ownRequests }
      : {}),
    identity: fc.constantFrom(`ip:${HOT_IP}`, `user:${victim.id}`),
    refreshToken: fc.constantFrom(...refreshTokens),
    token: fc.constantFrom(...refreshTokens),
    email: fc.oneof(fc.constant(victim.email), freshEmail),
    "signup:email": freshEmail,
    "forgotPassword:email": freshEmail,
    "login:email": fc.constant(victim.email),
    "login:password": fc.constant(victim.password),
    password: passphrase,
    newPassword: passphrase,
    ...profileHints,
    ...catalogueHints,
  };
}

/**
 * The hints a caller's requests use. Only students (this run's own accounts) know their current
 * password: a demo account's password is never sent where it could be changed.
 */
const hintsFor = (hints: Hints, caller: Caller): Hints =>
  caller === "student" ? { ...hints, currentPassword: fc.constant(RUN_PASSWORD) } : hints;

interface Profile {
  fullName: string;
  phone: string | null;
}

async function demoProfile(actor: Actor): Promise<Profile | undefined> {
  const token = await actor.token();
  if (!token || actor.effective === "anonymous") return undefined;
  const me = await call("GET", "/v1/me", undefined, token);
  const body = me.body as Partial<Profile> | undefined;
  if (me.status !== 200 || typeof body?.fullName !== "string") return undefined;
  return { fullName: body.fullName, phone: body.phone ?? null };
}

/** Puts a demo account's name and phone back if the fuzzing changed them. */
async function restoreDemoProfile(caller: FuzzRole, saved: Profile): Promise<void> {
  const email = DEMO_ACCOUNTS[caller as Exclude<FuzzRole, "student">];
  const identity = await logIn(email, DEMO_PASSWORD);
  if (typeof identity === "string") {
    notes.push(`could not restore ${email}'s profile: ${identity}`);
    return;
  }
  const now = await call("GET", "/v1/me", undefined, identity.accessToken);
  const body = now.body as Partial<Profile> | undefined;
  if (body?.fullName === saved.fullName && (body?.phone ?? null) === saved.phone) return;
  const r = await call("PATCH", "/v1/me", saved, identity.accessToken);
  notes.push(
    r.status === 200
      ? `restored ${email}'s name and phone, which the fuzzing had changed`
      : `could not restore ${email}'s profile: ${r.status} ${clip(r.text, 200)}`,
  );
}

// ---------------------------------------------------------------------------------------------
// The plan: every operation and caller, their known-good request and sweep first

interface Job {
  caller: Caller;
  op: Operation;
  req: FuzzRequest;
  kind: "known" | "sweep" | "generated";
  resends: number;
}

function plan(
  doc: OpenApiDoc,
  ops: Operation[],
  hints: Hints,
  access: Map<Caller, Set<string>>,
  actors: Map<Caller, Actor>,
): Job[] {
  const pairs = CALLERS.flatMap((caller) => ops.map((op) => ({ caller, op })));
  const fixed = pairs.map(({ caller, op }) => {
    // A role that could not sign in is fuzzed as anonymous (no token to mangle).
    const as = actors.get(caller)?.effective ?? caller;
    const gen: Gen = { doc, hints: hintsFor(hints, caller), op: op.id };
    const seed = seedFor(SEED, op.id, caller);
    const canonical = requestArbs({ ...gen, canonical: true }, op, as, LIMITS);
    const [known] = fc.sample(canonical.valid, { seed, numRuns: 1 }) as [FuzzRequest];
    const swept = sweeper(access, op) === caller ? sweep(gen, op, known) : [];
    return [
      ...swept.map((req) => ({ req, kind: "sweep" as const })),
      { req: known, kind: "known" as const },
    ];
  });
  const fixedTotal = fixed.reduce((n, f) => n + f.length, 0);
  const generatedTotal = Math.max(0, REQUESTS - fixedTotal);
  const perPair = Math.floor(generatedTotal / pairs.length);
  const extra = generatedTotal % pairs.length;
  const lanes = pairs.map(({ caller, op }, i) => {
    const as = actors.get(caller)?.effective ?? caller;
    const gen: Gen = { doc, hints: hintsFor(hints, caller), op: op.id };
    const n = perPair + (i < extra ? 1 : 0);
    const generated =
      n > 0
        ? fc.sample(requestArbs(gen, op, as, LIMITS).any, {
            seed: seedFor(SEED, op.id, caller),
            numRuns: n,
          })
        : [];
    return [
      ...(fixed[i] ?? []),
      ...generated.map((req) => ({ req, kind: "generated" as const })),
    ].map((x) => ({ ...x, caller, op, resends: 0 }));
  });
  // Round-robin over every operation and caller, so a time limit cuts all of them evenly.
  const jobs: Job[] = [];
  for (let round = 0; jobs.length < REQUESTS; round++) {
    let any = false;
    for (const lane of lanes) {
      const job = lane[round];
      if (job && jobs.length < REQUESTS) {
        jobs.push(job);
        any = true;
      }
    }
    if (!any) break;
  }
  return jobs;
}

// ---------------------------------------------------------------------------------------------
// Running

interface Failure {
  job: Job;
  sentAs: Caller;
  clientIp: string;
  reason: string;
  out?: Outcome;
}

interface Tally {
  total: number;
  statuses: Map<number, number>;
  /** Milliseconds waited for answers, in all. */
  ms: number;
}

const newTally = (): Tally => ({ total: 0, statuses: new Map(), ms: 0 });
const bump = (t: Tally, status: number, ms: number) => {
  t.total++;
  t.ms += ms;
  t.statuses.set(status, (t.statuses.get(status) ?? 0) + 1);
};
const classOf = (status: number) => `${Math.floor(status / 100)}xx`;
const byClass = (t: Tally) => {
  const classes = new Map<string, number>();
  for (const [status, n] of t.statuses) {
    const key = status === 0 ? "no answer" : classOf(status);
    classes.set(key, (classes.get(key) ?? 0) + n);
  }
  return classes;
};

async function main(): Promise<number> {
  const started = Date.now();
  let doc: OpenApiDoc;
  try {
    const res = await exchange({
      target: "/openapi.json",
      method: "GET",
      headers: new Headers({ "CF-Connecting-IP": freshIp() }),
      body: undefined,
    });
    if (res.status !== 200) {
      console.error(`${ORIGIN}/openapi.json answered ${res.status}: ${clip(res.text, 300)}`);
      return 1;
    }
    doc = JSON.parse(res.text) as OpenApiDoc;
  } catch (error) {
    if (error instanceof NoAnswer) {
      console.error(
        `Nothing answers at ${ORIGIN} (${error.message}): start \`npm run dev\` first.`,
      );
      return 1;
    }
    throw error;
  }
  const ops = operations(doc);
  operationsList = ops;
  console.log(
    `fuzz: ${ORIGIN}, ${ops.length} operations × ${CALLERS.length} callers, ` +
      `${REQUESTS} requests, seed ${SEED}, concurrency ${CONCURRENCY}, at most ${SECONDS} s`,
  );

  // The probes come first: an admin's logout-all probe would end the callers' sessions.
  const [access, hints] = await Promise.all([probeAccess(ops), createFixtures()]);
  const actors = new Map(CALLERS.map((c) => [c, new Actor(c)] as const));
  // Signs each caller in now: a role that cannot is planned and fuzzed as anonymous.
  for (const actor of actors.values()) await actor.token();
  const saved = new Map<FuzzRole, Profile>();
  for (const caller of ["admin", "super_admin"] as const) {
    const actor = actors.get(caller);
    const profile = actor && (await demoProfile(actor));
    if (profile) saved.set(caller, profile);
  }
  const jobs = plan(doc, ops, hints, access, actors);
  const planned = jobs.length;
  console.log(`planned ${planned} requests (setup took ${Date.now() - started} ms); sending…`);

  // Per caller: its queue, and when its per-user budget lets it send again.
  const queues = new Map<Caller, Job[]>(CALLERS.map((c) => [c, []]));
  for (const job of jobs) queues.get(job.caller)?.push(job);
  const pausedUntil = new Map<Caller, number>(CALLERS.map((c) => [c, 0]));
  const fuzzStarted = Date.now();
  const deadline = fuzzStarted + SECONDS * 1000;
  let interrupted = false;
  process.once("SIGINT", () => {
    interrupted = true;
    console.error("\ninterrupted: finishing the requests in flight, then the summary");
  });

  const overall = newTally();
  const perCaller = new Map<Caller, Tally>(CALLERS.map((c) => [c, newTally()]));
  const perOp = new Map<string, Tally>(ops.map((op) => [op.id, newTally()]));
  const failures: Failure[] = [];
  const platformAnswers: Failure[] = [];
  let done = 0;
  let resent = 0;
  let turn = 0;

  async function take(): Promise<Job | undefined> {
    for (;;) {
      if (interrupted || Date.now() >= deadline) return undefined;
      const waiting = CALLERS.filter((c) => (queues.get(c)?.length ?? 0) > 0);
      if (waiting.length === 0) return undefined;
      const now = Date.now();
      const ready = waiting.filter((c) => (pausedUntil.get(c) ?? 0) <= now);
      if (ready.length > 0) {
        const caller = ready[turn++ % ready.length] as Caller;
        return queues.get(caller)?.shift();
      }
      const next = Math.min(...waiting.map((c) => pausedUntil.get(c) ?? 0));
      await sleep(Math.min(Math.max(10, next - now), 1000));
    }
  }

  async function run(job: Job): Promise<void> {
    const actor = actors.get(job.caller) as Actor;
    const token = await actor.token();
    const sentAs = actor.effective;
    const clientIp = job.req.hotIp ? HOT_IP : freshIp();
    const wire = toWire(job.req, token, clientIp);
    const sentAt = Date.now();
    let out: Answer;
    try {
      out = await exchange(wire);
    } catch (error) {
      if (!(error instanceof NoAnswer)) throw error;
      const ms = Date.now() - sentAt;
      for (const t of [overall, perCaller.get(job.caller), perOp.get(job.op.id)])
        bump(t as Tally, 0, ms);
      failures.push({ job, sentAs, clientIp, reason: `no answer: ${error.message}` });
      return;
    }
    const ms = Date.now() - sentAt;
    for (const t of [overall, perCaller.get(job.caller), perOp.get(job.op.id)]) {
      bump(t as Tally, out.status, ms);
    }
    actor.observe(job.op, job.req, token, out);
    const retryAfter = sentAs === "anonymous" ? undefined : perUserRetryAfter(out);
    if (retryAfter !== undefined && !job.req.hotIp && job.resends < MAX_RESENDS) {
      // The caller's own per-user budget, not the answer under test: wait and send it again.
      pausedUntil.set(
        job.caller,
        Math.max(pausedUntil.get(job.caller) ?? 0, Date.now() + retryAfter * 1000),
      );
      queues.get(job.caller)?.unshift({ ...job, resends: job.resends + 1 });
      resent++;
      return;
    }
    done++;
    const platform = platformAnswer(wire, out);
    if (platform) {
      platformAnswers.push({ job, sentAs, clientIp, reason: platform, out });
      return;
    }
    // `live` is false: with requests in flight, another one may have just ended the session.
    const may = access.get(sentAs) ?? new Set<string>();
    const wrong = judge(ops, may, sentAs, job.req, out, false);
    if (wrong) failures.push({ job, sentAs, clientIp, reason: wrong, out });
  }

  const progress = setInterval(() => {
    console.log(
      `  … ${done}/${planned} done, ${overall.total} sent, ${failures.length} failures, ` +
        `${Math.round((Date.now() - fuzzStarted) / 1000)} s`,
    );
  }, 15_000);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let job = await take(); job; job = await take()) await run(job);
    }),
  );
  clearInterval(progress);
  const fuzzMs = Date.now() - fuzzStarted;

  for (const [caller, profile] of saved) await restoreDemoProfile(caller, profile);

  // -------------------------------------------------------------------------------------------
  // Summary

  const fmtStatuses = (t: Tally) =>
    [...t.statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s === 0 ? "none" : s}×${n}`)
      .join(" ");
  const fmtClasses = (t: Tally) =>
    [...byClass(t)]
      .sort()
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
  const left = [...queues.values()].reduce((n, q) => n + q.length, 0);
  console.log("");
  console.log(`fuzz summary: ${ORIGIN}, seed ${SEED}`);
  console.log(
    `  requests: ${overall.total} sent in ${(fuzzMs / 1000).toFixed(1)} s: ` +
      `${planned - left} of ${planned} planned, ${resent} sent again after a per-user 429` +
      (left > 0
        ? `; ${left} not sent (${interrupted ? "interrupted" : `${SECONDS} s limit`})`
        : ""),
  );
  console.log(`  by class: ${fmtClasses(overall)}; 429s: ${overall.statuses.get(429) ?? 0}`);
  console.log(`  statuses: ${fmtStatuses(overall)}`);
  for (const caller of CALLERS) {
    const actor = actors.get(caller) as Actor;
    const t = perCaller.get(caller) as Tally;
    const identities =
      caller === "anonymous"
        ? ""
        : ` [${actor.signUps} sign-ups, ${actor.logIns} logins` +
          `${actor.effective === "anonymous" ? ", ended anonymous" : ""}]`;
    console.log(`  as ${caller}: ${t.total} (${fmtClasses(t)})${identities}`);
  }
  const meanMs = (t: Tally) => (t.total > 0 ? Math.round(t.ms / t.total) : 0);
  console.log("  per operation (requests, mean answer time, statuses):");
  const width = Math.max(...ops.map((op) => op.id.length));
  for (const op of ops) {
    const t = perOp.get(op.id) as Tally;
    console.log(
      `    ${op.id.padEnd(width)} ${String(t.total).padStart(5)} ` +
        `${`${meanMs(t)} ms`.padStart(8)}  ${fmtStatuses(t)}`,
    );
  }
  const platformKinds = new Map<string, Failure[]>();
  for (const a of platformAnswers)
    platformKinds.set(a.reason, [...(platformKinds.get(a.reason) ?? []), a]);
  for (const [reason, answers] of platformKinds) {
    console.log(
      `  not the app's answer, not judged: ${answers.length} × ${reason}; the first:` +
        describeFailure(answers[0] as Failure).replaceAll("\n", "\n  "),
    );
  }
  if (notes.length > 0) {
    console.log("  notes:");
    for (const note of notes) console.log(`    ${note}`);
  }
  if (failures.length === 0) {
    console.log("\nno failures: no 5xx, every 4xx a problem+json body, no role past its rights.");
    return 0;
  }
  console.log(`\n${failures.length} failure${failures.length === 1 ? "" : "s"}:`);
  for (const [i, f] of failures.entries())
    console.log(`\n#${i + 1} ${f.reason}${describeFailure(f)}`);
  console.log(
    `\nreplay the same request shapes: FUZZ_SEED=${SEED} FUZZ_REQUESTS=${REQUESTS} ` +
      `npm run fuzz -- ${ORIGIN}`,
  );
  return 1;
}

/** The request exactly as sent (clipped) and the answer. */
function describeFailure(f: Failure): string {
  const sentAs = f.sentAs === f.job.caller ? f.job.caller : `${f.job.caller} (sent as ${f.sentAs})`;
  const answer = f.out
    ? `\n  → ${f.out.status} ${f.out.contentType || "(no Content-Type)"} ${clip(f.out.text, 600)}`
    : "";
  return (
    `\n  ${f.job.op.id} (${f.job.op.method} ${f.job.op.path}), ${sentAs}, ${f.job.kind} request, ` +
    `CF-Connecting-IP ${f.clientIp}\n    ${describeRequest(f.job.req)}\n` +
    `    sent to ${clip(onServer(`${f.job.req.path}${f.job.req.query}`), 400)}${answer}`
  );
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
