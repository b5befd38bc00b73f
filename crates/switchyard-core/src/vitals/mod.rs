//! Health state, learned from live traffic: every upstream call's outcome feeds a
//! circuit breaker per provider and per (provider, model), a decayed latency average,
//! in-flight counts and `Retry-After` cooldowns; [`admit`] asks that state before a call
//! and its [`CallGuard`] books the outcome. The state objects hang off the registry's
//! entries and survive snapshot rebuilds, so the request path reaches them without a
//! lookup or a lock.
//!
//! A leaf: it knows nothing of the registry, routing or the services that walk a
//! snapshot (the prober and the status report live in [`crate::health`], above the
//! registry), so the registry can hold this state without a module cycle.

mod breaker;
mod guard;
mod window;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use switchyard_types::ErrorKind;

pub(crate) use breaker::millis;
pub use breaker::{Admission, Breaker, BreakerSettings, BreakerView, CircuitState, Verdict};
pub use guard::{AdmitOptions, CallGuard, Refusal, admit};

/// How health is learned and used.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthSettings {
    /// Skip open circuits and cooling-down models when routing. Off: outcomes are still
    /// observed for the status page, but every candidate is tried.
    pub enabled: bool,
    /// Thresholds of every circuit.
    pub breaker: BreakerSettings,
    /// Probe providers without traffic (only kinds with a free call).
    pub probe: bool,
    /// How often idle providers are probed; also how long without traffic makes one idle.
    pub probe_interval: Duration,
    /// Longest a probe may take.
    pub probe_timeout: Duration,
    /// Cap on a `Retry-After` cooldown.
    pub max_cooldown: Duration,
}

impl Default for HealthSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            breaker: BreakerSettings::default(),
            probe: true,
            probe_interval: Duration::from_secs(30),
            probe_timeout: Duration::from_secs(5),
            max_cooldown: Duration::from_secs(300),
        }
    }
}

/// Until when (on the [`now_ms`] clock) some circuit in this process may be open or some
/// model cooling down. Before then the health filter checks every candidate; after it,
/// nothing can be refused for health, so it checks none. Only ever raised.
static TROUBLE_UNTIL: AtomicU64 = AtomicU64::new(0);

/// See [`TROUBLE_UNTIL`].
pub fn trouble_until() -> u64 {
    TROUBLE_UNTIL.load(Ordering::Acquire)
}

fn troubled_until(until: u64) {
    TROUBLE_UNTIL.fetch_max(until, Ordering::AcqRel);
}

/// Milliseconds on this process's monotonic clock (never 0).
pub fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = START.get_or_init(Instant::now);
    breaker::millis(start.elapsed()) + 1
}

/// The weight of a new latency sample in the decayed average.
const LATENCY_DECAY: f64 = 0.25;

/// An exponentially decayed average of latency in milliseconds, lock-free.
#[derive(Debug, Default)]
pub struct Latency(AtomicU64);

impl Latency {
    /// Fold one observation in.
    pub fn observe(&self, sample: Duration) {
        let ms = sample.as_secs_f64() * 1000.0;
        let _ = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |bits| {
                let next = if bits == 0 {
                    ms
                } else {
                    let old = f64::from_bits(bits);
                    old + LATENCY_DECAY * (ms - old)
                };
                // 0 bits mean "no sample"; a true 0 ms is stored as the smallest positive.
                Some(next.max(f64::MIN_POSITIVE).to_bits())
            });
    }

    /// The average, or `None` before the first observation.
    pub fn get(&self) -> Option<f64> {
        let bits = self.0.load(Ordering::Acquire);
        (bits != 0).then(|| f64::from_bits(bits))
    }
}

/// The last failure seen, for status pages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastError {
    pub kind: ErrorKind,
    pub status: Option<u16>,
    pub at_ms: u64,
}

/// The last probe's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeResult {
    pub ok: bool,
    pub at_ms: u64,
    /// What went wrong (an error kind and the upstream status), never a body.
    pub error: Option<String>,
}

/// Health of one provider; shared by every snapshot that has the provider.
#[derive(Debug)]
pub struct ProviderHealth {
    pub breaker: Breaker,
    pub latency: Latency,
    in_flight: AtomicU32,
    calls_total: AtomicU64,
    failures_total: AtomicU64,
    last_call_ms: AtomicU64,
    last_error: Mutex<Option<LastError>>,
    last_probe: Mutex<Option<ProbeResult>>,
}

impl ProviderHealth {
    /// A provider nothing is known about yet.
    pub fn new(settings: &HealthSettings) -> Self {
        Self {
            breaker: Breaker::new(settings.breaker),
            latency: Latency::default(),
            in_flight: AtomicU32::new(0),
            calls_total: AtomicU64::new(0),
            failures_total: AtomicU64::new(0),
            last_call_ms: AtomicU64::new(0),
            last_error: Mutex::new(None),
            last_probe: Mutex::new(None),
        }
    }

    /// Calls to this provider in flight now.
    pub fn in_flight(&self) -> u32 {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Calls since start, and how many of them failed.
    pub fn totals(&self) -> (u64, u64) {
        (
            self.calls_total.load(Ordering::Acquire),
            self.failures_total.load(Ordering::Acquire),
        )
    }

    /// Milliseconds since the last live call started (`None`: never).
    pub fn idle_for(&self, now: u64) -> Option<u64> {
        match self.last_call_ms.load(Ordering::Acquire) {
            0 => None,
            at => Some(now.saturating_sub(at)),
        }
    }

    /// The last failure of a live call.
    pub fn last_error(&self) -> Option<LastError> {
        *lock(&self.last_error)
    }

    /// The last probe's result.
    pub fn last_probe(&self) -> Option<ProbeResult> {
        lock(&self.last_probe).clone()
    }

    /// Book a probe's result: into the circuit (not the traffic window) and the status.
    pub fn record_probe(&self, admission: Admission, result: ProbeResult) {
        let verdict = if result.ok {
            Verdict::Success
        } else {
            Verdict::Failure
        };
        self.breaker.record(admission, verdict, false, result.at_ms);
        *lock(&self.last_probe) = Some(result);
    }

    fn started(&self, now: u64) {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.last_call_ms.store(now, Ordering::Release);
    }

    fn finished(&self) {
        let _ = self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_sub(1))
            });
    }

    fn count(&self, failure: Option<LastError>) {
        self.calls_total.fetch_add(1, Ordering::AcqRel);
        if let Some(error) = failure {
            self.failures_total.fetch_add(1, Ordering::AcqRel);
            *lock(&self.last_error) = Some(error);
        }
    }
}

/// Health of one model at one provider; shared across snapshots like the provider's.
#[derive(Debug)]
pub struct ModelHealth {
    pub breaker: Breaker,
    pub latency: Latency,
    in_flight: AtomicU32,
    cooldown_until: AtomicU64,
}

impl ModelHealth {
    /// A model nothing is known about yet.
    pub fn new(settings: &HealthSettings) -> Self {
        Self {
            breaker: Breaker::new(settings.breaker),
            latency: Latency::default(),
            in_flight: AtomicU32::new(0),
            cooldown_until: AtomicU64::new(0),
        }
    }

    /// Calls to this model in flight now (read by `least_busy`).
    pub fn in_flight(&self) -> u32 {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Milliseconds left of a `Retry-After` cooldown, if one is running.
    pub fn cooling_down(&self, now: u64) -> Option<u64> {
        let until = self.cooldown_until.load(Ordering::Acquire);
        (now < until).then(|| until - now)
    }

    /// Refuse this model until `now + wait` (a rate limit's `Retry-After`).
    pub fn cool_down(&self, now: u64, wait: Duration) {
        let until = now + breaker::millis(wait);
        self.cooldown_until.fetch_max(until, Ordering::AcqRel);
        troubled_until(until);
    }

    fn started(&self) {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
    }

    fn finished(&self) {
        let _ = self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_sub(1))
            });
    }
}

/// What a failure of `kind` says about the upstream: retryable kinds and `auth` mean it
/// is unwell; the rest (bad requests, filtered content…) mean it answered.
pub fn verdict_of(kind: ErrorKind) -> Verdict {
    if kind.is_retryable() || kind == ErrorKind::Auth {
        Verdict::Failure
    } else {
        Verdict::Success
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_is_a_decayed_average() {
        let l = Latency::default();
        assert_eq!(l.get(), None);
        l.observe(Duration::from_millis(100));
        assert_eq!(l.get(), Some(100.0));
        l.observe(Duration::from_millis(200));
        assert_eq!(l.get(), Some(125.0));
    }

    #[test]
    fn cooldowns_run_out_and_never_shrink() {
        let m = ModelHealth::new(&HealthSettings::default());
        m.cool_down(1_000, Duration::from_secs(2));
        m.cool_down(1_000, Duration::from_secs(1));
        assert_eq!(m.cooling_down(1_500), Some(1_500));
        assert_eq!(m.cooling_down(3_000), None);
        assert_eq!(verdict_of(ErrorKind::RateLimited), Verdict::Failure);
        assert_eq!(verdict_of(ErrorKind::Auth), Verdict::Failure);
        assert_eq!(verdict_of(ErrorKind::BadRequest), Verdict::Success);
    }
}
