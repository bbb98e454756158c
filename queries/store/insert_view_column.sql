-- Document one column of a derived view
INSERT INTO view_columns (view, position, name, unit, description)
VALUES ($view, $position, $name, $unit, $description)
