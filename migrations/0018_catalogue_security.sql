-- The catalogue (courses, batches): owner, grants, row-level security, and the status rules the
-- service enforces, enforced again by the database for the Worker's role.
--
-- Who sees what, through app_runtime and a verified context (app_enter, migration 0011):
--   * any verified context, anonymous included: published courses, and the batches of published
--     courses that are not cancelled (the public catalogue reads run as `anonymous`);
--   * admins and super admins: everything, and they alone insert and update;
--   * SQL without a verified context (no DB_CONTEXT_SECRET): nothing, as for every other table.
-- Nobody deletes: a course is archived, a batch cancelled.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['courses', 'batches']
  LOOP
    EXECUTE format('ALTER TABLE %I OWNER TO app_owner', t);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR ALL TO app_runtime USING ((SELECT app_role()) = ''system'') WITH CHECK ((SELECT app_role()) = ''system'')',
      t || '_system', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR SELECT TO app_runtime USING ((SELECT app_is_admin()))',
      t || '_admin_select', t);
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
GRANT SELECT, INSERT, UPDATE ON courses, batches TO app_runtime;
--> statement-breakpoint
CREATE POLICY courses_public_select ON courses FOR SELECT TO app_runtime
  USING (status = 'published' AND (SELECT app_context_verified()));
--> statement-breakpoint
CREATE POLICY batches_public_select ON batches FOR SELECT TO app_runtime
  USING (status <> 'cancelled' AND (SELECT app_context_verified())
         AND EXISTS (SELECT 1 FROM courses c WHERE c.id = course_id AND c.status = 'published'));
--> statement-breakpoint
-- A course's status moves draft → published → archived (or draft → archived: a draft that will
-- never run); published_at is stamped by the database's clock on first publication; the slug
-- is fixed once the course has left draft (its URL has been shared).
CREATE OR REPLACE FUNCTION courses_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'published' AND NEW.published_at IS NULL THEN
    NEW.published_at := now();
  END IF;
  IF current_user <> 'app_runtime' THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'draft' THEN
      RAISE EXCEPTION 'a course starts as a draft' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'draft' AND NEW.status IN ('published', 'archived'))
    OR (OLD.status = 'published' AND NEW.status = 'archived')) THEN
    RAISE EXCEPTION 'a course cannot go from % to %', OLD.status, NEW.status USING ERRCODE = '42501';
  END IF;
  IF NEW.slug IS DISTINCT FROM OLD.slug AND OLD.status <> 'draft' THEN
    RAISE EXCEPTION 'a course''s slug is fixed once it has left draft' USING ERRCODE = '42501';
  END IF;
  IF NEW.published_at IS DISTINCT FROM OLD.published_at AND OLD.published_at IS NOT NULL THEN
    RAISE EXCEPTION 'published_at is set once' USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER FUNCTION courses_guard() OWNER TO app_owner;
--> statement-breakpoint
CREATE TRIGGER courses_guard BEFORE INSERT OR UPDATE ON courses
  FOR EACH ROW EXECUTE FUNCTION courses_guard();
--> statement-breakpoint
-- A batch moves scheduled → running → completed, or to cancelled from either; it stays with its
-- course, is only added to a course that is not archived, and is frozen once completed or
-- cancelled.
CREATE OR REPLACE FUNCTION batches_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user <> 'app_runtime' THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'scheduled' THEN
      RAISE EXCEPTION 'a batch starts as scheduled' USING ERRCODE = '42501';
    END IF;
    IF EXISTS (SELECT 1 FROM courses c WHERE c.id = NEW.course_id AND c.status = 'archived') THEN
      RAISE EXCEPTION 'an archived course takes no new batches' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.course_id IS DISTINCT FROM OLD.course_id THEN
    RAISE EXCEPTION 'a batch stays with its course' USING ERRCODE = '42501';
  END IF;
  IF OLD.status IN ('completed', 'cancelled')
     AND (NEW.status, NEW.name, NEW.start_date, NEW.end_date, NEW.timezone, NEW.capacity,
          NEW.enrolment_opens_at, NEW.enrolment_closes_at, NEW.price_paise_override)
         IS DISTINCT FROM
         (OLD.status, OLD.name, OLD.start_date, OLD.end_date, OLD.timezone, OLD.capacity,
          OLD.enrolment_opens_at, OLD.enrolment_closes_at, OLD.price_paise_override) THEN
    RAISE EXCEPTION 'a % batch is frozen', OLD.status USING ERRCODE = '42501';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'scheduled' AND NEW.status IN ('running', 'cancelled'))
    OR (OLD.status = 'running' AND NEW.status IN ('completed', 'cancelled'))) THEN
    RAISE EXCEPTION 'a batch cannot go from % to %', OLD.status, NEW.status USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER FUNCTION batches_guard() OWNER TO app_owner;
--> statement-breakpoint
CREATE TRIGGER batches_guard BEFORE INSERT OR UPDATE ON batches
  FOR EACH ROW EXECUTE FUNCTION batches_guard();
