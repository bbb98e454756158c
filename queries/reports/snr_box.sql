-- Thresholds of the supernova-remnant rule (drawn as the box on the HR-Lx figure)
SELECT column_name, threshold FROM flag_rule_conditions WHERE rule = 'snr_hr_lx'
