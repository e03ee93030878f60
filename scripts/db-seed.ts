/**
 * `npm run db:seed`: idempotent demo data. Without DATABASE_URL it seeds the database of the
 * running `npm run dev` stack (as the local superuser). With DATABASE_URL it needs an owner or
 * superuser URL: the runtime role cannot write other users' rows (row-level security).
 */
import { assertOwnedDatabase, connectOrExplain } from "./lib/db.ts";
import { seed } from "./lib/seed.ts";

const url =
  process.env.DATABASE_URL ??
  `postgres://postgres:postgres@127.0.0.1:${process.env.PG_PORT ?? 54329}/coaching`;
try {
  if (new URL(url).username === "app_runtime") {
    throw new Error(
      "DATABASE_URL is the runtime role (app_runtime), which row-level security keeps from " +
        "seeding other users. Use the owner or superuser URL, e.g. " +
        "DATABASE_URL=postgres://postgres:postgres@127.0.0.1:54329/coaching npm run db:seed",
    );
  }
  // Demo accounts have published passwords: never into someone else's database by accident.
  assertOwnedDatabase(url, "seed demo accounts with published passwords");
  const client = await connectOrExplain(url);
  try {
    await seed(client, (l) => console.log(l));
  } finally {
    await client.end();
  }
  console.log("seed complete");
} catch (err) {
  console.error(`db:seed failed: ${(err as Error).message}`);
  if (!process.env.DATABASE_URL) console.error("Is `npm run dev` running?");
  process.exit(1);
}
