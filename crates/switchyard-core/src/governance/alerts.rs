//! Budget alerts: when usage crosses a configured fraction of a quota's limit, one log
//! line and one webhook call per threshold and period — across replicas, because the
//! "already sent" mark is itself a shared counter.

use std::time::Duration;

use serde_json::json;
use switchyard_types::Quota;

use super::Governor;

/// Fire the alerts whose threshold lies in `(before, after]` of the quota's limit.
pub(super) async fn check(
    governor: &Governor,
    quota: &Quota,
    counter: &str,
    before: f64,
    after: f64,
    ttl: Duration,
) {
    if quota.limit <= 0.0 {
        return;
    }
    for &threshold in &governor.alerts.thresholds {
        let level = threshold * quota.limit;
        if !(before < level && after >= level) {
            continue;
        }
        let mark = format!("{counter}:alert:{threshold}");
        match governor.counters.set_if_absent(&mark, 1.0, ttl).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(error) => {
                tracing::error!(%error, "cannot record a budget alert");
                continue;
            }
        }
        tracing::warn!(
            quota = %quota.id, scope = %quota.scope, scope_id = %quota.scope_id, metric = %quota.metric,
            period = %quota.period, threshold, used = after, limit = quota.limit,
            "budget alert: usage crossed a threshold"
        );
        if let Some(url) = governor.alerts.webhook_url.clone() {
            let body = json!({
                "type": "budget.threshold_crossed",
                "quota_id": quota.id, "scope": quota.scope, "scope_id": quota.scope_id,
                "metric": quota.metric, "period": quota.period, "limit": quota.limit,
                "threshold": threshold, "used": after, "shadow": quota.shadow,
            });
            let client = governor.http.client().clone();
            governor.tracker.spawn(async move {
                let mut delay = Duration::from_millis(500);
                for attempt in 1..=5 {
                    let sent = client
                        .post(&url)
                        .json(&body)
                        .timeout(Duration::from_secs(10))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().is_success() => return,
                        Ok(r) => tracing::warn!(
                            status = r.status().as_u16(),
                            attempt,
                            "budget alert webhook refused"
                        ),
                        Err(error) => {
                            tracing::warn!(%error, attempt, "budget alert webhook failed")
                        }
                    }
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
            });
        }
    }
}
