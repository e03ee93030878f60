/**
 * `npm run db:migrate`: applies migrations/ to DATABASE_URL. Use an owner/admin URL (it creates
 * roles and hands tables to app_owner), never the Worker's runtime URL.
 */
import { runMigrations } from "./lib/db.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error(
    "db:migrate needs DATABASE_URL, an owner/admin connection string, e.g.\n" +
      "  DATABASE_URL=postgres://postgres:postgres@127.0.0.1:54329/coaching npm run db:migrate",
  );
  process.exit(1);
}
try {
  const started = Date.now();
  await runMigrations(url);
  console.log(`migrations applied in ${Date.now() - started} ms`);
} catch (err) {
  console.error(`db:migrate failed: ${(err as Error).message}`);
  process.exit(1);
}
