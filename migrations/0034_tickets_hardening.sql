ALTER TABLE "tickets" DROP CONSTRAINT "tickets_number_check";--> statement-breakpoint
DROP INDEX "tickets_first_response_clock_idx";--> statement-breakpoint
DROP INDEX "tickets_resolution_clock_idx";--> statement-breakpoint
CREATE INDEX "tickets_first_response_risk_idx" ON "tickets" USING btree ("first_response_at_risk_at") WHERE "tickets"."first_response_sla" = 'ok' and "tickets"."status" in ('open', 'on_hold');--> statement-breakpoint
CREATE INDEX "tickets_first_response_due_idx" ON "tickets" USING btree ("first_response_due_at") WHERE "tickets"."first_response_sla" <> 'breached' and "tickets"."status" in ('open', 'on_hold');--> statement-breakpoint
CREATE INDEX "tickets_resolution_risk_idx" ON "tickets" USING btree ("resolution_at_risk_at") WHERE "tickets"."resolution_sla" = 'ok' and "tickets"."status" in ('open', 'on_hold');--> statement-breakpoint
CREATE INDEX "tickets_resolution_due_idx" ON "tickets" USING btree ("resolution_due_at") WHERE "tickets"."resolution_sla" <> 'breached' and "tickets"."status" in ('open', 'on_hold');--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_number_check" CHECK ("tickets"."number" = format('TKT-%s-%s', "tickets"."year", lpad("tickets"."seq"::text, greatest(6, length("tickets"."seq"::text)), '0')));--> statement-breakpoint
-- The guard, tightened (review of 0033):
--   * a rating needs solved_at only when it is given: reopening a rated ticket clears solved_at;
--   * a student's context may move a ticket only to `closed`, or `open` from pending, on hold,
--     or solved less than 7 days ago; may not set solved_at or closed_at otherwise, nor give a
--     rating except with rated_at, nor touch the SLA marks, priority, assignee or links.
CREATE OR REPLACE FUNCTION tickets_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.number, NEW.year, NEW.seq, NEW.student_id, NEW.created_at)
     IS DISTINCT FROM (OLD.number, OLD.year, OLD.seq, OLD.student_id, OLD.created_at) THEN
    RAISE EXCEPTION 'a ticket keeps its number, owner and opening time' USING ERRCODE = '23514';
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
  IF OLD.rating IS NULL AND NEW.rating IS NOT NULL AND NEW.solved_at IS NULL THEN
    RAISE EXCEPTION 'a ticket is rated after it was solved' USING ERRCODE = '23514';
  END IF;
  IF (SELECT app_role()) = 'student' AND (
       (NEW.subject, NEW.category, NEW.priority, NEW.assignee_id, NEW.enrolment_id,
        NEW.payment_id, NEW.first_responded_at, NEW.first_response_sla, NEW.resolution_sla)
       IS DISTINCT FROM
       (OLD.subject, OLD.category, OLD.priority, OLD.assignee_id, OLD.enrolment_id,
        OLD.payment_id, OLD.first_responded_at, OLD.first_response_sla, OLD.resolution_sla)
       OR (NEW.status IS DISTINCT FROM OLD.status AND NOT (
             NEW.status = 'closed'
             OR (NEW.status = 'open' AND OLD.status IN ('pending', 'on_hold'))
             OR (NEW.status = 'open' AND OLD.status = 'solved'
                 AND OLD.solved_at > now() - interval '7 days')))
       OR (NEW.solved_at IS DISTINCT FROM OLD.solved_at
           AND NOT (NEW.solved_at IS NULL AND OLD.status = 'solved' AND NEW.status = 'open'))
       OR (NEW.closed_at IS DISTINCT FROM OLD.closed_at AND NEW.status <> 'closed')) THEN
    RAISE EXCEPTION 'a student may only reply, close, reopen or rate' USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
-- Numbers are taken by a student opening a ticket, in a verified context: app_role() is never
-- NULL (no context reads as 'anonymous'), so 0033's check let any session use numbers up.
CREATE OR REPLACE FUNCTION next_ticket_number() RETURNS TABLE (ticket_year smallint, ticket_seq integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE y smallint := extract(year FROM now() AT TIME ZONE 'Asia/Kolkata')::smallint;
BEGIN
  IF (SELECT app_role()) IS DISTINCT FROM 'student' THEN
    RAISE EXCEPTION 'ticket numbers are taken by a student opening a ticket' USING ERRCODE = '42501';
  END IF;
  RETURN QUERY
    INSERT INTO ticket_counters AS c (year, last) VALUES (y, 1)
    ON CONFLICT ON CONSTRAINT ticket_counters_pkey DO UPDATE SET last = c.last + 1
    RETURNING c.year, c.last;
END
$$;
--> statement-breakpoint
-- A stopped clock has no at-risk instant either (0033 kept a past one, so the job read it
-- every minute): clear both where the deadline is unknown.
UPDATE tickets SET first_response_at_risk_at = NULL WHERE first_response_due_at IS NULL;
--> statement-breakpoint
UPDATE tickets SET resolution_at_risk_at = NULL WHERE resolution_due_at IS NULL;
