import { afterAll, beforeAll } from "vitest";
import { cloneTemplateDatabase, dropDatabase } from "./database";

let current: string | undefined;

beforeAll(async () => {
  current = await cloneTemplateDatabase();
});

afterAll(async () => {
  if (current) await dropDatabase(current);
});

/** The database cloned for the running test file. */
export function fileDatabase(): string {
  if (!current) throw new Error("the per-file database is created in beforeAll");
  return current;
}
