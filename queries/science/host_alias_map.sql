-- Every alias key and the host it names
SELECT alias_key, host_id FROM host_aliases
