-- The date difference each verification endpoint accepts (its --skew, in
-- milliseconds; NULL for one registered before it was recorded). The
-- shared replay window keeps a signature as long as the largest of them
-- would still accept its request's date (verifiers.Replays).
ALTER TABLE verifiers ADD COLUMN skew_ms INTEGER;
