-- Reserve $n new distance ids from the sequence
SELECT nextval('host_distance_ids') AS id FROM range($n)
