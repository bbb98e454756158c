-- Catalogs that are members of xray_sources (X-ray catalogs with canonical errors)
SELECT DISTINCT catalog FROM xray_sources
