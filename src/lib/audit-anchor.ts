/**
 * Audit anchors: the checkpoint chain's heads, MACed with AUDIT_ANCHOR_SECRET and kept in KV,
 * outside the database.
 *
 * The database alone cannot prove its own history: whoever can write it as the owner can
 * rewrite a row, recompute its row hash, every checkpoint after it, and `audit_verify()` says
 * "ok". The maintenance job therefore signs each sealed checkpoint (id, range, row count,
 * previous and chain hash) with a key only the Worker holds and writes it to KV:
 *   audit:anchor:<checkpoint id>   one per checkpoint (lets verify find the first bad one)
 *   audit:anchor:latest            the newest anchored checkpoint
 *   audit:verified                 the newest checkpoint a verify run accepted (incremental)
 * Verification recomputes the chain and requires it to reach the anchored head.
 */

import { sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { type DbActor, runAs, SYSTEM } from "../db/transaction";
import { hmacHex } from "./hmac";

export const ANCHOR_LATEST_KEY = "audit:anchor:latest";
export const anchorKey = (checkpointId: number) => `audit:anchor:${checkpointId}`;
export const VERIFIED_KEY = "audit:verified";

export interface CheckpointHead {
  checkpointId: number;
  fromId: number;
  toId: number;
  rowCount: number;
  prevHash: string;
  chainHash: string;
}

export interface AuditAnchor extends CheckpointHead {
  v: 1;
  sealedAt: string;
  mac: string;
}

interface VerifiedMark {
  v: 1;
  checkpointId: number;
  toId: number;
  chainHash: string;
  verifiedAt: string;
  mac: string;
}

const macHex = (secret: string, message: string) => hmacHex(secret, message);

/** Compares two hex MACs without an early exit. */
function sameMac(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

const anchorMessage = (h: CheckpointHead) =>
  `audit-anchor|v1|${h.checkpointId}|${h.fromId}|${h.toId}|${h.rowCount}|${h.prevHash}|${h.chainHash}`;
const verifiedMessage = (m: Pick<VerifiedMark, "checkpointId" | "toId" | "chainHash">) =>
  `audit-verified|v1|${m.checkpointId}|${m.toId}|${m.chainHash}`;

export async function signAnchor(
  secret: string,
  head: CheckpointHead,
  sealedAt: Date,
): Promise<AuditAnchor> {
  return {
    v: 1,
    ...head,
    sealedAt: sealedAt.toISOString(),
    mac: await macHex(secret, anchorMessage(head)),
  };
}

export type AnchorRead<T> = { status: "none" } | { status: "invalid" } | { status: "ok"; value: T };

async function readSigned<T extends { mac: string }>(
  kv: KVNamespace,
  key: string,
  secret: string,
  message: (value: T) => string,
): Promise<AnchorRead<T>> {
  const raw = await kv.get(key);
  if (raw === null) return { status: "none" };
  let value: T;
  try {
    value = JSON.parse(raw) as T;
  } catch {
    return { status: "invalid" };
  }
  if (typeof value?.mac !== "string") return { status: "invalid" };
  const expected = await macHex(secret, message(value));
  return sameMac(expected, value.mac) ? { status: "ok", value } : { status: "invalid" };
}

export const readAnchor = (kv: KVNamespace, secret: string, key = ANCHOR_LATEST_KEY) =>
  readSigned<AuditAnchor>(kv, key, secret, anchorMessage);

const readVerified = (kv: KVNamespace, secret: string) =>
  readSigned<VerifiedMark>(kv, VERIFIED_KEY, secret, verifiedMessage);

type CheckpointRow = {
  id: string;
  from_id: string;
  to_id: string;
  row_count: number;
  prev_hash: string;
  chain_hash: string;
  sealed_at: string | Date;
};

const headOf = (r: CheckpointRow): CheckpointHead => ({
  checkpointId: Number(r.id),
  fromId: Number(r.from_id),
  toId: Number(r.to_id),
  rowCount: Number(r.row_count),
  prevHash: r.prev_hash,
  chainHash: r.chain_hash,
});

type VerifyRow = {
  ok: boolean;
  problem: string | null;
  first_bad_id: string | null;
  checked_rows: string;
  checkpoints: string;
  last_checkpoint_id: string | null;
  last_chain_hash: string | null;
};

export class AuditAnchorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuditAnchorError";
  }
}

/**
 * Anchors every sealed checkpoint that has no anchor yet (at most `limit` per call, oldest
 * first). Before extending the anchored history it checks, incrementally, that the database
 * still continues it: rows and checkpoints after the last anchor recompute to the chain the
 * anchor names. The very first anchor has nothing to continue and is trusted on first use.
 */
export async function anchorCheckpoints(
  db: Database,
  kv: KVNamespace,
  secret: string,
  limit = 20,
): Promise<{ anchored: number; latest: number | null }> {
  const current = await readAnchor(kv, secret);
  if (current.status === "invalid") {
    throw new AuditAnchorError(`${ANCHOR_LATEST_KEY} fails its MAC: not extending it`);
  }
  const after = current.status === "ok" ? current.value : null;
  const pending = await runAs(db, SYSTEM, async (tx) => {
    if (after) {
      const checked = await tx.execute<VerifyRow>(
        sql`select * from audit_verify_from(${after.checkpointId}, ${after.chainHash})`,
      );
      const r = checked.rows[0];
      if (!r?.ok) {
        throw new AuditAnchorError(
          `the audit chain no longer continues anchored checkpoint ${after.checkpointId}: ` +
            `${r?.problem ?? "no answer"} at id ${r?.first_bad_id ?? "?"}`,
        );
      }
    }
    const rows = await tx.execute<CheckpointRow>(
      sql`select id, from_id, to_id, row_count, prev_hash, chain_hash, sealed_at
            from audit_checkpoints where id > ${after?.checkpointId ?? 0} order by id limit ${limit}`,
    );
    return rows.rows;
  });
  let last: AuditAnchor | null = null;
  for (const row of pending) {
    last = await signAnchor(secret, headOf(row), new Date(row.sealed_at));
    await kv.put(anchorKey(last.checkpointId), JSON.stringify(last));
  }
  if (last) await kv.put(ANCHOR_LATEST_KEY, JSON.stringify(last));
  return {
    anchored: pending.length,
    latest: last?.checkpointId ?? after?.checkpointId ?? null,
  };
}

export type VerifyProblem =
  | "altered"
  | "deleted"
  | "inserted out of order"
  | "checkpoint chain broken"
  | "verified checkpoint missing"
  | "verified checkpoint altered"
  | "anchor invalid"
  | "anchored checkpoint missing"
  | "anchor mismatch"
  | "not anchored";

export interface AuditVerification {
  ok: boolean;
  problem: VerifyProblem | null;
  /** The first altered or missing row when known; for an anchor mismatch, the first row of the
   * first checkpoint whose chain differs from its anchor. */
  firstBadId: number | null;
  /** A sentence for the operator: what failed and what it means. */
  detail: string | null;
  mode: "full" | "incremental";
  /** The checkpoint this run started after (0 = genesis). */
  fromCheckpoint: number;
  checkedRows: number;
  checkpoints: number;
  /** The newest anchored checkpoint the chain was checked against. */
  anchoredCheckpoint: number | null;
  /** Sealed checkpoints newer than the anchor: consistent, but not yet protected by it. */
  unanchoredCheckpoints: number;
}

const DETAIL: Record<string, string> = {
  altered:
    "A row no longer matches its hash, or a sealed range no longer recomputes to its checkpoint.",
  deleted: "A row inside a sealed checkpoint is missing.",
  "inserted out of order": "A sealed checkpoint holds more rows than when it was sealed.",
  "checkpoint chain broken": "A checkpoint does not link to the one before it.",
  "verified checkpoint missing": "The checkpoint a previous verification accepted is gone.",
  "verified checkpoint altered":
    "The checkpoint a previous verification accepted has a different chain hash now: the chain was recomputed.",
};

/**
 * Verifies the audit log against the anchors in KV. Incremental by default: from the last
 * checkpoint a previous run accepted (its chain hash kept, MACed, in KV), so the cost follows
 * the rows written since; `full` rechecks everything from the first row.
 */
export async function verifyAuditChain(input: {
  db: Database;
  actor: DbActor;
  kv: KVNamespace;
  secret: string;
  full: boolean;
}): Promise<AuditVerification> {
  const { db, actor, kv, secret } = input;
  const latest = await readAnchor(kv, secret);
  const base = { anchoredCheckpoint: null, unanchoredCheckpoints: 0 };
  if (latest.status === "invalid") {
    return {
      ok: false,
      problem: "anchor invalid",
      firstBadId: null,
      detail: `${ANCHOR_LATEST_KEY} in KV fails its MAC: it was not written with AUDIT_ANCHOR_SECRET.`,
      mode: input.full ? "full" : "incremental",
      fromCheckpoint: 0,
      checkedRows: 0,
      checkpoints: 0,
      ...base,
    };
  }
  const anchor = latest.status === "ok" ? latest.value : null;
  let start = { checkpointId: 0, chainHash: "genesis" };
  const mark = anchor ? await readVerified(kv, secret) : null;
  if (!input.full && anchor && mark?.status === "ok") {
    if (mark.value.checkpointId <= anchor.checkpointId) {
      start = { checkpointId: mark.value.checkpointId, chainHash: mark.value.chainHash };
    }
  }
  const mode = start.checkpointId === 0 ? "full" : "incremental";
  const found = await runAs(db, actor, async (tx) => {
    const verdict = (
      await tx.execute<VerifyRow>(
        sql`select * from audit_verify_from(${start.checkpointId}, ${start.chainHash})`,
      )
    ).rows[0];
    const stats = (
      await tx.execute<{ n: string; newer: string }>(
        sql`select count(*) as n, count(*) filter (where id > ${anchor?.checkpointId ?? 0}) as newer
              from audit_checkpoints`,
      )
    ).rows[0];
    const anchored = anchor
      ? (
          await tx.execute<CheckpointRow>(
            sql`select id, from_id, to_id, row_count, prev_hash, chain_hash, sealed_at
                  from audit_checkpoints where id = ${anchor.checkpointId}`,
          )
        ).rows[0]
      : undefined;
    return { verdict, stats, anchored };
  });
  const v = found.verdict;
  if (!v) throw new Error("audit_verify_from returned nothing");
  const result: AuditVerification = {
    ok: v.ok,
    problem: (v.problem as VerifyProblem | null) ?? null,
    firstBadId: v.first_bad_id === null ? null : Number(v.first_bad_id),
    detail: v.problem ? (DETAIL[v.problem] ?? null) : null,
    mode,
    fromCheckpoint: start.checkpointId,
    checkedRows: Number(v.checked_rows),
    checkpoints: Number(v.checkpoints),
    anchoredCheckpoint: anchor?.checkpointId ?? null,
    unanchoredCheckpoints: Number(found.stats?.newer ?? 0),
  };
  if (!result.ok) return result;

  if (!anchor) {
    if (Number(found.stats?.n ?? 0) > 0) {
      return {
        ...result,
        ok: false,
        problem: "not anchored",
        detail:
          "Sealed checkpoints exist but KV holds no anchor for them: nothing outside the " +
          "database vouches for this history. The next maintenance run anchors them; if this " +
          "persists, the anchors were removed.",
      };
    }
    return result;
  }
  if (!found.anchored) {
    return {
      ...result,
      ok: false,
      problem: "anchored checkpoint missing",
      firstBadId: anchor.fromId,
      detail: `Checkpoint ${anchor.checkpointId} (rows ${anchor.fromId}–${anchor.toId}, sealed ${anchor.sealedAt}) is anchored in KV but gone from the database: history was truncated.`,
    };
  }
  const head = headOf(found.anchored);
  if (anchorMessage(head) !== anchorMessage(anchor)) {
    const first = await firstDivergence(db, actor, kv, secret, anchor.checkpointId);
    return {
      ...result,
      ok: false,
      problem: "anchor mismatch",
      firstBadId: first?.fromId ?? null,
      detail:
        `The chain in the database does not reach the anchored head of checkpoint ` +
        `${anchor.checkpointId} (sealed ${anchor.sealedAt}): rows were rewritten and their ` +
        `hashes and checkpoints recomputed.` +
        (first
          ? ` The first checkpoint that differs from its anchor is checkpoint ${first.checkpointId} (rows ${first.fromId}–${first.toId}).`
          : ""),
    };
  }
  // Remember how far the chain is proven, for the next incremental run. Only when it moved:
  // KV takes about one write per second per key, and verify may be called more often.
  if (mark?.status !== "ok" || mark.value.checkpointId !== anchor.checkpointId) {
    const next: Omit<VerifiedMark, "mac"> = {
      v: 1,
      checkpointId: anchor.checkpointId,
      toId: anchor.toId,
      chainHash: anchor.chainHash,
      verifiedAt: new Date().toISOString(),
    };
    await kv
      .put(
        VERIFIED_KEY,
        JSON.stringify({ ...next, mac: await macHex(secret, verifiedMessage(next)) }),
      )
      .catch(() => undefined); // best effort: the next run is merely less incremental
  }
  return result;
}

/**
 * Binary search for the first checkpoint whose head differs from its own anchor (chain hashes
 * are cumulative: once one differs, every later one does). log2(checkpoints) KV reads.
 */
async function firstDivergence(
  db: Database,
  actor: DbActor,
  kv: KVNamespace,
  secret: string,
  lastId: number,
): Promise<CheckpointHead | null> {
  const differs = async (id: number): Promise<CheckpointHead | null | "unknown"> => {
    const anchored = await readAnchor(kv, secret, anchorKey(id));
    if (anchored.status !== "ok") return "unknown";
    const row = await runAs(db, actor, async (tx) => {
      const r = await tx.execute<CheckpointRow>(
        sql`select id, from_id, to_id, row_count, prev_hash, chain_hash, sealed_at
              from audit_checkpoints where id = ${id}`,
      );
      return r.rows[0];
    });
    if (!row) return anchored.value;
    return anchorMessage(headOf(row)) === anchorMessage(anchored.value) ? null : anchored.value;
  };
  let lo = 1;
  let hi = lastId;
  let first: CheckpointHead | null = null;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const d = await differs(mid);
    if (d === "unknown") return first;
    if (d) {
      first = d;
      hi = mid - 1;
    } else {
      lo = mid + 1;
    }
  }
  return first;
}
