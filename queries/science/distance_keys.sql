-- Identity of every recorded distance (to skip exact repeats on reload)
SELECT host_id, distance_mpc, coalesce(distance_err_mpc, -1.0) AS err,
       coalesce(method, '') AS method, coalesce(reference, '') AS reference
FROM host_distances
