/**
 * The test harness: drives the real Worker (Sentry wrapper, middleware, routes) inside workerd
 * against this file's own Postgres database, and waits for `waitUntil` work so tests can assert
 * on what happened off the request path.
 */

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { TestContext } from "vitest";
import { createApp } from "../../src/app";
import { createWorker } from "../../src/index";
import type { AppEnv } from "../../src/lib/context";
import { adminDb, withDatabase } from "./database";
import { type TestBindings, testEnv } from "./env";
import { createUser, type Role, type TestUser } from "./identity";
import { type DeliveryRound, deliverQueued, RecordingQueue } from "./queue";
import { fileDatabase } from "./setup";

export interface TestResponse<T> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** Raw body (sent as is); otherwise `body` is JSON-encoded. */
  raw?: BodyInit;
}

export interface HarnessOptions {
  /** Binding overrides, e.g. a DATABASE_URL pointing at a stopped server. */
  env?: Partial<TestBindings>;
  /** A custom app (e.g. createApp() plus a route that throws on purpose). */
  app?: OpenAPIHono<AppEnv>;
}

export class Harness {
  readonly env: TestBindings;
  readonly database: string;
  /** The notifications Queue's producer side (test/support/queue.ts). */
  readonly queue = new RecordingQueue();
  /** This harness' client address (CF-Connecting-IP): rate limits never leak across tests. */
  readonly ip = `10.${rnd()}.${rnd()}.${rnd()}`;
  private readonly worker: ExportedHandler<Env>;
  private readonly admin: ReturnType<typeof adminDb>;

  private constructor(t: TestContext, opts: HarnessOptions) {
    this.database = fileDatabase();
    this.env = {
      ...testEnv,
      DATABASE_URL: withDatabase(testEnv.DATABASE_URL, this.database),
      NOTIFICATIONS: this.queue as unknown as Queue,
      ...opts.env,
    };
    this.worker = createWorker(opts.app ?? createApp());
    this.admin = adminDb(this.database);
    t.onTestFinished(() => this.admin.close());
  }

  static async init(t: TestContext, opts: HarnessOptions = {}): Promise<Harness> {
    return new Harness(t, opts);
  }

  /** Superuser Drizzle handle on this file's database (bypasses RLS: for assertions only). */
  get db() {
    return this.admin.db;
  }

  /** A user with a live session and access token (see test/support/identity.ts). */
  createUser(opts: Parameters<typeof createUser>[2] = {}): Promise<TestUser> {
    return createUser(this.env, this.database, opts);
  }
  asStudent(): Promise<TestUser> {
    return this.createUser({ role: "student" });
  }
  asAdmin(role: Exclude<Role, "student"> = "admin"): Promise<TestUser> {
    return this.createUser({ role });
  }

  /** Runs a request through the Worker and waits for its `waitUntil` work. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const ctx = createExecutionContext();
    const headers = new Headers(init.headers);
    if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", this.ip);
    const request = new Request(new URL(path, "http://api.test"), { ...init, headers });
    const fetchHandler = this.worker.fetch;
    if (!fetchHandler) throw new Error("worker has no fetch handler");
    const response = await fetchHandler(
      request as Request<unknown, IncomingRequestCfProperties>,
      this.env,
      ctx,
    );
    const body = await response.arrayBuffer();
    await waitOnExecutionContext(ctx);
    return new Response(body, response);
  }

  /**
   * Delivers what requests handed to the notifications Queue, through the Worker's queue()
   * handler, as the Queue would: retries come back (their rows made due: time passes), and
   * after the last try go to the dead-letter queue.
   */
  deliverNotifications(opts: { rounds?: number } = {}): Promise<DeliveryRound[]> {
    return deliverQueued(this.worker, this.env as unknown as Env, this.queue, {
      rounds: opts.rounds,
      beforeRetry: async (ids) => {
        await this.db.execute(
          sql`update notifications set not_before = now() where id in ${sql.raw(
            `(${ids.map((id) => `'${id.replace(/[^0-9a-f-]/g, "")}'`).join(",")})`,
          )}`,
        );
      },
    });
  }

  async request<Res>(
    method: string,
    path: string,
    body?: unknown,
    opts: RequestOptions = {},
  ): Promise<TestResponse<Res>> {
    const headers = new Headers(opts.headers);
    let payload: BodyInit | undefined = opts.raw;
    if (payload === undefined && body !== undefined) {
      payload = JSON.stringify(body);
      if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
    }
    const res = await this.fetch(path, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, headers: res.headers, body: parsed as Res, text };
  }

  get<Res>(path: string, opts?: RequestOptions) {
    return this.request<Res>("GET", path, undefined, opts);
  }
  post<Req, Res>(path: string, body?: Req, opts?: RequestOptions) {
    return this.request<Res>("POST", path, body, opts);
  }
  patch<Req, Res>(path: string, body?: Req, opts?: RequestOptions) {
    return this.request<Res>("PATCH", path, body, opts);
  }
  put<Req, Res>(path: string, body?: Req, opts?: RequestOptions) {
    return this.request<Res>("PUT", path, body, opts);
  }
  delete<Res>(path: string, opts?: RequestOptions) {
    return this.request<Res>("DELETE", path, undefined, opts);
  }
}

/** Polls until `fn` returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function rnd() {
  return Math.floor(Math.random() * 254) + 1;
}
