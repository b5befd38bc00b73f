//! The `[routing]` and `[health]` sections: attempts, concurrency queueing, health
//! learning, probes and circuit-breaker thresholds; checked here and turned into the
//! core's settings. Per-model `time_to_first_token_ms` is checked here too.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use switchyard_core::health::{BreakerSettings, HealthSettings};
use switchyard_core::routing::RoutingSettings;

use super::Config;
use super::error::Problems;
use super::parse::Layout;

/// How requests are routed and retried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
pub struct RoutingConfig {
    /// Upstream attempts for a task-type request (a model served by several providers tries each once; groups set their own `max_attempts`), 1..=10.
    #[schemars(range(min = 1, max = 10))]
    pub default_max_attempts: u32,
    /// How long a call waits for a provider's `max_concurrency` permit before failing over to the next candidate, in milliseconds.
    #[schemars(range(max = 60000))]
    pub queue_timeout_ms: u64,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            default_max_attempts: 3,
            queue_timeout_ms: 100,
        }
    }
}

/// Health monitoring: learned from live traffic, probes for idle providers, circuit breakers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
pub struct HealthConfig {
    /// Skip open circuits and rate-limited models when routing. Off: health is still observed (GET /api/v1/providers/status) but every candidate is tried.
    pub enabled: bool,
    /// Probe providers that carry no traffic with a free call (a models listing); kinds without one are never probed.
    pub probe: bool,
    /// How often idle providers are probed, in milliseconds (also how long without traffic makes a provider idle).
    #[schemars(range(min = 1000))]
    pub probe_interval_ms: u64,
    /// Longest a probe may take, in milliseconds.
    #[schemars(range(min = 1))]
    pub probe_timeout_ms: u64,
    /// Cap on the cooldown a rate limit's `Retry-After` imposes on a model, in milliseconds.
    #[schemars(range(min = 1))]
    pub max_cooldown_ms: u64,
    /// Circuit breaker thresholds (one circuit per provider, one per provider and model).
    pub breaker: BreakerConfig,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            probe: true,
            probe_interval_ms: 30_000,
            probe_timeout_ms: 5_000,
            max_cooldown_ms: 300_000,
            breaker: BreakerConfig::default(),
        }
    }
}

/// When a circuit opens and how it recovers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
pub struct BreakerConfig {
    /// Consecutive failures (retryable errors, auth errors) that open a circuit.
    #[schemars(range(min = 1))]
    pub failure_threshold: u32,
    /// Failure share over the window that opens a circuit (0 < ratio ≤ 1)…
    #[schemars(range(min = 0, max = 1))]
    pub error_ratio: f64,
    /// …once the window holds at least this many calls.
    #[schemars(range(min = 1))]
    pub min_requests: u32,
    /// Length of the sliding window, in milliseconds.
    #[schemars(range(min = 1000))]
    pub window_ms: u64,
    /// How long an open circuit refuses calls before admitting trials, in milliseconds.
    #[schemars(range(min = 1))]
    pub cooldown_ms: u64,
    /// Trial calls a half-open circuit admits at once; this many successes close it.
    #[schemars(range(min = 1))]
    pub half_open_trials: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        let d = BreakerSettings::default();
        Self {
            failure_threshold: d.failure_threshold,
            error_ratio: d.error_ratio,
            min_requests: d.min_requests,
            window_ms: millis(d.window),
            cooldown_ms: millis(d.cooldown),
            half_open_trials: d.half_open_trials,
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl RoutingConfig {
    /// The core's routing settings (`health` says whether the health filter is on).
    pub fn settings(&self, health: &HealthConfig) -> RoutingSettings {
        RoutingSettings {
            default_max_attempts: self.default_max_attempts.max(1) as usize,
            queue_timeout: Duration::from_millis(self.queue_timeout_ms),
            health: health.enabled,
        }
    }
}

impl HealthConfig {
    /// The core's health settings.
    pub fn settings(&self) -> HealthSettings {
        let b = &self.breaker;
        HealthSettings {
            enabled: self.enabled,
            probe: self.probe,
            probe_interval: Duration::from_millis(self.probe_interval_ms),
            probe_timeout: Duration::from_millis(self.probe_timeout_ms),
            max_cooldown: Duration::from_millis(self.max_cooldown_ms),
            breaker: BreakerSettings {
                failure_threshold: b.failure_threshold,
                error_ratio: b.error_ratio,
                min_requests: b.min_requests,
                window: Duration::from_millis(b.window_ms),
                cooldown: Duration::from_millis(b.cooldown_ms),
                half_open_trials: b.half_open_trials,
            },
        }
    }
}

/// Check the sections' values and every model's `time_to_first_token_ms`.
pub(crate) fn validate(config: &Config, layout: &Layout, p: &mut Problems) {
    let r = &config.routing;
    if !(1..=10).contains(&r.default_max_attempts) {
        let msg = format!("must be between 1 and 10, got {}", r.default_max_attempts);
        p.push("routing.default_max_attempts", msg);
    }
    if r.queue_timeout_ms > 60_000 {
        p.push(
            "routing.queue_timeout_ms",
            "must be at most 60000 (one minute)",
        );
    }
    let h = &config.health;
    if h.probe_interval_ms < 1_000 {
        p.push("health.probe_interval_ms", "must be at least 1000");
    }
    for (key, value) in [
        ("health.probe_timeout_ms", h.probe_timeout_ms),
        ("health.max_cooldown_ms", h.max_cooldown_ms),
        ("health.breaker.cooldown_ms", h.breaker.cooldown_ms),
        (
            "health.breaker.failure_threshold",
            h.breaker.failure_threshold.into(),
        ),
        ("health.breaker.min_requests", h.breaker.min_requests.into()),
        (
            "health.breaker.half_open_trials",
            h.breaker.half_open_trials.into(),
        ),
    ] {
        if value == 0 {
            p.push(key, "must be at least 1");
        }
    }
    if h.breaker.window_ms < 1_000 {
        p.push("health.breaker.window_ms", "must be at least 1000");
    }
    let ratio = h.breaker.error_ratio;
    if !(ratio.is_finite() && ratio > 0.0 && ratio <= 1.0) {
        let msg = format!("must be greater than 0 and at most 1, got {ratio}");
        p.push("health.breaker.error_ratio", msg);
    }
    for (i, model) in config.models.iter().enumerate() {
        if model.time_to_first_token_ms == Some(0) {
            let index = layout.models.get(i).copied().unwrap_or(i);
            p.push(
                format!("models[{index}].time_to_first_token_ms"),
                "must be at least 1 (omit it for no deadline)",
            );
        }
    }
}
