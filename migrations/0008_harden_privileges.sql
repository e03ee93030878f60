-- Status changes: an admin may change only students; only a super admin may change an admin or
-- a super admin; nobody changes their own status (an admin must not lock out the super admins
-- or themselves). Applies to the Worker's role, like the rest of this guard.
CREATE OR REPLACE FUNCTION users_guard_privileged_columns() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user <> 'app_runtime' THEN
    RETURN NEW;
  END IF;
  IF NEW.role IS DISTINCT FROM OLD.role AND app_role() NOT IN ('super_admin', 'system') THEN
    RAISE EXCEPTION 'only a super admin may change a role' USING ERRCODE = '42501';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND app_role() <> 'system' THEN
    IF OLD.id = app_user_id() THEN
      RAISE EXCEPTION 'nobody may change their own status' USING ERRCODE = '42501';
    END IF;
    IF NOT (app_role() = 'super_admin' OR (app_role() = 'admin' AND OLD.role = 'student')) THEN
      RAISE EXCEPTION 'this role may not change that account''s status' USING ERRCODE = '42501';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
-- Test and operator helpers act as other users: not callable by the Worker's role.
REVOKE EXECUTE ON FUNCTION _as_user(uuid) FROM PUBLIC;
--> statement-breakpoint
REVOKE EXECUTE ON FUNCTION test_can_read(uuid, text, text) FROM PUBLIC;
--> statement-breakpoint
REVOKE EXECUTE ON FUNCTION test_can_insert(uuid, text, jsonb) FROM PUBLIC;
--> statement-breakpoint
REVOKE EXECUTE ON FUNCTION test_can_update(uuid, text, text, jsonb) FROM PUBLIC;
--> statement-breakpoint
REVOKE EXECUTE ON FUNCTION test_can_delete(uuid, text, text) FROM PUBLIC;
--> statement-breakpoint
REVOKE EXECUTE ON FUNCTION get_user_permissions(uuid) FROM PUBLIC;
