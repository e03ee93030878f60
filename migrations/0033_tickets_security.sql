-- Support tickets: owner, grants, row-level security, the lifecycle guard and ticket numbers.
--
-- Who sees what, through app_runtime and a verified context (app_enter, migration 0011):
--   * a student: their own tickets; their messages except internal notes (no policy ever shows
--     a note to a student, whatever the route); the public kinds of timeline event; their
--     attachments. They may open a ticket, reply, upload, close, reopen and rate, narrowed by
--     tickets_guard;
--   * admins and super admins: every ticket, message, note, event and attachment;
--   * system (the SLA and auto-close jobs): everything;
--   * no verified context: nothing.
-- Nobody updates or deletes a message, an event or an attachment: the thread is append-only.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tickets', 'ticket_messages', 'ticket_events', 'ticket_attachments',
                            'ticket_counters']
  LOOP
    EXECUTE format('ALTER TABLE %I OWNER TO app_owner', t);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR ALL TO app_runtime USING ((SELECT app_role()) = ''system'') WITH CHECK ((SELECT app_role()) = ''system'')',
      t || '_system', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['tickets', 'ticket_messages', 'ticket_events', 'ticket_attachments']
  LOOP
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR SELECT TO app_runtime USING ((SELECT app_is_admin()))',
      t || '_admin_select', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR INSERT TO app_runtime WITH CHECK ((SELECT app_is_admin()))',
      t || '_admin_insert', t);
  END LOOP;
END
$$;
--> statement-breakpoint
CREATE POLICY tickets_admin_update ON tickets FOR UPDATE TO app_runtime
  USING ((SELECT app_is_admin())) WITH CHECK ((SELECT app_is_admin()));
--> statement-breakpoint
CREATE POLICY tickets_own_select ON tickets FOR SELECT TO app_runtime
  USING (student_id = (SELECT app_user_id()));
--> statement-breakpoint
CREATE POLICY tickets_own_insert ON tickets FOR INSERT TO app_runtime
  WITH CHECK (student_id = (SELECT app_user_id()) AND (SELECT app_role()) = 'student');
--> statement-breakpoint
CREATE POLICY tickets_own_update ON tickets FOR UPDATE TO app_runtime
  USING (student_id = (SELECT app_user_id())) WITH CHECK (student_id = (SELECT app_user_id()));
--> statement-breakpoint
CREATE POLICY ticket_messages_own_select ON ticket_messages FOR SELECT TO app_runtime
  USING (NOT internal AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = ticket_messages.ticket_id
                                     AND t.student_id = (SELECT app_user_id())));
--> statement-breakpoint
CREATE POLICY ticket_messages_own_insert ON ticket_messages FOR INSERT TO app_runtime
  WITH CHECK (NOT internal AND author_role = 'student' AND author_id = (SELECT app_user_id())
              AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = ticket_messages.ticket_id
                             AND t.student_id = (SELECT app_user_id())));
--> statement-breakpoint
-- The kinds of event a student's timeline shows (never note_added, assignee or SLA marks).
CREATE OR REPLACE FUNCTION ticket_event_is_public(p_kind text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT p_kind IN ('created', 'status_changed', 'replied', 'attachment_added', 'rated')
$$;
--> statement-breakpoint
ALTER FUNCTION ticket_event_is_public(text) OWNER TO app_owner;
--> statement-breakpoint
CREATE POLICY ticket_events_own_select ON ticket_events FOR SELECT TO app_runtime
  USING (ticket_event_is_public(kind)
         AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = ticket_events.ticket_id
                        AND t.student_id = (SELECT app_user_id())));
--> statement-breakpoint
CREATE POLICY ticket_events_own_insert ON ticket_events FOR INSERT TO app_runtime
  WITH CHECK (ticket_event_is_public(kind) AND actor_id = (SELECT app_user_id())
              AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = ticket_events.ticket_id
                             AND t.student_id = (SELECT app_user_id())));
--> statement-breakpoint
CREATE POLICY ticket_attachments_own_select ON ticket_attachments FOR SELECT TO app_runtime
  USING (EXISTS (SELECT 1 FROM tickets t WHERE t.id = ticket_attachments.ticket_id
                    AND t.student_id = (SELECT app_user_id())));
--> statement-breakpoint
CREATE POLICY ticket_attachments_own_insert ON ticket_attachments FOR INSERT TO app_runtime
  WITH CHECK (uploaded_by = (SELECT app_user_id())
              AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = ticket_attachments.ticket_id
                             AND t.student_id = (SELECT app_user_id())));
--> statement-breakpoint
ALTER SEQUENCE ticket_events_id_seq OWNER TO app_owner;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON tickets TO app_runtime;
--> statement-breakpoint
GRANT SELECT, INSERT ON ticket_messages, ticket_events, ticket_attachments TO app_runtime;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE ticket_events_id_seq TO app_runtime;
--> statement-breakpoint
-- The lifecycle, whoever writes: `closed` is final; a status moves only along the lifecycle
-- (the service answers 409 first; this is the backstop). What identifies a ticket never
-- changes; a rating is given once, after the ticket was solved. A student may change only
-- the status (reopen or close), the rating and the clocks that follow from them.
CREATE OR REPLACE FUNCTION tickets_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.number, NEW.year, NEW.seq, NEW.student_id, NEW.created_at)
     IS DISTINCT FROM (OLD.number, OLD.year, OLD.seq, OLD.student_id, OLD.created_at) THEN
    RAISE EXCEPTION 'a ticket keeps its number and owner' USING ERRCODE = '23514';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status IN ('open', 'pending', 'on_hold')
        AND NEW.status IN ('open', 'pending', 'on_hold', 'solved', 'closed'))
       OR (OLD.status = 'solved' AND NEW.status IN ('open', 'closed'))) THEN
    RAISE EXCEPTION 'a ticket cannot move from % to %', OLD.status, NEW.status
      USING ERRCODE = '23514';
  END IF;
  IF OLD.rating IS NOT NULL
     AND (NEW.rating, NEW.rating_comment, NEW.rated_at)
         IS DISTINCT FROM (OLD.rating, OLD.rating_comment, OLD.rated_at) THEN
    RAISE EXCEPTION 'a ticket is rated once' USING ERRCODE = '23514';
  END IF;
  IF NEW.rating IS NOT NULL AND NEW.solved_at IS NULL THEN
    RAISE EXCEPTION 'a ticket is rated after it was solved' USING ERRCODE = '23514';
  END IF;
  IF (SELECT app_role()) = 'student' AND (
       (NEW.subject, NEW.category, NEW.priority, NEW.assignee_id, NEW.enrolment_id,
        NEW.payment_id, NEW.first_responded_at, NEW.first_response_sla, NEW.resolution_sla)
       IS DISTINCT FROM
       (OLD.subject, OLD.category, OLD.priority, OLD.assignee_id, OLD.enrolment_id,
        OLD.payment_id, OLD.first_responded_at, OLD.first_response_sla, OLD.resolution_sla)
       OR (NEW.status IS DISTINCT FROM OLD.status AND NEW.status NOT IN ('open', 'closed'))) THEN
    RAISE EXCEPTION 'a student may only reply, close, reopen or rate' USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER FUNCTION tickets_guard() OWNER TO app_owner;
--> statement-breakpoint
CREATE TRIGGER tickets_guard BEFORE UPDATE ON tickets
  FOR EACH ROW EXECUTE FUNCTION tickets_guard();
--> statement-breakpoint
-- The next ticket number of the current IST calendar year. Called in its own short statement
-- before the ticket's transaction, so the counter row is locked for that statement only and
-- never for a whole creation: concurrent openings take distinct, increasing numbers without
-- queueing behind each other's transactions. A creation that then fails leaves a gap.
CREATE OR REPLACE FUNCTION next_ticket_number() RETURNS TABLE (ticket_year smallint, ticket_seq integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE y smallint := extract(year FROM now() AT TIME ZONE 'Asia/Kolkata')::smallint;
BEGIN
  IF (SELECT app_role()) IS NULL THEN
    RAISE EXCEPTION 'no verified context' USING ERRCODE = '42501';
  END IF;
  RETURN QUERY
    INSERT INTO ticket_counters AS c (year, last) VALUES (y, 1)
    ON CONFLICT ON CONSTRAINT ticket_counters_pkey DO UPDATE SET last = c.last + 1
    RETURNING c.year, c.last;
END
$$;
--> statement-breakpoint
-- The function runs as app_owner (SECURITY DEFINER): only it touches the counters.
CREATE POLICY ticket_counters_owner ON ticket_counters FOR ALL TO app_owner
  USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER FUNCTION next_ticket_number() OWNER TO app_owner;
--> statement-breakpoint
REVOKE ALL ON FUNCTION next_ticket_number() FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION next_ticket_number() TO app_runtime;
