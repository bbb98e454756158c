-- 009: science decisions: the exact parsec, and a conservative variant of the
-- supernova-remnant rule with descriptions that follow the thresholds.

-- cm per Mpc by astropy's IAU parsec ((1*u.Mpc).to(u.cm)); the luminosities view uses it.
-- Never a rounded 3.0857e24 (6e-6 dex off), nor XRBID's 3e24 (-0.0245 dex).
CREATE OR REPLACE MACRO cm_per_mpc() AS 3.0856775814913673e24;

-- Rule descriptions say what a rule is for; its thresholds are appended from
-- flag_rule_conditions when listed, so editing a threshold changes the text shown.
UPDATE flag_rules
SET description = 'Supernova-remnant candidate from the most likely values: soft and faint'
WHERE rule = 'snr_hr_lx';

-- The conservative variant: confidently soft (the upper bound of hard_hs) and faint (the
-- upper bound of log Lx, flux and distance error included; an upper limit is its own
-- bound). It proposes no class (the shipped rule does); switch with UPDATE flag_rules.
INSERT INTO flag_rules VALUES
  ('snr_hr_lx_conservative', 'csc', '0.5-7.0 keV', NULL,
   'Hunt et al. 2021, ApJ 912, 31 (doi:10.3847/1538-4357/abe531); bounds as 68% intervals',
   'Supernova-remnant candidate from the interval bounds (conservative): confidently soft and faint',
   TRUE);
INSERT INTO flag_rule_conditions VALUES
  ('snr_hr_lx_conservative', 1, 'hr1_hi', '<=', -0.75),
  ('snr_hr_lx_conservative', 2, 'log_lx_hi', '<=', 37.5);

-- The derived views read the new macro and columns: dropping xray_sources makes the next
-- open rebuild all of them in stores created before this migration.
DROP VIEW IF EXISTS xray_sources;
