-- Use energy-conversion factor $ecf_name for catalogs of kind $kind
INSERT OR REPLACE INTO ecf_choice (kind, ecf_name) VALUES ($kind, $ecf_name)
