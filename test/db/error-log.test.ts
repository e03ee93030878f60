import { describe, expect, it } from "vitest";
import { createDb, type DbOptions } from "../../src/db/client";
import { loadConfig } from "../../src/env";
import { recordServerFault, type ServerFault } from "../../src/lib/error-log";
import { testEnv } from "../support/env";
import { admin, runtimeUrl } from "./support";

function config() {
  const loaded = loadConfig({ ...testEnv, DATABASE_URL: runtimeUrl() });
  if (!loaded.ok) throw new Error(loaded.issues.join("; "));
  return loaded.config;
}

/** createDb, counting the connections recordServerFault asks for. */
function countingConnect() {
  const opened: DbOptions[] = [];
  return {
    opened,
    connect: (opts: DbOptions) => {
      opened.push(opts);
      return createDb(opts);
    },
  };
}

const fault = (marker: string, extra: Partial<ServerFault> = {}): ServerFault => ({
  severity: "error",
  code: "INTERNAL_ERROR",
  status: 500,
  message: `boom ${marker}`,
  requestId: marker,
  ...extra,
});

const rowsFor = (marker: string) =>
  admin("SELECT code FROM error_logs WHERE request_id = $1", [marker]);

describe("recordServerFault", () => {
  it("writes the row through a signed context (error_logs refuses rows from unsigned SQL)", async () => {
    const marker = `req_${crypto.randomUUID()}`;
    const { opened, connect } = countingConnect();
    expect(await recordServerFault(config(), fault(marker), connect)).toBe(true);
    expect(opened).toHaveLength(1);
    expect(opened[0]?.contextSecret).toBe(testEnv.DB_CONTEXT_SECRET);
    expect(await rowsFor(marker)).toEqual([{ code: "INTERNAL_ERROR" }]);
  });

  it("opens no connection when the fault is the database being unavailable", async () => {
    const marker = `req_${crypto.randomUUID()}`;
    const { opened, connect } = countingConnect();
    const outage = fault(marker, {
      severity: "warning",
      code: "DEPENDENCY_UNAVAILABLE",
      status: 503,
    });
    expect(await recordServerFault(config(), outage, connect)).toBe(false);
    expect(await recordServerFault(config(), { ...outage, dependency: "postgres" }, connect)).toBe(
      false,
    );
    expect(opened).toEqual([]);
    expect(await rowsFor(marker)).toEqual([]);
  });

  it("still records another dependency's outage (Postgres is up)", async () => {
    const marker = `req_${crypto.randomUUID()}`;
    const { opened, connect } = countingConnect();
    const limiterDown = fault(marker, {
      severity: "warning",
      code: "DEPENDENCY_UNAVAILABLE",
      status: 503,
      dependency: "durableObject",
    });
    expect(await recordServerFault(config(), limiterDown, connect)).toBe(true);
    expect(opened).toHaveLength(1);
    expect(await rowsFor(marker)).toEqual([{ code: "DEPENDENCY_UNAVAILABLE" }]);
  });
});
