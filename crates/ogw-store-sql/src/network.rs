//! [`ogw_core::store::NetworkTx`] for both backends: batches of network facts in one
//! transaction. `network_sql!` expands inside each `sql_store!` module, next to the helpers
//! it uses; the statements are shared, as everywhere in this crate.

/// Parameters per statement when rows are sent several at a time: far below SQLite's 32766
/// and PostgreSQL's 65535.
pub(crate) const MAX_PARAMS: usize = 2000;

/// `($1, $2, …), ($k, …)`: `rows` groups of `cols` placeholders numbered from `first`.
pub(crate) fn placeholders(rows: usize, cols: usize, first: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push('$');
            s.push_str(&(first + r * cols + c).to_string());
        }
        s.push(')');
    }
    s
}

/// `$first, $first+1, …` for an `IN (…)` list.
pub(crate) fn in_list(n: usize, first: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statement opening a network transaction. SQLite: take the write lock at once, so a
/// transaction that reads before it writes cannot fail with `SQLITE_BUSY` when it upgrades.
pub(crate) fn begin_statement(backend: &str) -> &'static str {
    if backend == "sqlite" {
        "BEGIN IMMEDIATE"
    } else {
        "BEGIN"
    }
}

macro_rules! network_sql {
    ($store:ident, $backend:literal) => {
        pub(crate) struct NetTx {
            tx: sqlx::Transaction<'static, Db>,
            /// Told after the commit: imports and SIM changes touch cached facts.
            facts: Option<std::sync::Arc<crate::facts::Facts>>,
        }

        impl $store {
            pub(crate) async fn begin_network_tx(&self) -> StoreResult<Box<dyn NetworkTx>> {
                let tx = self
                    .pool
                    .begin_with(crate::network::begin_statement($backend))
                    .await
                    .map_err(db_err)?;
                Ok(Box::new(NetTx {
                    tx,
                    facts: self.facts.clone(),
                }))
            }
        }

        async fn exec_dyn<'e, E>(e: E, sql: &str, args: Vec<Val>) -> StoreResult<u64>
        where
            E: Executor<'e, Database = Db>,
        {
            let done = sqlx::query_with(sql, arguments::<Db>(args)?)
                .execute(e)
                .await
                .map_err(db_err)?;
            Ok(done.rows_affected())
        }

        async fn rows_dyn<'e, R, E>(e: E, sql: &str, args: Vec<Val>) -> StoreResult<Vec<R>>
        where
            E: Executor<'e, Database = Db>,
            R: for<'r> FromRow<'r, DbRow> + Send + Unpin,
        {
            sqlx::query_as_with::<Db, R, _>(sql, arguments::<Db>(args)?)
                .fetch_all(e)
                .await
                .map_err(db_err)
        }

        impl NetTx {
            /// Subscribers of `tenant` whose `column` is one of `keys`.
            async fn subscribers_where(
                &mut self,
                tenant: &TenantId,
                column: &'static str,
                keys: Vec<String>,
            ) -> StoreResult<Vec<Subscriber>> {
                let mut found = Vec::new();
                for chunk in keys.chunks(crate::network::MAX_PARAMS - 1) {
                    let sql = format!(
                        concat!(
                            "SELECT ",
                            subscriber_cols!(),
                            " FROM subscribers WHERE tenant_id = $1 AND {} IN ({})"
                        ),
                        column,
                        crate::network::in_list(chunk.len(), 2)
                    );
                    let mut args = args![tenant.as_str()];
                    args.extend(chunk.iter().map(Val::from));
                    let got: Vec<SubscriberRow> = rows_dyn(&mut *self.tx, &sql, args).await?;
                    found.extend(all::<_, Subscriber>(got)?);
                }
                Ok(found)
            }

            /// The subscriber's recorded IMSI: `None` when not a subscriber, `Some(None)`
            /// when one without a recorded IMSI.
            async fn subscriber_imsi(
                &mut self,
                tenant: &TenantId,
                msisdn: &PhoneNumber,
            ) -> StoreResult<Option<Option<String>>> {
                let sql = "SELECT imsi FROM subscribers WHERE tenant_id = $1 AND msisdn = $2";
                scalar::<Option<String>, _>(
                    &mut *self.tx,
                    sql,
                    args![tenant.as_str(), msisdn.as_str()],
                )
                .await
            }

            async fn apply_session(&mut self, f: &SessionFact) -> StoreResult<SessionOutcome> {
                let mut out = SessionOutcome::default();
                let Some(h) = &f.holder else {
                    if f.ended_at.is_none() {
                        return Ok(out);
                    }
                    // A Stop naming no address ends a session we know, records nothing new.
                    let sql = "UPDATE ip_sessions SET ended_at = $3, last_seen_at = CASE \
                               WHEN $4 > last_seen_at THEN $4 ELSE last_seen_at END \
                               WHERE tenant_id = $1 AND session_id = $2 AND ended_at IS NULL";
                    let args = args![f.tenant.as_str(), &f.session_id, &f.ended_at, &f.seen_at];
                    out.applied = exec(&mut *self.tx, sql, args).await? > 0;
                    return Ok(out);
                };
                if let Some(recorded) = self.subscriber_imsi(&f.tenant, &h.msisdn).await? {
                    out.known_subscriber = true;
                    out.imsi_differs = matches!(
                        (&recorded, &h.imsi),
                        (Some(a), Some(b)) if a != b
                    );
                }
                // An ended session stays ended: late or reordered updates cannot reopen it.
                let sql = concat!(
                    "INSERT INTO ip_sessions (",
                    session_cols!(),
                    ", imsi) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (tenant_id, session_id) DO UPDATE SET ip = excluded.ip, \
                     msisdn = excluded.msisdn, imsi = COALESCE(excluded.imsi, ip_sessions.imsi), \
                     last_seen_at = CASE WHEN excluded.last_seen_at > ip_sessions.last_seen_at \
                     THEN excluded.last_seen_at ELSE ip_sessions.last_seen_at END, \
                     ended_at = excluded.ended_at \
                     WHERE ip_sessions.ended_at IS NULL"
                );
                let args = args![
                    f.tenant.as_str(),
                    &f.session_id,
                    h.ip.to_string(),
                    h.msisdn.as_str(),
                    &f.started_at,
                    &f.seen_at,
                    &f.ended_at,
                    h.imsi.as_deref(),
                ];
                out.applied = exec(&mut *self.tx, sql, args).await? > 0;
                if out.applied && f.ended_at.is_none() {
                    // The address has a new holder: end the sessions of earlier holders (their
                    // Stop was lost), but none seen after this fact.
                    let sql = "UPDATE ip_sessions SET ended_at = $4 \
                               WHERE tenant_id = $1 AND ip = $2 AND session_id <> $3 \
                               AND ended_at IS NULL AND last_seen_at <= $4";
                    let args = args![
                        f.tenant.as_str(),
                        h.ip.to_string(),
                        &f.session_id,
                        &f.seen_at
                    ];
                    out.displaced = exec(&mut *self.tx, sql, args).await?;
                }
                Ok(out)
            }
        }

        #[async_trait]
        impl NetworkTx for NetTx {
            async fn subscribers_by_msisdn(
                &mut self,
                tenant: &TenantId,
                msisdns: &[PhoneNumber],
            ) -> StoreResult<Vec<Subscriber>> {
                let keys = msisdns.iter().map(|m| m.as_str().to_owned()).collect();
                self.subscribers_where(tenant, "msisdn", keys).await
            }

            async fn subscribers_by_id(
                &mut self,
                tenant: &TenantId,
                ids: &[SubscriberId],
            ) -> StoreResult<Vec<Subscriber>> {
                let keys = ids.iter().map(|i| i.as_str().to_owned()).collect();
                self.subscribers_where(tenant, "subscriber_id", keys).await
            }

            async fn put_subscribers(&mut self, rows: &[Subscriber]) -> StoreResult<()> {
                // One statement may not touch a key twice (PostgreSQL): the later row wins.
                let mut last = std::collections::HashMap::with_capacity(rows.len());
                for (i, s) in rows.iter().enumerate() {
                    last.insert((s.tenant.as_str(), s.msisdn.as_str()), i);
                }
                let rows: Vec<&Subscriber> = rows
                    .iter()
                    .enumerate()
                    .filter(|(i, s)| last.get(&(s.tenant.as_str(), s.msisdn.as_str())) == Some(i))
                    .map(|(_, s)| s)
                    .collect();
                const COLS: usize = 5;
                for chunk in rows.chunks(crate::network::MAX_PARAMS / COLS) {
                    let sql = format!(
                        concat!(
                            "INSERT INTO subscribers (",
                            subscriber_cols!(),
                            ") VALUES {} ON CONFLICT (tenant_id, msisdn) DO UPDATE \
                             SET subscriber_id = excluded.subscriber_id, \
                             sim_activated_at = excluded.sim_activated_at, imsi = excluded.imsi"
                        ),
                        crate::network::placeholders(chunk.len(), COLS, 1)
                    );
                    let args = chunk.iter().flat_map(|s| subscriber_args(s)).collect();
                    exec_dyn(&mut *self.tx, &sql, args).await?;
                }
                Ok(())
            }

            async fn record_sim_changes(
                &mut self,
                rows: &[SimChangeEvent],
            ) -> StoreResult<Vec<bool>> {
                let mut out = Vec::with_capacity(rows.len());
                for e in rows {
                    let c = &e.change;
                    let sql = concat!(
                        "INSERT INTO sim_changes (",
                        sim_change_cols!(),
                        ", new_imsi, reason) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (tenant_id, event_id) DO NOTHING"
                    );
                    let mut args = sim_change_args(c);
                    args.extend(args![e.new_imsi.as_deref(), e.reason.as_deref()]);
                    let new = exec(&mut *self.tx, sql, args).await? == 1;
                    if let (true, Some(imsi)) = (new, &e.new_imsi) {
                        let sql = "UPDATE subscribers SET imsi = $3 \
                                   WHERE tenant_id = $1 AND msisdn = $2 AND NOT EXISTS \
                                   (SELECT 1 FROM sim_changes WHERE tenant_id = $1 \
                                   AND msisdn = $2 AND changed_at > $4)";
                        let args = args![c.tenant.as_str(), c.msisdn.as_str(), imsi, &c.changed_at];
                        exec(&mut *self.tx, sql, args).await?;
                    }
                    out.push(new);
                }
                Ok(out)
            }

            async fn apply_sessions(
                &mut self,
                facts: &[SessionFact],
            ) -> StoreResult<Vec<SessionOutcome>> {
                let mut out = Vec::with_capacity(facts.len());
                for f in facts {
                    out.push(self.apply_session(f).await?);
                }
                Ok(out)
            }

            async fn end_sessions_with_prefix(
                &mut self,
                tenant: &TenantId,
                prefix: &str,
                at: Timestamp,
            ) -> StoreResult<u64> {
                // A prefix test by substr, not LIKE, so `_` and `%` in the prefix are literal.
                let sql = "UPDATE ip_sessions SET ended_at = $3 \
                           WHERE tenant_id = $1 AND substr(session_id, 1, length($2)) = $2 \
                           AND ended_at IS NULL";
                exec(&mut *self.tx, sql, args![tenant.as_str(), prefix, &at]).await
            }

            async fn commit(self: Box<Self>) -> StoreResult<()> {
                let r = self.tx.commit().await.map_err(db_err);
                if let Some(facts) = &self.facts {
                    facts.invalidate();
                }
                r
            }

            async fn rollback(self: Box<Self>) -> StoreResult<()> {
                self.tx.rollback().await.map_err(db_err)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_lists() {
        assert_eq!(placeholders(2, 3, 1), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(in_list(3, 2), "$2, $3, $4");
    }
}
