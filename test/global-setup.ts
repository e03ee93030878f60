/**
 * Runs in Node before any test file: starts Postgres (embedded, or DATABASE_URL), migrates a
 * template database once, and starts the Neon WebSocket proxy and fake providers. Each test
 * file then clones its own database from the template (test/support/setup.ts).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import {
  assertOwnedDatabase,
  connectOrExplain,
  enableLocalRuntimeLogin,
  installContextKey,
  runMigrations,
  runtimeUrl,
} from "../scripts/lib/db.ts";
import { startNeonHttpServer } from "../scripts/lib/neon-http.ts";
import { type LocalPostgres, startLocalPostgres } from "../scripts/lib/postgres.ts";
import { startWsProxy } from "../scripts/lib/ws-proxy.ts";
import { assertTestDatabaseName, TEST_DB_PREFIX } from "./support/db-prefix.ts";
import { startBlackhole, unusedPort } from "./support/node/blackhole.ts";
import { startFakeEmail } from "./support/node/fake-email.ts";
import { startFakeInstamojo } from "./support/node/fake-instamojo.ts";
import { startFakeSentry } from "./support/node/fake-sentry.ts";
import { startFakeTurnstile } from "./support/node/fake-turnstile.ts";
import { startFakeTwilio } from "./support/node/fake-twilio.ts";
import { startFakeWhatsApp } from "./support/node/fake-whatsapp.ts";
import { startFakeZoom } from "./support/node/fake-zoom.ts";
import { startOpenApiValidator } from "./support/node/openapi-validator.ts";

/** Unique per run, so two runs against one server never clobber each other's template. */
const TEMPLATE_DB = `${TEST_DB_PREFIX}tpl_${process.pid}_${Date.now().toString(36)}`;

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplateDb: string;
    pgRuntimeUrl: string;
    wsProxy: string;
    neonHttpUrl: string;
    fakeSentryDsn: string;
    fakeSentryUrl: string;
    fakeEmailUrl: string;
    fakeZoomUrl: string;
    fakeInstamojoUrl: string;
    fakeWhatsAppUrl: string;
    fakeTwilioUrl: string;
    fakeTurnstileUrl: string;
    blackholePort: number;
    closedPort: number;
    openApiValidatorUrl: string;
    dbContextSecret: string;
  }
}

export default async function setup(project: TestProject) {
  let local: LocalPostgres | undefined;
  let dataDir: string | undefined;
  let adminBase = process.env.DATABASE_URL;
  // The suite creates databases and sets a role's password: only where that is allowed.
  if (adminBase) assertOwnedDatabase(adminBase, "create test databases and set role passwords");
  if (!adminBase) {
    dataDir = mkdtempSync(join(tmpdir(), "coaching-api-test-pg-"));
    if (process.getuid?.() === 0) rmSync(dataDir, { recursive: true }); // recreated for postgres
    local = await startLocalPostgres({
      dataDir,
      port: await unusedPort(),
      ephemeral: true,
      log: (l) => console.log(`[test-db] ${l}`),
    });
    adminBase = local.adminUrl();
  }
  try {
    return await prepare(project, adminBase, async () => {
      if (local) await local.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });
  } catch (err) {
    if (local) await local.stop().catch(() => undefined);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

async function prepare(project: TestProject, adminBase: string, stopDatabase: () => Promise<void>) {
  const started = Date.now();
  const admin = (db: string) => {
    const u = new URL(adminBase);
    u.pathname = `/${db}`;
    return u.toString();
  };
  await adminStatement(admin("postgres"), `CREATE DATABASE "${TEMPLATE_DB}"`);
  await runMigrations(admin(TEMPLATE_DB));
  // The Worker's DB_CONTEXT_SECRET binding (vitest.config.ts) and the key in the template,
  // which every per-file clone inherits: fresh for each run.
  const dbContextSecret = `test-db-context-${randomBytes(24).toString("hex")}`;
  await installContextKey(admin(TEMPLATE_DB), dbContextSecret);
  await enableLocalRuntimeLogin(admin("postgres"));

  const proxy = await startWsProxy(0);
  const neonHttp = await startNeonHttpServer(0);
  const sentry = await startFakeSentry();
  const blackhole = await startBlackhole();
  const validator = await startOpenApiValidator();
  const email = await startFakeEmail();
  const zoom = await startFakeZoom();
  const instamojo = await startFakeInstamojo();
  const whatsapp = await startFakeWhatsApp();
  const twilio = await startFakeTwilio();
  const turnstile = await startFakeTurnstile();

  project.provide("pgAdminUrl", admin("postgres"));
  project.provide("pgTemplateDb", TEMPLATE_DB);
  project.provide("pgRuntimeUrl", runtimeUrl(admin(TEMPLATE_DB)));
  project.provide("wsProxy", `127.0.0.1:${proxy.port}`);
  project.provide("neonHttpUrl", neonHttp.url);
  project.provide("fakeSentryDsn", sentry.dsn);
  project.provide("fakeSentryUrl", `http://127.0.0.1:${sentry.port}`);
  project.provide("fakeEmailUrl", email.url);
  project.provide("fakeZoomUrl", zoom.url);
  project.provide("fakeInstamojoUrl", instamojo.url);
  project.provide("fakeWhatsAppUrl", whatsapp.url);
  project.provide("fakeTwilioUrl", twilio.url);
  project.provide("fakeTurnstileUrl", turnstile.url);
  project.provide("blackholePort", blackhole.port);
  project.provide("closedPort", await unusedPort());
  project.provide("openApiValidatorUrl", validator.url);
  project.provide("dbContextSecret", dbContextSecret);
  console.log(`[test-db] Postgres ready and template migrated in ${Date.now() - started} ms`);

  return async () => {
    await Promise.allSettled([
      proxy.close(),
      neonHttp.close(),
      sentry.close(),
      blackhole.close(),
      validator.close(),
      email.close(),
      zoom.close(),
      instamojo.close(),
      whatsapp.close(),
      twilio.close(),
      turnstile.close(),
    ]);
    assertTestDatabaseName(TEMPLATE_DB);
    await adminStatement(
      admin("postgres"),
      `DROP DATABASE IF EXISTS "${TEMPLATE_DB}" WITH (FORCE)`,
    );
    await stopDatabase();
  };
}

async function adminStatement(url: string, statement: string): Promise<void> {
  const client = await connectOrExplain(url);
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
