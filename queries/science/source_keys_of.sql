-- Key and name of every source of one X-ray catalog (to check classified sources exist)
SELECT source_key, name FROM xray_sources WHERE catalog = $catalog
