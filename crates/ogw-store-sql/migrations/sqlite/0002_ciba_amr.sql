-- How the subscriber of a CIBA request was authenticated (JSON array of amr values):
-- ["nba"] when the login_hint was a device address found in the IP sessions.
ALTER TABLE ciba_requests ADD COLUMN amr TEXT NOT NULL DEFAULT '[]';
