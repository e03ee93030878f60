/**
 * Every database the test suite creates starts with this prefix, and the suite drops nothing
 * else: DATABASE_URL may point at a server that holds other people's databases.
 */
export const TEST_DB_PREFIX = "coaching_test_";

export function assertTestDatabaseName(name: string): void {
  if (!name.startsWith(TEST_DB_PREFIX) || !/^[a-z0-9_]+$/.test(name)) {
    throw new Error(`refusing to touch database "${name}": not one the test suite created`);
  }
}
