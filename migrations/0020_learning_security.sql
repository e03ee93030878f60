-- Learning (enrolments, class sessions, attendance, recordings, webhook events, calendar
-- feeds): owner, grants, row-level security, the rules a student's own writes must follow, and
-- the attendance arithmetic, in the database so every caller gets the same answer.
--
-- Who sees what, through app_runtime and a verified context (app_enter, migration 0011):
--   * students: their own enrolments, calendar feed and attendance; the sessions and
--     recordings of batches in which they hold an ACTIVE enrolment, nothing else;
--   * admins and super admins: everything; they alone write sessions and grant enrolments;
--   * system (webhooks, scheduled jobs): everything;
--   * no verified context: nothing.
-- Nobody deletes (a session is cancelled, an enrolment cancelled or expired), except a user's
-- own calendar feed (revoked) and the retention purge of webhook events.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['enrolments', 'class_sessions', 'attendance_intervals', 'recordings',
                           'webhook_events', 'calendar_feeds']
  LOOP
    EXECUTE format('ALTER TABLE %I OWNER TO app_owner', t);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR ALL TO app_runtime USING ((SELECT app_role()) = ''system'') WITH CHECK ((SELECT app_role()) = ''system'')',
      t || '_system', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['enrolments', 'class_sessions', 'attendance_intervals', 'recordings',
                           'webhook_events']
  LOOP
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR SELECT TO app_runtime USING ((SELECT app_is_admin()))',
      t || '_admin_select', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['enrolments', 'class_sessions']
  LOOP
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR INSERT TO app_runtime WITH CHECK ((SELECT app_is_admin()))',
      t || '_admin_insert', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR UPDATE TO app_runtime USING ((SELECT app_is_admin())) WITH CHECK ((SELECT app_is_admin()))',
      t || '_admin_update', t);
  END LOOP;
END
$$;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON enrolments, class_sessions, attendance_intervals, recordings
  TO app_runtime;
--> statement-breakpoint
GRANT SELECT, INSERT, DELETE ON webhook_events TO app_runtime;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON calendar_feeds TO app_runtime;
--> statement-breakpoint
-- A student's own rows. What a student may write to them is narrowed by enrolments_guard.
CREATE POLICY enrolments_own_select ON enrolments FOR SELECT TO app_runtime
  USING (user_id = (SELECT app_user_id()));
--> statement-breakpoint
CREATE POLICY enrolments_own_insert ON enrolments FOR INSERT TO app_runtime
  WITH CHECK (user_id = (SELECT app_user_id()));
--> statement-breakpoint
CREATE POLICY enrolments_own_update ON enrolments FOR UPDATE TO app_runtime
  USING (user_id = (SELECT app_user_id())) WITH CHECK (user_id = (SELECT app_user_id()));
--> statement-breakpoint
CREATE POLICY attendance_intervals_own_select ON attendance_intervals FOR SELECT TO app_runtime
  USING (user_id = (SELECT app_user_id()));
--> statement-breakpoint
CREATE POLICY calendar_feeds_own ON calendar_feeds FOR ALL TO app_runtime
  USING (user_id = (SELECT app_user_id())) WITH CHECK (user_id = (SELECT app_user_id()));
--> statement-breakpoint
-- Sessions and recordings: only for an active enrolment in their batch.
CREATE POLICY class_sessions_enrolled_select ON class_sessions FOR SELECT TO app_runtime
  USING (EXISTS (SELECT 1 FROM enrolments e
                  WHERE e.batch_id = class_sessions.batch_id
                    AND e.user_id = (SELECT app_user_id()) AND e.status = 'active'));
--> statement-breakpoint
CREATE POLICY recordings_enrolled_select ON recordings FOR SELECT TO app_runtime
  USING (EXISTS (SELECT 1 FROM class_sessions s JOIN enrolments e ON e.batch_id = s.batch_id
                  WHERE s.id = recordings.session_id
                    AND e.user_id = (SELECT app_user_id()) AND e.status = 'active'));
--> statement-breakpoint
-- What a seat in a batch costs now: the batch's override, else its course's price (INR paise).
CREATE OR REPLACE FUNCTION batch_price_paise(p_batch uuid) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT coalesce(b.price_paise_override, c.price_paise)
    FROM batches b JOIN courses c ON c.id = b.course_id
   WHERE b.id = p_batch
$$;
--> statement-breakpoint
ALTER FUNCTION batch_price_paise(uuid) OWNER TO app_owner;
--> statement-breakpoint
-- For every role: an enrolment stays with its student and batch. For a student's own writes
-- (admins and system are trusted with grants, payment confirmation and expiry):
--   * a new or renewed enrolment is the student's own, at the batch's current price, and either
--     `pending_payment` with a hold of at most 31 minutes, or `active` only if the seat is free;
--   * the only other change is giving a seat back (`pending_payment`/`active` → `cancelled`).
-- Capacity is the service's job (under the batch row's lock); this guard is defence in depth.
CREATE OR REPLACE FUNCTION enrolments_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  price integer;
BEGIN
  IF TG_OP = 'UPDATE' AND (NEW.user_id IS DISTINCT FROM OLD.user_id
                           OR NEW.batch_id IS DISTINCT FROM OLD.batch_id) THEN
    RAISE EXCEPTION 'an enrolment stays with its student and batch' USING ERRCODE = '42501';
  END IF;
  IF current_user <> 'app_runtime' OR (SELECT app_role()) IN ('admin', 'super_admin', 'system') THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.status = 'cancelled' AND OLD.status IN ('pending_payment', 'active')
     AND (NEW.source, NEW.grant_reason, NEW.price_paise, NEW.activated_at)
         IS NOT DISTINCT FROM (OLD.source, OLD.grant_reason, OLD.price_paise, OLD.activated_at) THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.status NOT IN ('cancelled', 'expired') THEN
    RAISE EXCEPTION 'a student may only give back an enrolment' USING ERRCODE = '42501';
  END IF;
  price := batch_price_paise(NEW.batch_id);
  IF NEW.source <> 'self' OR NEW.grant_reason IS NOT NULL OR NEW.price_paise IS DISTINCT FROM price THEN
    RAISE EXCEPTION 'a student enrols themselves at the batch''s price' USING ERRCODE = '42501';
  END IF;
  IF NOT ((NEW.status = 'pending_payment' AND NEW.hold_expires_at <= now() + interval '31 minutes')
          OR (NEW.status = 'active' AND price = 0)) THEN
    RAISE EXCEPTION 'a student''s enrolment starts pending payment, or active when free'
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER FUNCTION enrolments_guard() OWNER TO app_owner;
--> statement-breakpoint
CREATE TRIGGER enrolments_guard BEFORE INSERT OR UPDATE ON enrolments
  FOR EACH ROW EXECUTE FUNCTION enrolments_guard();
--> statement-breakpoint
-- A session moves scheduled → live → ended (Zoom's events; a missed `meeting.started` may go
-- straight to ended), or to cancelled before it ends; it stays with its batch and meeting, and
-- is frozen once cancelled.
CREATE OR REPLACE FUNCTION class_sessions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user <> 'app_runtime' THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'scheduled' THEN
      RAISE EXCEPTION 'a session starts as scheduled' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.batch_id IS DISTINCT FROM OLD.batch_id OR NEW.zoom_meeting_id IS DISTINCT FROM OLD.zoom_meeting_id THEN
    RAISE EXCEPTION 'a session stays with its batch and meeting' USING ERRCODE = '42501';
  END IF;
  IF OLD.status = 'cancelled' AND NEW IS DISTINCT FROM OLD THEN
    RAISE EXCEPTION 'a cancelled session is frozen' USING ERRCODE = '42501';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'scheduled' AND NEW.status IN ('live', 'ended', 'cancelled'))
    OR (OLD.status = 'live' AND NEW.status IN ('ended', 'cancelled'))) THEN
    RAISE EXCEPTION 'a session cannot go from % to %', OLD.status, NEW.status USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER FUNCTION class_sessions_guard() OWNER TO app_owner;
--> statement-breakpoint
CREATE TRIGGER class_sessions_guard BEFORE INSERT OR UPDATE ON class_sessions
  FOR EACH ROW EXECUTE FUNCTION class_sessions_guard();
--> statement-breakpoint
-- Attendance of everyone enrolled in a batch (any enrolment status), over the sessions held so
-- far: not cancelled, and ended (by Zoom's event or by the clock). A session's window is the
-- meeting's real start and end when Zoom reported them, else its schedule. A student's time in
-- a session is the length of the UNION of their intervals inside that window (a drop and rejoin,
-- or a duplicate event, never counts twice; an interval still open ends with the window),
-- capped at the session's scheduled length. `percent` is rounded down (74.9 is not 75) and null
-- while no session has been held. Runs with the caller's rights: RLS decides whose rows count.
CREATE OR REPLACE FUNCTION batch_attendance(p_batch uuid)
RETURNS TABLE (user_id uuid, attended_seconds bigint, held_seconds bigint, percent integer)
LANGUAGE sql STABLE AS $$
  WITH held AS (
    SELECT s.id, s.duration_minutes * 60 AS seconds,
           tstzrange(w.start_at,
                     greatest(w.start_at, coalesce(s.ended_at,
                       w.start_at + make_interval(mins => s.duration_minutes)))) AS win
      FROM class_sessions s
     CROSS JOIN LATERAL (SELECT coalesce(s.started_at, s.starts_at) AS start_at) w
     WHERE s.batch_id = p_batch AND s.status <> 'cancelled'
       AND (s.status = 'ended' OR s.starts_at + make_interval(mins => s.duration_minutes) <= now())
  ),
  total AS (SELECT coalesce(sum(seconds), 0)::bigint AS seconds FROM held),
  per_session AS (
    SELECT a.user_id, h.seconds AS cap,
           range_agg(tstzrange(a.joined_at, coalesce(a.left_at, 'infinity'::timestamptz)) * h.win) AS spans
      FROM held h JOIN attendance_intervals a ON a.session_id = h.id
     WHERE a.user_id IS NOT NULL
     GROUP BY a.user_id, h.id, h.seconds
  ),
  per_user AS (
    SELECT p.user_id,
           sum(least(p.cap, (SELECT coalesce(sum(extract(epoch FROM upper(r) - lower(r))), 0)
                               FROM unnest(p.spans) r)))::bigint AS seconds
      FROM per_session p
     GROUP BY p.user_id
  )
  SELECT e.user_id, coalesce(u.seconds, 0)::bigint, t.seconds,
         CASE WHEN t.seconds > 0 THEN floor(100.0 * coalesce(u.seconds, 0) / t.seconds)::integer END
    FROM enrolments e
   CROSS JOIN total t
    LEFT JOIN per_user u ON u.user_id = e.user_id
   WHERE e.batch_id = p_batch
$$;
--> statement-breakpoint
ALTER FUNCTION batch_attendance(uuid) OWNER TO app_owner;
--> statement-breakpoint
-- The public course page shows each open batch's next class time, and nothing else about its
-- sessions (the rows carry join URLs, readable only by the enrolled). Definer's rights, so it
-- reads past RLS; it answers only for batches the public catalogue shows.
-- The function below runs as app_owner (SECURITY DEFINER) in a system context of its own:
-- these read-only policies let it see the three tables, and nothing else runs as app_owner.
CREATE POLICY class_sessions_next_session ON class_sessions FOR SELECT TO app_owner
  USING ((SELECT app_role()) = 'system');
--> statement-breakpoint
CREATE POLICY batches_next_session ON batches FOR SELECT TO app_owner
  USING ((SELECT app_role()) = 'system');
--> statement-breakpoint
CREATE POLICY courses_next_session ON courses FOR SELECT TO app_owner
  USING ((SELECT app_role()) = 'system');
--> statement-breakpoint
CREATE OR REPLACE FUNCTION batch_next_session_at(p_batch uuid) RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
SET app.ctx = ''
AS $$
DECLARE
  next_at timestamptz;
BEGIN
  -- The tables' owner is under FORCE ROW LEVEL SECURITY too: read as system, in this call's
  -- own context (SET app.ctx restores the caller's when the function returns).
  PERFORM public._app_enter_trusted(NULL, 'system');
  SELECT min(s.starts_at) INTO next_at
    FROM public.class_sessions s
    JOIN public.batches b ON b.id = s.batch_id AND b.status <> 'cancelled'
    JOIN public.courses c ON c.id = b.course_id AND c.status = 'published'
   WHERE s.batch_id = p_batch AND s.status IN ('scheduled', 'live')
     AND s.starts_at + make_interval(mins => s.duration_minutes) > now();
  RETURN next_at;
END
$$;
--> statement-breakpoint
ALTER FUNCTION batch_next_session_at(uuid) OWNER TO app_owner;
--> statement-breakpoint
REVOKE ALL ON FUNCTION batch_next_session_at(uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION batch_next_session_at(uuid) TO app_runtime;
