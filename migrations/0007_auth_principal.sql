-- One round trip per authenticated request instead of four (BEGIN, set_config, SELECT,
-- COMMIT): the function sets the system context for its own statement's transaction only
-- (set_config(..., true)) and reads exactly what requireAuth checks. SECURITY INVOKER, so it
-- runs as app_runtime and row-level security still applies.
CREATE OR REPLACE FUNCTION auth_principal(p_user uuid, p_session uuid)
RETURNS TABLE (
  id uuid, email text, role text, status text, token_version integer,
  last_active_at timestamptz, session_revoked_at timestamptz, session_expires_at timestamptz
)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
BEGIN
  PERFORM set_config('app.user_id', '', true);
  PERFORM set_config('app.role', 'system', true);
  RETURN QUERY
    SELECT u.id, u.email, u.role, u.status, u.token_version, u.last_active_at,
           s.revoked_at, s.expires_at
      FROM users u
      JOIN sessions s ON s.id = p_session AND s.user_id = u.id
     WHERE u.id = p_user;
END
$$;
--> statement-breakpoint
ALTER FUNCTION auth_principal(uuid, uuid) OWNER TO app_owner;
