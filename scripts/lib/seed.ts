/**
 * Demo data for local development. Every seeder is idempotent (safe on each `npm run dev`):
 * it checks for its own marker rows before inserting. Later domains add their seeders here.
 */
import type pg from "pg";

interface Seeder {
  name: string;
  run: (client: pg.Client) => Promise<number>;
}

const seeders: Seeder[] = [
  {
    // One example fault so the admin error-log views have something to show on a fresh stack.
    name: "error_logs demo row",
    run: async (client) => {
      const result = await client.query(
        `INSERT INTO error_logs (severity, code, status, message, route, method, path, request_id)
         SELECT 'error', 'INTERNAL_ERROR', 500, 'Error: demo fault seeded for local development',
                '/v1/demo', 'GET', '/v1/demo', 'req_demo_seed'
         WHERE NOT EXISTS (SELECT 1 FROM error_logs WHERE request_id = 'req_demo_seed')`,
      );
      return result.rowCount ?? 0;
    },
  },
];

export async function seed(client: pg.Client, log: (line: string) => void): Promise<void> {
  for (const s of seeders) {
    const inserted = await s.run(client);
    if (inserted > 0) log(`seeded ${s.name} (${inserted} row${inserted === 1 ? "" : "s"})`);
  }
}
