-- A refresh with an unknown token must cost one lookup, not a transaction: a stream of made-up
-- refresh tokens (the per-address limit lets 300 a minute through) should not open, lock and
-- commit a transaction each. refresh_token_known() answers in one statement, like
-- auth_principal(): SECURITY DEFINER, it enters the system context for its own body only.
-- It says only whether a token hash exists; a hash is no credential (its token is 256 random
-- bits), so the answer gives a caller nothing it could use.
CREATE POLICY refresh_tokens_lookup ON refresh_tokens FOR SELECT TO app_owner
  USING ((SELECT app_role()) = 'system');
--> statement-breakpoint
CREATE OR REPLACE FUNCTION refresh_token_known(p_token_hash text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
SET app.ctx = ''
AS $$
BEGIN
  PERFORM public._app_enter_trusted(NULL, 'system');
  RETURN EXISTS (SELECT 1 FROM public.refresh_tokens t WHERE t.token_hash = p_token_hash);
END
$$;
--> statement-breakpoint
ALTER FUNCTION refresh_token_known(text) OWNER TO app_owner;
--> statement-breakpoint
REVOKE EXECUTE ON FUNCTION refresh_token_known(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION refresh_token_known(text) TO app_runtime;
