-- Every distance of one host, the adopted one marked
SELECT d.distance_id, h.name AS host, d.distance_mpc, d.distance_err_mpc, d.method,
       d.reference, d.origin, d.added_at, d.distance_id = a.distance_id AS adopted
FROM host_distances AS d
JOIN hosts AS h USING (host_id)
LEFT JOIN hosts_adopted AS a USING (host_id)
WHERE d.host_id = $host_id
ORDER BY d.distance_id
