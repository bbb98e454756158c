-- Adopt a distance for a host (the newest adoption wins)
INSERT INTO distance_adoptions (host_id, distance_id, adopted_at, note)
VALUES ($host_id, $distance_id, $adopted_at, $note)
