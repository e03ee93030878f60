-- GET /v1/me in one round trip: auth_principal() already reads the caller's user row on every
-- authenticated request, so it returns the profile columns too, and /v1/me answers from them
-- instead of reading the same row again. Same arguments, same one statement; the new columns
-- come after the old ones, so a Worker that selects the old ones by name keeps working during
-- a rollout. A RETURNS TABLE change needs DROP + CREATE; both run in this migration's
-- transaction, so no caller sees the function missing.
DROP FUNCTION auth_principal(uuid, uuid);
--> statement-breakpoint
CREATE FUNCTION auth_principal(p_user uuid, p_session uuid)
RETURNS TABLE (
  id uuid, email text, role text, status text, token_version integer,
  last_active_at timestamptz, session_revoked_at timestamptz, session_expires_at timestamptz,
  full_name text, phone text, email_verified_at timestamptz, created_at timestamptz
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
SET app.ctx = ''
AS $$
BEGIN
  PERFORM public._app_enter_trusted(NULL, 'system');
  RETURN QUERY
    SELECT u.id, u.email, u.role, u.status, u.token_version, u.last_active_at,
           s.revoked_at, s.expires_at,
           u.full_name, u.phone, u.email_verified_at, u.created_at
      FROM public.users u
      JOIN public.sessions s ON s.id = p_session AND s.user_id = u.id
     WHERE u.id = p_user;
END
$$;
--> statement-breakpoint
ALTER FUNCTION auth_principal(uuid, uuid) OWNER TO app_owner;
