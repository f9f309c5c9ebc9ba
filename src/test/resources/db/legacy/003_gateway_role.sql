-- Pulse reference schema, part 3: the gateway's login role.
-- A non-owner role without BYPASSRLS, so row-level security always applies to it. It may read alerts and nothing
-- else. Set its password separately: ALTER ROLE pulse_gateway PASSWORD '...';
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pulse_gateway') THEN
        CREATE ROLE pulse_gateway LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO pulse_gateway;
GRANT SELECT ON alerts TO pulse_gateway;
