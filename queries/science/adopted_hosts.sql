-- Hosts that have an adopted distance
SELECT DISTINCT host_id FROM distance_adoptions
