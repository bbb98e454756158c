-- Hosts with their adopted distance; $host_id NULL lists all that have a distance or a boundary
SELECT * FROM hosts_adopted
WHERE ($host_id IS NULL AND (distance_id IS NOT NULL OR radius_arcmin IS NOT NULL
                             OR ellipse_a_arcmin IS NOT NULL))
   OR host_id = $host_id
ORDER BY host
