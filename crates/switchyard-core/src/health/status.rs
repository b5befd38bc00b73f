//! Per-provider status for `GET /api/v1/providers/status`: health, circuit state,
//! latency, error rate and in-flight calls, with the same for each of its models.

use serde::Serialize;
use switchyard_types::{ErrorKind, ProviderKind};

use crate::registry::{ModelEntry, ProviderEntry, Snapshot};
use crate::vitals::{CircuitState, now_ms};

/// A provider's overall health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    /// Answering; circuits closed.
    Healthy,
    /// Serving, but a circuit is half-open, a model's circuit is open or cooling down,
    /// or the last probe failed.
    Degraded,
    /// Its circuit is open, or it cannot be called at all.
    Unhealthy,
    /// No call or probe has been seen yet.
    Unknown,
    /// Disabled by an administrator.
    Disabled,
}

/// One model's status at its provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelStatus {
    pub name: String,
    pub circuit: CircuitState,
    pub retry_in_ms: Option<u64>,
    pub cooling_down_ms: Option<u64>,
    pub latency_ms: Option<f64>,
    pub error_rate: Option<f64>,
    pub in_flight: u32,
}

/// The last failure of a live call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorView {
    pub kind: ErrorKind,
    pub status: Option<u16>,
    pub ago_ms: u64,
}

/// The last probe.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeView {
    pub ok: bool,
    pub ago_ms: u64,
    pub error: Option<String>,
}

/// One provider's status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderStatus {
    pub name: String,
    pub kind: ProviderKind,
    pub enabled: bool,
    pub health: HealthState,
    /// Why the provider cannot be called at all (its adapters failed to build).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    pub circuit: CircuitState,
    /// Milliseconds until an open circuit admits a trial.
    pub retry_in_ms: Option<u64>,
    /// Decayed average latency of successful calls (time to first event for streams).
    pub latency_ms: Option<f64>,
    /// Failure share of live calls over the health window.
    pub error_rate: Option<f64>,
    /// Live calls in the health window.
    pub window_requests: u64,
    pub in_flight: u32,
    pub max_concurrency: u32,
    pub requests_total: u64,
    pub failures_total: u64,
    pub circuit_opened_total: u64,
    pub last_error: Option<ErrorView>,
    pub last_probe: Option<ProbeView>,
    pub models: Vec<ModelStatus>,
}

/// The status of every provider in the snapshot, in registry order.
pub fn report(snapshot: &Snapshot) -> Vec<ProviderStatus> {
    let now = now_ms();
    snapshot
        .providers
        .iter()
        .map(|p| {
            let models: Vec<&ModelEntry> = snapshot
                .models
                .iter()
                .filter(|m| std::sync::Arc::ptr_eq(&m.provider, p))
                .map(|m| m.as_ref())
                .collect();
            provider_status(p, &models, now)
        })
        .collect()
}

fn provider_status(p: &ProviderEntry, models: &[&ModelEntry], now: u64) -> ProviderStatus {
    let h = &p.health;
    let view = h.breaker.view(now);
    let models: Vec<ModelStatus> = models
        .iter()
        .map(|m| {
            let v = m.health.breaker.view(now);
            ModelStatus {
                name: m.model.name.clone(),
                circuit: v.state,
                retry_in_ms: v.retry_in_ms,
                cooling_down_ms: m.health.cooling_down(now),
                latency_ms: m.health.latency.get(),
                error_rate: v.error_rate,
                in_flight: m.health.in_flight(),
            }
        })
        .collect();
    let (requests_total, failures_total) = h.totals();
    let last_probe = h.last_probe();
    let unavailable = p.adapters.as_ref().err().cloned();
    let health = if !p.provider.enabled {
        HealthState::Disabled
    } else if unavailable.is_some() || view.state == CircuitState::Open {
        HealthState::Unhealthy
    } else if view.state == CircuitState::HalfOpen
        || last_probe.as_ref().is_some_and(|r| !r.ok)
        || models
            .iter()
            .any(|m| m.circuit != CircuitState::Closed || m.cooling_down_ms.is_some())
    {
        HealthState::Degraded
    } else if requests_total == 0 && last_probe.is_none() {
        HealthState::Unknown
    } else {
        HealthState::Healthy
    };
    ProviderStatus {
        name: p.provider.name.clone(),
        kind: p.provider.kind,
        enabled: p.provider.enabled,
        health,
        unavailable,
        circuit: view.state,
        retry_in_ms: view.retry_in_ms,
        latency_ms: h.latency.get(),
        error_rate: view.error_rate,
        window_requests: view.window_calls,
        in_flight: h.in_flight(),
        max_concurrency: p.provider.max_concurrency,
        requests_total,
        failures_total,
        circuit_opened_total: view.opened_total,
        last_error: h.last_error().map(|e| ErrorView {
            kind: e.kind,
            status: e.status,
            ago_ms: now.saturating_sub(e.at_ms),
        }),
        last_probe: last_probe.map(|r| ProbeView {
            ok: r.ok,
            ago_ms: now.saturating_sub(r.at_ms),
            error: r.error,
        }),
        models,
    }
}
