-- V3, the gateway's login role (placeholder gateway_role, default pulse_gateway).
-- A non-owner role without BYPASSRLS, so row-level security always applies to it. It may read alerts and nothing
-- else. Created here only if the database administrator has not created it already, with its password, as
-- src/scripts/stack.sh does (creating it here needs CREATEROLE for the role that runs the migrations).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${gateway_role}') THEN
        CREATE ROLE ${gateway_role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO ${gateway_role};
GRANT SELECT ON alerts TO ${gateway_role};
