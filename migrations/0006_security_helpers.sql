-- The seed's RLS test framework, as SQL: used by tests and by operators.

-- Every policy with its table's RLS flags, for review.
CREATE OR REPLACE VIEW rls_policies_audit AS
SELECT c.relname AS table_name,
       c.relrowsecurity AS rls_enabled,
       c.relforcerowsecurity AS rls_forced,
       p.policyname AS policy_name,
       p.cmd AS command,
       p.roles AS roles,
       p.qual AS using_expression,
       p.with_check AS check_expression
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
LEFT JOIN pg_policies p ON p.schemaname = 'public' AND p.tablename = c.relname
WHERE c.relkind IN ('r', 'p');
--> statement-breakpoint
ALTER VIEW rls_policies_audit OWNER TO app_owner;
--> statement-breakpoint
-- What must be fixed for RLS to be real; an empty result means nothing.
CREATE OR REPLACE FUNCTION validate_security_setup()
RETURNS TABLE (issue text, object_name text) LANGUAGE sql STABLE AS $$
  SELECT 'row level security not enabled', c.relname::text
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity
  UNION ALL
  SELECT 'row level security not forced', c.relname::text
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relforcerowsecurity
  UNION ALL
  SELECT 'table has no policies', c.relname::text
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND NOT EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname)
  UNION ALL
  SELECT 'table not owned by app_owner', c.relname::text
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND pg_get_userbyid(c.relowner) <> 'app_owner'
  UNION ALL
  SELECT 'runtime role bypasses row level security', r.rolname::text
    FROM pg_roles r WHERE r.rolname = 'app_runtime' AND (r.rolbypassrls OR r.rolsuper)
  UNION ALL
  SELECT 'runtime role can create objects or roles', r.rolname::text
    FROM pg_roles r WHERE r.rolname = 'app_runtime' AND (r.rolcreatedb OR r.rolcreaterole)
  UNION ALL
  SELECT 'runtime role missing', 'app_runtime'
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_runtime')
$$;
--> statement-breakpoint
ALTER FUNCTION validate_security_setup() OWNER TO app_owner;
--> statement-breakpoint
-- Acts as app_runtime with a user's context for the rest of the transaction's subblock.
CREATE OR REPLACE FUNCTION _as_user(p_user uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE v_role text;
BEGIN
  SELECT role INTO v_role FROM users WHERE id = p_user;
  PERFORM set_config('app.user_id', coalesce(p_user::text, ''), true);
  PERFORM set_config('app.role', coalesce(v_role, 'anonymous'), true);
  SET LOCAL ROLE app_runtime;
END
$$;
--> statement-breakpoint
-- test_can_*: would this user, through the Worker's role, be able to …? Each attempt runs in
-- a subtransaction that is always rolled back, so nothing changes. Callers need membership in
-- app_runtime (tests and operators connect as an admin role).
CREATE OR REPLACE FUNCTION test_can_read(p_user uuid, p_table text, p_id text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  BEGIN
    PERFORM _as_user(p_user);
    EXECUTE format('SELECT count(*) FROM %I WHERE id::text = $1', p_table) INTO n USING p_id;
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'rollback:' || n;
  EXCEPTION
    WHEN insufficient_privilege THEN RETURN false;
    WHEN raise_exception THEN
      IF SQLERRM LIKE 'rollback:%' THEN RETURN split_part(SQLERRM, ':', 2)::bigint > 0; END IF;
      RAISE;
  END;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION test_can_insert(p_user uuid, p_table text, p_row jsonb)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE cols text;
BEGIN
  SELECT string_agg(quote_ident(a.attname), ', ') INTO cols
    FROM pg_attribute a
    WHERE a.attrelid = p_table::regclass AND a.attnum > 0 AND NOT a.attisdropped
      AND p_row ? a.attname;
  IF cols IS NULL THEN RAISE EXCEPTION 'row names no column of %', p_table; END IF;
  BEGIN
    PERFORM _as_user(p_user);
    EXECUTE format('INSERT INTO %I (%s) SELECT %s FROM jsonb_populate_record(NULL::%I, $1)',
      p_table, cols, cols, p_table) USING p_row;
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'rollback:1';
  EXCEPTION
    WHEN insufficient_privilege THEN RETURN false;
    WHEN raise_exception THEN
      IF SQLERRM LIKE 'rollback:%' THEN RETURN true; END IF;
      RAISE;
  END;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION test_can_update(p_user uuid, p_table text, p_id text, p_patch jsonb)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  sets text;
  n bigint;
BEGIN
  SELECT string_agg(format('%I = ($2->>%L)::%s', a.attname, a.attname, format_type(a.atttypid, a.atttypmod)), ', ')
    INTO sets
    FROM pg_attribute a
    WHERE a.attrelid = p_table::regclass AND a.attnum > 0 AND NOT a.attisdropped
      AND p_patch ? a.attname;
  IF sets IS NULL THEN RAISE EXCEPTION 'patch names no column of %', p_table; END IF;
  BEGIN
    PERFORM _as_user(p_user);
    EXECUTE format('UPDATE %I SET %s WHERE id::text = $1', p_table, sets) USING p_id, p_patch;
    GET DIAGNOSTICS n = ROW_COUNT;
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'rollback:' || n;
  EXCEPTION
    WHEN insufficient_privilege THEN RETURN false;
    WHEN raise_exception THEN
      IF SQLERRM LIKE 'rollback:%' THEN RETURN split_part(SQLERRM, ':', 2)::bigint > 0; END IF;
      RAISE;
  END;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION test_can_delete(p_user uuid, p_table text, p_id text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  BEGIN
    PERFORM _as_user(p_user);
    EXECUTE format('DELETE FROM %I WHERE id::text = $1', p_table) USING p_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'rollback:' || n;
  EXCEPTION
    WHEN insufficient_privilege THEN RETURN false;
    WHEN raise_exception THEN
      IF SQLERRM LIKE 'rollback:%' THEN RETURN split_part(SQLERRM, ':', 2)::bigint > 0; END IF;
      RAISE;
  END;
END
$$;
--> statement-breakpoint
-- Per table: what the Worker's role may do at all, and how many rows this user would see.
CREATE OR REPLACE FUNCTION get_user_permissions(p_user uuid)
RETURNS TABLE (table_name text, can_select boolean, can_insert boolean, can_update boolean,
               can_delete boolean, visible_rows bigint)
LANGUAGE plpgsql AS $$
DECLARE
  t text;
  n bigint;
BEGIN
  FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
           WHERE s.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname LOOP
    n := NULL;
    IF has_table_privilege('app_runtime', t, 'SELECT') THEN
      BEGIN
        PERFORM _as_user(p_user);
        EXECUTE format('SELECT count(*) FROM %I', t) INTO n;
        RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'rollback:' || n;
      EXCEPTION WHEN raise_exception THEN
        IF SQLERRM NOT LIKE 'rollback:%' THEN RAISE; END IF;
        n := split_part(SQLERRM, ':', 2)::bigint;
      END;
    END IF;
    table_name := t;
    can_select := has_table_privilege('app_runtime', t, 'SELECT');
    can_insert := has_table_privilege('app_runtime', t, 'INSERT');
    can_update := has_table_privilege('app_runtime', t, 'UPDATE');
    can_delete := has_table_privilege('app_runtime', t, 'DELETE');
    visible_rows := n;
    RETURN NEXT;
  END LOOP;
END
$$;
