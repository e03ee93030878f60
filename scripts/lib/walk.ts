/**
 * What the `npm run walk:*` scripts share: HTTP calls against the local API, checks that print
 * `ok`/`FAIL` and stop at the first failure, demo logins, and values from .dev.vars.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readDevVar } from "./dev-vars.ts";
import { DEMO_PASSWORD } from "./seed.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const base = `http://127.0.0.1:${process.env.PORT ?? "8787"}`;

export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  opts: {
    token?: string;
    body?: unknown;
    headers?: Record<string, string>;
    raw?: string;
    redirect?: "follow" | "manual";
  } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
    redirect: opts.redirect,
  });
  const text = await res.text();
  let body: unknown = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = {};
  }
  return { status: res.status, headers: res.headers, body: body as T, text };
}

export function check(ok: boolean, what: string, answer?: Answer<unknown>): void {
  if (ok) {
    console.log(`  ok   ${what}`);
    return;
  }
  console.log(`  FAIL ${what}`);
  if (answer) console.log(`       HTTP ${answer.status}: ${answer.text.slice(0, 400)}`);
  process.exit(1);
}

export function expectStatus<T>(answer: Answer<T>, status: number, what: string): Answer<T> {
  check(answer.status === status, `${what} → ${answer.status}`, answer as Answer<unknown>);
  return answer;
}

export async function login(email: string): Promise<string> {
  const res = await call<{ accessToken: string }>("POST", "/v1/auth/login", {
    body: { email, password: DEMO_PASSWORD },
  });
  expectStatus(res, 200, `log in as ${email}`);
  return res.body.accessToken;
}

/** A local secret: the environment, else .dev.vars, else .dev.vars.example. */
export function devSecret(key: string): string {
  const fromEnv = process.env[key];
  if (fromEnv) return fromEnv;
  for (const file of [".dev.vars", ".dev.vars.example"]) {
    const value = readDevVar(join(root, file), key);
    if (value) return value;
  }
  throw new Error(`${key} is not set (environment, .dev.vars or .dev.vars.example)`);
}

/** Exits with a hint unless the API answers on `base`. */
export async function requireRunningApi(script: string): Promise<void> {
  const health = await fetch(`${base}/health`).catch(() => null);
  if (!health?.ok) {
    console.error(`${script}: nothing answers on ${base}; start it with \`npm run dev\` first.`);
    process.exit(1);
  }
}

/**
 * What each walk starts from: a new published course (`walkthrough` category) and a batch
 * that takes enrolments now and starts in `startsInDays`.
 */
export async function publishedCourseWithBatch(
  admin: string,
  opts: {
    slug: string;
    title: string;
    pricePaise: number;
    batchName: string;
    capacity: number;
    startsInDays: number;
    courseNote: string;
  },
): Promise<{ courseId: string; batchId: string }> {
  const course = expectStatus(
    await call<{ id: string }>("POST", "/v1/admin/courses", {
      token: admin,
      body: {
        slug: opts.slug,
        title: opts.title,
        summary: "Created by a walkthrough script",
        category: "walkthrough",
        level: "beginner",
        language: "en",
        pricePaise: opts.pricePaise,
      },
    }),
    201,
    `POST /v1/admin/courses (${opts.courseNote})`,
  );
  expectStatus(
    await call("PATCH", `/v1/admin/courses/${course.body.id}`, {
      token: admin,
      body: { status: "published" },
    }),
    200,
    "PATCH status published",
  );
  const now = Date.now();
  const day = (n: number) => new Date(now + n * 86_400_000).toISOString().slice(0, 10);
  const batch = expectStatus(
    await call<{ id: string }>("POST", `/v1/admin/courses/${course.body.id}/batches`, {
      token: admin,
      body: {
        name: opts.batchName,
        startDate: day(opts.startsInDays),
        endDate: day(60),
        capacity: opts.capacity,
        enrolmentOpensAt: new Date(now - 60_000).toISOString(),
        enrolmentClosesAt: new Date(
          now + (opts.startsInDays - 1) * 86_400_000 + 3_600_000,
        ).toISOString(),
      },
    }),
    201,
    `POST /v1/admin/courses/{id}/batches (capacity ${opts.capacity})`,
  );
  return { courseId: course.body.id, batchId: batch.body.id };
}
