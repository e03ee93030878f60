-- Certificates: owner, grants, row-level security, immutable content and final revocation; and
-- the rule that a student sets the name certificates print once.
--
-- Who sees what, through app_runtime and a verified context (app_enter, migration 0011):
--   * students: their own certificates;
--   * admins and super admins: every certificate (read); issuing and revoking are written by
--     the service as `system` after it checked the admin, who is recorded as the actor;
--   * system (issuing, revoking, the public verify page): reads and writes;
--   * no verified context: nothing. The public verify page reads as `system` and returns only
--     what an employer needs (src/domains/certificates).
ALTER TABLE certificates OWNER TO app_owner;
--> statement-breakpoint
ALTER TABLE certificates ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE certificates FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON certificates TO app_runtime;
--> statement-breakpoint
CREATE POLICY certificates_system ON certificates FOR ALL TO app_runtime
  USING ((SELECT app_role()) = 'system') WITH CHECK ((SELECT app_role()) = 'system');
--> statement-breakpoint
CREATE POLICY certificates_admin_select ON certificates FOR SELECT TO app_runtime
  USING ((SELECT app_is_admin()));
--> statement-breakpoint
CREATE POLICY certificates_own_select ON certificates FOR SELECT TO app_runtime
  USING (user_id = (SELECT app_user_id()));
--> statement-breakpoint
-- For every writer: what a certificate says never changes; it is issued valid; revocation is
-- one-way and records when, why and who; every change bumps `version` (cache keys).
CREATE OR REPLACE FUNCTION certificates_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.revoked_at IS NOT NULL OR NEW.version <> 1 THEN
      RAISE EXCEPTION 'a certificate is issued valid, at version 1' USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
  END IF;
  IF (NEW.code, NEW.enrolment_id, NEW.user_id, NEW.batch_id, NEW.course_id, NEW.printed_name,
      NEW.course_title, NEW.batch_name, NEW.start_date, NEW.end_date, NEW.attendance_pct,
      NEW.issuer_name, NEW.source, NEW.manual_reason, NEW.issued_by, NEW.issued_at)
     IS DISTINCT FROM
     (OLD.code, OLD.enrolment_id, OLD.user_id, OLD.batch_id, OLD.course_id, OLD.printed_name,
      OLD.course_title, OLD.batch_name, OLD.start_date, OLD.end_date, OLD.attendance_pct,
      OLD.issuer_name, OLD.source, OLD.manual_reason, OLD.issued_by, OLD.issued_at) THEN
    RAISE EXCEPTION 'an issued certificate never changes what it says' USING ERRCODE = '23514';
  END IF;
  IF OLD.revoked_at IS NOT NULL THEN
    RAISE EXCEPTION 'a revoked certificate stays revoked: issue a new one' USING ERRCODE = '23514';
  END IF;
  IF NEW.revoked_at IS NOT NULL AND (NEW.revoked_by IS NULL OR NEW.version <> OLD.version + 1) THEN
    RAISE EXCEPTION 'a revocation records who, and bumps the version' USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER FUNCTION certificates_guard() OWNER TO app_owner;
--> statement-breakpoint
CREATE TRIGGER certificates_guard BEFORE INSERT OR UPDATE ON certificates
  FOR EACH ROW EXECUTE FUNCTION certificates_guard();
--> statement-breakpoint
-- A student sets the name their certificates print once (spelling, script); after that only
-- an admin (or the system) changes it. Setting it stamps when.
CREATE OR REPLACE FUNCTION users_certificate_name_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user <> 'app_runtime' OR (SELECT app_role()) IN ('admin', 'super_admin', 'system') THEN
    RETURN NEW;
  END IF;
  IF NEW.certificate_name IS DISTINCT FROM OLD.certificate_name
     OR NEW.certificate_name_set_at IS DISTINCT FROM OLD.certificate_name_set_at THEN
    IF OLD.certificate_name_set_at IS NOT NULL THEN
      RAISE EXCEPTION 'the certificate name was already set once' USING ERRCODE = '42501';
    END IF;
    IF NEW.certificate_name IS NULL OR NEW.certificate_name_set_at IS NULL THEN
      RAISE EXCEPTION 'setting the certificate name stamps when' USING ERRCODE = '42501';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER FUNCTION users_certificate_name_guard() OWNER TO app_owner;
--> statement-breakpoint
CREATE TRIGGER users_certificate_name_guard BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION users_certificate_name_guard();
