-- The adopted row of one host, found by any of its names
SELECT h.* FROM hosts_adopted AS h JOIN host_aliases AS a USING (host_id)
WHERE a.alias_key = alias_key($host)
