-- Record one applied migration
INSERT INTO schema_migrations (version, name, purpose) VALUES ($version, $name, $purpose)
