-- Reserve $n new classification event ids from the sequence
SELECT nextval('classification_event_ids') AS id FROM range($n)
