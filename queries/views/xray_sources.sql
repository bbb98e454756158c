-- xray_sources: every X-ray catalog in the store on one set of columns (documented in
-- xray_sources.toml). Template: the placeholder below becomes the UNION ALL of the
-- stg_xray__<catalog> views, or an empty row set with the same columns when there is
-- no X-ray catalog yet (xray_sources_empty.sql).
CREATE OR REPLACE VIEW xray_sources AS
{union}
