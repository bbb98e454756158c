-- One member of the xray_sources union (the view name is a quoted identifier)
SELECT * FROM {view}
