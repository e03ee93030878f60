-- Seats taken in a batch: its active enrolments and its pending_payment holds that have not
-- expired (an expired hold stops counting at once; the maintenance job only tidies its status).
-- The public course page reads as `anonymous` and a student enrolling sees only their own
-- enrolments, so neither could count them: definer's rights, exactly as batch_next_session_at
-- (migration 0020), and only for batches the public catalogue shows (else NULL).
CREATE POLICY enrolments_seats_taken ON enrolments FOR SELECT TO app_owner
  USING ((SELECT app_role()) = 'system');
--> statement-breakpoint
CREATE OR REPLACE FUNCTION batch_seats_taken(p_batch uuid) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
SET app.ctx = ''
AS $$
DECLARE
  taken integer;
BEGIN
  -- The tables' owner is under FORCE ROW LEVEL SECURITY too: read as system, in this call's
  -- own context (SET app.ctx restores the caller's when the function returns).
  PERFORM public._app_enter_trusted(NULL, 'system');
  IF NOT EXISTS (SELECT 1 FROM public.batches b
                   JOIN public.courses c ON c.id = b.course_id AND c.status = 'published'
                  WHERE b.id = p_batch AND b.status <> 'cancelled') THEN
    RETURN NULL;
  END IF;
  SELECT count(*)::integer INTO taken
    FROM public.enrolments e
   WHERE e.batch_id = p_batch
     AND (e.status = 'active' OR (e.status = 'pending_payment' AND e.hold_expires_at > now()));
  RETURN taken;
END
$$;
--> statement-breakpoint
ALTER FUNCTION batch_seats_taken(uuid) OWNER TO app_owner;
--> statement-breakpoint
REVOKE ALL ON FUNCTION batch_seats_taken(uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION batch_seats_taken(uuid) TO app_runtime;
--> statement-breakpoint
-- Takes the batch's seat lock until the transaction ends, then counts its seats taken: every
-- seat-taking write (a student's enrolment, an admin's grant) calls it first, so they take turns
-- per batch and each counts what the one before it committed. A transaction-scoped advisory
-- lock, not `SELECT … FOR UPDATE` on the batch: a student may only SELECT batches, and FOR UPDATE
-- needs the UPDATE policy, which only admins and system have. One round trip for both: the count
-- is a later statement of this VOLATILE function, so it sees a fresh snapshot taken after the
-- lock. NULL for batches the public catalogue does not show (the lock is taken all the same).
CREATE OR REPLACE FUNCTION batch_lock_seats(p_batch uuid) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  taken integer;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('enrolment_seats:' || p_batch::text, 0));
  SELECT public.batch_seats_taken(p_batch) INTO taken;
  RETURN taken;
END
$$;
--> statement-breakpoint
ALTER FUNCTION batch_lock_seats(uuid) OWNER TO app_owner;
--> statement-breakpoint
REVOKE ALL ON FUNCTION batch_lock_seats(uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION batch_lock_seats(uuid) TO app_runtime;
