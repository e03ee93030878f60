/**
 * Demo data for local development. Every seeder is idempotent (safe on each `npm run dev`):
 * it checks for its own marker rows before inserting. Later domains add their seeders here.
 */
import { pbkdf2Sync, randomBytes } from "node:crypto";
import type pg from "pg";

/** Demo accounts for local development only (README, Quick start). */
export const DEMO_PASSWORD = "demo password 2026";
const DEMO_USERS = [
  { email: "student@demo.in", fullName: "Asha Student", role: "student" },
  { email: "admin@demo.in", fullName: "Ravi Admin", role: "admin" },
  { email: "superadmin@demo.in", fullName: "Meera Super Admin", role: "super_admin" },
] as const;

/**
 * The app's own PBKDF2 format (src/lib/password.ts), computed with node:crypto because the
 * argon2id wasm module loads only in workerd.
 */
function demoPasswordHash(): string {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(DEMO_PASSWORD.normalize("NFC"), salt, 100_000, 32, "sha256");
  const b64 = (b: Buffer) => b.toString("base64").replace(/=+$/, "");
  return `$pbkdf2-sha256$i=100000$${b64(salt)}$${b64(hash)}`;
}

interface Seeder {
  name: string;
  run: (client: pg.Client) => Promise<number>;
}

const seeders: Seeder[] = [
  {
    name: "demo users (password in README)",
    run: async (client) => {
      let inserted = 0;
      for (const u of DEMO_USERS) {
        const r = await client.query(
          `INSERT INTO users (email, password_hash, full_name, role, email_verified_at)
           VALUES ($1, $2, $3, $4, now()) ON CONFLICT (email) DO NOTHING`,
          [u.email, demoPasswordHash(), u.fullName, u.role],
        );
        inserted += r.rowCount ?? 0;
      }
      return inserted;
    },
  },
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
  {
    // Two published courses (one with a batch open for enrolment) and a draft, for /v1/courses.
    name: "demo catalogue",
    run: async (client) => {
      const result = await client.query(
        `WITH c AS (
           INSERT INTO courses (slug, title, summary, description, category, level, language,
                                price_paise, status)
           VALUES
             ('demo-jee-physics', 'JEE Physics: Mechanics', 'Kinematics to rotation in 12 weeks',
              '<p>Live classes on weekday evenings, <b>weekly</b> tests.</p>', 'jee',
              'intermediate', 'hi', 1499900, 'published'),
             ('demo-neet-biology', 'NEET Biology: Genetics', 'Mendel to molecular genetics',
              '<p>Weekend classes with doubt sessions.</p>', 'neet', 'beginner', 'en', 999900,
              'published'),
             ('demo-upsc-history', 'UPSC History (draft)', 'Not published yet', '', 'upsc',
              'advanced', 'en', 1999900, 'draft')
           ON CONFLICT (slug) DO NOTHING
           RETURNING id, slug
         ), b AS (
           INSERT INTO batches (course_id, name, start_date, end_date, capacity,
                                enrolment_opens_at, enrolment_closes_at)
           SELECT id, 'Evening batch', current_date + 30, current_date + 120, 60,
                  now() - interval '1 day', now() + interval '29 days'
           FROM c WHERE slug = 'demo-jee-physics'
           RETURNING id
         )
         SELECT (SELECT count(*) FROM c) + (SELECT count(*) FROM b) AS n`,
      );
      return Number(result.rows[0]?.n ?? 0);
    },
  },
];

/** Only the demo catalogue (two published courses, one draft): what `npm run bench:api` reads. */
export async function seedDemoCatalogue(client: pg.Client): Promise<number> {
  const seeder = seeders.find((s) => s.name === "demo catalogue");
  if (!seeder) throw new Error("the demo catalogue seeder is missing");
  return seeder.run(client);
}

export async function seed(client: pg.Client, log: (line: string) => void): Promise<void> {
  for (const s of seeders) {
    const inserted = await s.run(client);
    if (inserted > 0) log(`seeded ${s.name} (${inserted} row${inserted === 1 ? "" : "s"})`);
  }
}
