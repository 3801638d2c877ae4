-- RFC 9449 §5.2 client metadata `dpop_bound_access_tokens`: the application must send a DPoP
-- proof with every token request, and its unbound access tokens are refused at the APIs.
ALTER TABLE applications ADD COLUMN dpop_bound_access_tokens BIGINT NOT NULL DEFAULT 0;
