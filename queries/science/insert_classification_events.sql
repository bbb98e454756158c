-- Append the events staged as the relation _xcat_new_events (the log is append-only)
INSERT INTO classification_events BY NAME SELECT * FROM _xcat_new_events
