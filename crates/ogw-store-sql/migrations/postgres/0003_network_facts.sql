-- Network facts (issue 9): the IMSI an accounting record reported for an IP session, and the
-- new IMSI and reason of a SIM change event. Numbered 0003: 0002 is taken on another branch.
ALTER TABLE ip_sessions ADD COLUMN imsi TEXT COLLATE "C";
ALTER TABLE sim_changes ADD COLUMN new_imsi TEXT COLLATE "C";
ALTER TABLE sim_changes ADD COLUMN reason TEXT COLLATE "C";
-- Open sessions by address: a new holder of an address ends the previous holder's session.
CREATE INDEX ip_sessions_open_by_ip ON ip_sessions (tenant_id, ip) WHERE ended_at IS NULL;
