//! Probing: providers that carried no live traffic for a probe interval are checked
//! with their free call (a models listing; the mock is always up). A probe goes
//! through the provider's circuit like any call — an open circuit is probed only once
//! its cooldown is over, as its half-open trial — so a silent provider's circuit can
//! open and close without a single billed request. Kinds without a free call are never
//! probed.

use std::sync::Arc;

use futures::future::join_all;
use switchyard_types::ErrorKind;
use tokio_util::sync::CancellationToken;

use crate::registry::{ProviderEntry, Registry, Snapshot};
use crate::vitals::{HealthSettings, ProbeResult, millis, now_ms};

/// Probe idle providers every `probe_interval` until `shutdown` (returns at once when
/// health or probing is off).
pub async fn run(registry: Arc<Registry>, shutdown: CancellationToken) {
    let settings = registry.health_settings().clone();
    if !settings.enabled || !settings.probe {
        return;
    }
    let mut tick = tokio::time::interval(settings.probe_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {
                probe_idle(&registry.snapshot(), &settings).await;
            }
        }
    }
}

/// Probe, at once, every enabled provider with a probe and no traffic for an interval.
/// Returns how many were probed.
pub async fn probe_idle(snapshot: &Snapshot, settings: &HealthSettings) -> usize {
    let now = now_ms();
    let interval = millis(settings.probe_interval);
    let due: Vec<&Arc<ProviderEntry>> = snapshot
        .providers
        .iter()
        .filter(|p| p.provider.enabled && p.probe.is_some())
        .filter(|p| p.health.idle_for(now).is_none_or(|idle| idle >= interval))
        .collect();
    let probes = due.iter().filter_map(|p| {
        let probe = p.probe.clone()?;
        let admission = p.health.breaker.admit(now)?;
        let timeout = settings.probe_timeout;
        Some(async move {
            let result = tokio::time::timeout(timeout, probe.probe()).await;
            let error = match result {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(match e.status {
                    Some(status) => format!("{} (HTTP {status})", e.kind),
                    None => e.kind.to_string(),
                }),
                Err(_) => Some(ErrorKind::Timeout.to_string()),
            };
            if let Some(error) = &error {
                tracing::info!(provider = %p.provider.name, %error, "health probe failed");
            }
            p.health.record_probe(
                admission,
                ProbeResult {
                    ok: error.is_none(),
                    at_ms: now_ms(),
                    error,
                },
            );
        })
    });
    join_all(probes).await.len()
}
