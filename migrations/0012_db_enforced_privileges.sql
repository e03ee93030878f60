-- Rules the services already follow, enforced by the database for the Worker's role, so a
-- service bug (or SQL in a user's context) cannot break them.
--
-- 1. Credentials (email, email_verified_at, password_hash, token_version) change only in the
--    system context: the flows that prove possession (password change and reset, email
--    verification, logout-all, disable, admin:create as the owner). No user, admin or super
--    admin context changes them directly; in particular an admin can never take over a super
--    admin's account by changing its email or password hash, or keep it signed in by holding
--    its token version.
-- 2. An admin's update reaches only students and the admin's own row; a super admin's reaches
--    everyone (the row policy). Status and role rules stay as in 0008.
-- 3. A student's own admin request can only be created as a fresh request: status
--    pending_verification, nothing verified or decided.
CREATE OR REPLACE FUNCTION users_guard_privileged_columns() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ctx_role text;
BEGIN
  IF current_user <> 'app_runtime' THEN
    RETURN NEW;
  END IF;
  ctx_role := app_role();
  IF ctx_role <> 'system' AND (
       NEW.email IS DISTINCT FROM OLD.email
    OR NEW.email_verified_at IS DISTINCT FROM OLD.email_verified_at
    OR NEW.password_hash IS DISTINCT FROM OLD.password_hash
    OR NEW.token_version IS DISTINCT FROM OLD.token_version) THEN
    RAISE EXCEPTION 'credentials (email, password, token version) change only through the account flows'
      USING ERRCODE = '42501';
  END IF;
  IF NEW.role IS DISTINCT FROM OLD.role AND ctx_role NOT IN ('super_admin', 'system') THEN
    RAISE EXCEPTION 'only a super admin may change a role' USING ERRCODE = '42501';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND ctx_role <> 'system' THEN
    IF OLD.id = app_user_id() THEN
      RAISE EXCEPTION 'nobody may change their own status' USING ERRCODE = '42501';
    END IF;
    IF NOT (ctx_role = 'super_admin' OR (ctx_role = 'admin' AND OLD.role = 'student')) THEN
      RAISE EXCEPTION 'this role may not change that account''s status' USING ERRCODE = '42501';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER POLICY users_admin_update ON users
  USING ((SELECT app_role()) = 'super_admin'
         OR ((SELECT app_role()) = 'admin' AND (role = 'student' OR id = (SELECT app_user_id()))))
  WITH CHECK ((SELECT app_is_admin()));
--> statement-breakpoint
ALTER POLICY admin_requests_self_insert ON admin_requests
  WITH CHECK (
    (SELECT app_role()) = 'student'
    AND user_id = (SELECT app_user_id())
    AND status = 'pending_verification'
    AND verified_at IS NULL
    AND decided_at IS NULL
    AND decided_by IS NULL
    AND decision_reason IS NULL
  );
