-- Forget the column documentation of a derived view
DELETE FROM view_columns WHERE view = $view
