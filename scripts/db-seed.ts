/** `npm run db:seed`: idempotent demo data into DATABASE_URL (an owner or superuser URL). */
import { connectOrExplain } from "./lib/db.ts";
import { seed } from "./lib/seed.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error(
    "db:seed needs DATABASE_URL (e.g. postgres://postgres:postgres@127.0.0.1:54329/coaching)",
  );
  process.exit(1);
}
try {
  const client = await connectOrExplain(url);
  try {
    await seed(client, (l) => console.log(l));
  } finally {
    await client.end();
  }
  console.log("seed complete");
} catch (err) {
  console.error(`db:seed failed: ${(err as Error).message}`);
  process.exit(1);
}
