-- Reserve $n new host ids from the sequence
SELECT nextval('host_ids') AS id FROM range($n)
