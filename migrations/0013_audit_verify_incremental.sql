-- Incremental audit verification. audit_verify_from(after, prev) checks what came after
-- checkpoint `after`, starting from `prev`, the chain hash the caller trusts for it (the Worker
-- keeps the last verified checkpoint, MACed, outside the database; see src/lib/audit-anchor.ts):
--   * checkpoint `after` still has that chain hash (a rewrite that recomputed the whole chain
--     changes it);
--   * every row after it still matches its row_hash;
--   * every later checkpoint links to the one before, starts where it ended, counts its rows
--     and recomputes to its chain hash.
-- after = 0 with prev = 'genesis' is the full check. It also returns the last checkpoint it
-- accepted, which the Worker compares with its signed anchor for that checkpoint.
CREATE OR REPLACE FUNCTION audit_verify_from(p_after bigint, p_prev text)
RETURNS TABLE (ok boolean, problem text, first_bad_id bigint, checked_rows bigint,
               checkpoints bigint, last_checkpoint_id bigint, last_chain_hash text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  cp audit_checkpoints;
  start_cp audit_checkpoints;
  prev text := p_prev;
  expected_from bigint := 1;
  n integer;
  chain text;
  bad bigint;
  total bigint;
  cps bigint := 0;
  last_id bigint := NULL;
BEGIN
  IF p_after > 0 THEN
    SELECT * INTO start_cp FROM audit_checkpoints c WHERE c.id = p_after;
    IF start_cp.id IS NULL THEN
      RETURN QUERY SELECT false, 'verified checkpoint missing'::text, NULL::bigint, 0::bigint, cps,
        NULL::bigint, NULL::text;
      RETURN;
    END IF;
    IF start_cp.chain_hash <> p_prev THEN
      RETURN QUERY SELECT false, 'verified checkpoint altered'::text, start_cp.from_id, 0::bigint,
        cps, NULL::bigint, NULL::text;
      RETURN;
    END IF;
    expected_from := start_cp.to_id + 1;
    last_id := start_cp.id;
  END IF;
  SELECT count(*) INTO total FROM audit_logs l WHERE l.id >= expected_from;
  SELECT min(l.id) INTO bad FROM audit_logs l
    WHERE l.id >= expected_from AND l.row_hash <> audit_row_hash(l);
  IF bad IS NOT NULL THEN
    RETURN QUERY SELECT false, 'altered'::text, bad, total, cps, NULL::bigint, NULL::text;
    RETURN;
  END IF;
  FOR cp IN SELECT * FROM audit_checkpoints c WHERE c.id > p_after ORDER BY c.id LOOP
    cps := cps + 1;
    IF cp.prev_hash <> prev OR cp.from_id <> expected_from THEN
      RETURN QUERY SELECT false, 'checkpoint chain broken'::text, cp.from_id, total, cps,
        NULL::bigint, NULL::text;
      RETURN;
    END IF;
    SELECT count(*), encode(sha256(convert_to(prev || coalesce(string_agg(l.row_hash, '' ORDER BY l.id), ''), 'UTF8')), 'hex')
      INTO n, chain FROM audit_logs l WHERE l.id BETWEEN cp.from_id AND cp.to_id;
    IF n < cp.row_count THEN
      SELECT min(g) INTO bad FROM generate_series(cp.from_id, cp.to_id) g
        WHERE NOT EXISTS (SELECT 1 FROM audit_logs l WHERE l.id = g);
      RETURN QUERY SELECT false, 'deleted'::text, coalesce(bad, cp.from_id), total, cps,
        NULL::bigint, NULL::text;
      RETURN;
    ELSIF n > cp.row_count THEN
      RETURN QUERY SELECT false, 'inserted out of order'::text, cp.from_id, total, cps,
        NULL::bigint, NULL::text;
      RETURN;
    ELSIF chain <> cp.chain_hash THEN
      RETURN QUERY SELECT false, 'altered'::text, cp.from_id, total, cps, NULL::bigint, NULL::text;
      RETURN;
    END IF;
    prev := cp.chain_hash;
    expected_from := cp.to_id + 1;
    last_id := cp.id;
  END LOOP;
  RETURN QUERY SELECT true, NULL::text, NULL::bigint, total, cps, last_id, prev;
END
$$;
--> statement-breakpoint
ALTER FUNCTION audit_verify_from(bigint, text) OWNER TO app_owner;
--> statement-breakpoint
-- The full check, as before (same columns).
CREATE OR REPLACE FUNCTION audit_verify()
RETURNS TABLE (ok boolean, problem text, first_bad_id bigint, checked_rows bigint, checkpoints bigint)
LANGUAGE sql STABLE AS $$
  SELECT v.ok, v.problem, v.first_bad_id, v.checked_rows, v.checkpoints
    FROM audit_verify_from(0, 'genesis') v
$$;
