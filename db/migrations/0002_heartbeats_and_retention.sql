-- Heartbeats and the claiming worker's name let a restarted (or, later, a
-- distributed) queue tell a live job from an abandoned one.
ALTER TABLE jobs ADD COLUMN heartbeat_at REAL;
ALTER TABLE jobs ADD COLUMN worker TEXT;

-- A global claim counter makes round-robin fairness exact: the user whose
-- last claim has the smallest number goes first. Timestamps can tie.
ALTER TABLE jobs ADD COLUMN claim_seq INTEGER;

-- Archives are deleted after a while; the job row (and its report) stays.
ALTER TABLE jobs ADD COLUMN archive_deleted_at REAL;

-- Jobs claimed before this version get claim numbers in the order they started,
-- so fairness carries on from where it was.
UPDATE jobs
SET claim_seq = (
    SELECT ranked.n
    FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY started_at, id) AS n
          FROM jobs WHERE started_at IS NOT NULL) AS ranked
    WHERE ranked.id = jobs.id
)
WHERE started_at IS NOT NULL;
UPDATE jobs SET heartbeat_at = started_at WHERE state = 'running';

CREATE INDEX jobs_user_claims ON jobs (user_id, claim_seq);
CREATE INDEX jobs_claims ON jobs (claim_seq);
CREATE INDEX jobs_finished ON jobs (state, finished_at);
