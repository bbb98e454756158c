-- Versions of the schema migrations already applied to this store
SELECT version FROM schema_migrations ORDER BY version
