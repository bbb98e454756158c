-- One host row
SELECT host_id, name, origin FROM hosts WHERE host_id = $host_id
