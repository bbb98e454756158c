-- One distance row
SELECT distance_id, host_id FROM host_distances WHERE distance_id = $distance_id
