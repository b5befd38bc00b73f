//! A circuit breaker: a small state machine fed classified outcomes. Closed, it counts
//! consecutive failures and the failure ratio over a sliding window; past either
//! threshold it opens and refuses calls for a cooldown; then it half-opens and admits a
//! few trial calls, closing after that many successes or opening again on a failure.
//! The state is mirrored in atomics, so the health filter reads it without a lock.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use super::window::Window;

/// When circuits open and how they recover.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerSettings {
    /// Consecutive failures that open a closed circuit.
    pub failure_threshold: u32,
    /// Failure share over the window that opens a circuit…
    pub error_ratio: f64,
    /// …once the window holds at least this many calls.
    pub min_requests: u32,
    /// Length of the sliding window.
    pub window: Duration,
    /// How long an open circuit refuses calls before trying again.
    pub cooldown: Duration,
    /// Trial calls a half-open circuit admits at once; this many successes close it.
    pub half_open_trials: u32,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            error_ratio: 0.5,
            min_requests: 20,
            window: Duration::from_secs(60),
            cooldown: Duration::from_secs(30),
            half_open_trials: 1,
        }
    }
}

/// The three states of a circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CircuitState {
    Closed,
    Open,
    HalfOpen,
}

/// How a call was let through, so its outcome is booked correctly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// An ordinary call through a closed circuit.
    Normal,
    /// One of the few trial calls of a half-open circuit.
    Trial,
}

/// What an outcome says about the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It answered (successfully, or refusing the request on its merits).
    Success,
    /// It failed in a way that says it is not well (retryable kinds, auth).
    Failure,
    /// Nothing was learned (the caller gave up first).
    Neutral,
}

/// A point-in-time view for status pages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerView {
    pub state: CircuitState,
    /// Milliseconds until an open circuit admits a trial.
    pub retry_in_ms: Option<u64>,
    /// Calls in the sliding window.
    pub window_calls: u64,
    /// Failure share over the window, when it holds any call.
    pub error_rate: Option<f64>,
    /// Times this circuit has opened since start.
    pub opened_total: u64,
}

const CLOSED: u8 = 0;
const OPEN: u8 = 1;
const HALF_OPEN: u8 = 2;

#[derive(Debug)]
struct Inner {
    state: CircuitState,
    consecutive_failures: u32,
    trials_in_flight: u32,
    trial_successes: u32,
    window: Window,
    opened_total: u64,
}

/// One circuit (per provider, or per provider and model).
#[derive(Debug)]
pub struct Breaker {
    settings: BreakerSettings,
    quick: AtomicU8,
    open_until: AtomicU64,
    inner: Mutex<Inner>,
}

impl Breaker {
    /// A closed circuit.
    pub fn new(settings: BreakerSettings) -> Self {
        Self {
            settings,
            quick: AtomicU8::new(CLOSED),
            open_until: AtomicU64::new(0),
            inner: Mutex::new(Inner {
                state: CircuitState::Closed,
                consecutive_failures: 0,
                trials_in_flight: 0,
                trial_successes: 0,
                window: Window::new(millis(settings.window)),
                opened_total: 0,
            }),
        }
    }

    /// True while the circuit is open and cooling down (lock-free).
    pub fn is_open(&self, now: u64) -> bool {
        self.quick.load(Ordering::Acquire) == OPEN && now < self.open_until.load(Ordering::Acquire)
    }

    /// Milliseconds until an open circuit admits a trial; `None` unless cooling down.
    pub fn retry_in(&self, now: u64) -> Option<u64> {
        self.is_open(now)
            .then(|| self.open_until.load(Ordering::Acquire).saturating_sub(now))
    }

    /// The state as callers experience it: an open circuit whose cooldown is over is
    /// half-open (its next call is a trial).
    pub fn state(&self, now: u64) -> CircuitState {
        match self.quick.load(Ordering::Acquire) {
            CLOSED => CircuitState::Closed,
            OPEN if self.is_open(now) => CircuitState::Open,
            _ => CircuitState::HalfOpen,
        }
    }

    /// Let a call through, or refuse it. Closed circuits answer without a lock.
    pub fn admit(&self, now: u64) -> Option<Admission> {
        if self.quick.load(Ordering::Acquire) == CLOSED {
            return Some(Admission::Normal);
        }
        let mut inner = self.lock();
        match inner.state {
            CircuitState::Closed => Some(Admission::Normal),
            CircuitState::Open if self.is_open(now) => None,
            CircuitState::Open | CircuitState::HalfOpen => {
                if inner.state == CircuitState::Open {
                    inner.state = CircuitState::HalfOpen;
                    inner.trials_in_flight = 0;
                    inner.trial_successes = 0;
                    self.quick.store(HALF_OPEN, Ordering::Release);
                }
                if inner.trials_in_flight < self.settings.half_open_trials.max(1) {
                    inner.trials_in_flight += 1;
                    Some(Admission::Trial)
                } else {
                    None
                }
            }
        }
    }

    /// Book the outcome of an admitted call. `counted` puts it in the error-ratio
    /// window (live traffic is; probes are not).
    pub fn record(&self, admission: Admission, verdict: Verdict, counted: bool, now: u64) {
        let mut inner = self.lock();
        if counted && verdict != Verdict::Neutral {
            inner.window.add(verdict == Verdict::Success, now);
        }
        match admission {
            Admission::Trial => {
                inner.trials_in_flight = inner.trials_in_flight.saturating_sub(1);
                if inner.state != CircuitState::HalfOpen {
                    return;
                }
                match verdict {
                    Verdict::Success => {
                        inner.trial_successes += 1;
                        if inner.trial_successes >= self.settings.half_open_trials.max(1) {
                            self.close(&mut inner);
                        }
                    }
                    Verdict::Failure => self.open(&mut inner, now),
                    Verdict::Neutral => {}
                }
            }
            // Late outcomes of calls admitted before the circuit opened change nothing.
            Admission::Normal if inner.state != CircuitState::Closed => {}
            Admission::Normal => match verdict {
                Verdict::Success => inner.consecutive_failures = 0,
                Verdict::Failure => {
                    inner.consecutive_failures += 1;
                    if inner.consecutive_failures >= self.settings.failure_threshold.max(1)
                        || self.ratio_tripped(&inner, now)
                    {
                        self.open(&mut inner, now);
                    }
                }
                Verdict::Neutral => {}
            },
        }
    }

    /// The circuit's state and window, for status pages.
    pub fn view(&self, now: u64) -> BreakerView {
        let inner = self.lock();
        let (ok, failed) = inner.window.counts(now);
        let calls = ok + failed;
        BreakerView {
            state: self.state(now),
            retry_in_ms: self.retry_in(now),
            window_calls: calls,
            error_rate: (calls > 0).then(|| failed as f64 / calls as f64),
            opened_total: inner.opened_total,
        }
    }

    fn ratio_tripped(&self, inner: &Inner, now: u64) -> bool {
        let (ok, failed) = inner.window.counts(now);
        let calls = ok + failed;
        calls >= u64::from(self.settings.min_requests.max(1))
            && failed as f64 >= self.settings.error_ratio * calls as f64
    }

    fn open(&self, inner: &mut Inner, now: u64) {
        inner.state = CircuitState::Open;
        inner.consecutive_failures = 0;
        inner.trials_in_flight = 0;
        inner.trial_successes = 0;
        inner.opened_total += 1;
        let until = now + millis(self.settings.cooldown).max(1);
        self.open_until.store(until, Ordering::Release);
        self.quick.store(OPEN, Ordering::Release);
        super::troubled_until(until);
    }

    fn close(&self, inner: &mut Inner) {
        inner.state = CircuitState::Closed;
        inner.consecutive_failures = 0;
        inner.trials_in_flight = 0;
        inner.trial_successes = 0;
        inner.window.clear();
        self.quick.store(CLOSED, Ordering::Release);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the counters inconsistent in a
        // way that matters more than losing health data, so poisoning is ignored.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A duration in whole milliseconds.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> BreakerSettings {
        BreakerSettings {
            failure_threshold: 3,
            error_ratio: 0.5,
            min_requests: 10,
            window: Duration::from_secs(10),
            cooldown: Duration::from_millis(1_000),
            half_open_trials: 2,
        }
    }

    fn fail(b: &Breaker, now: u64) {
        let a = b.admit(now).unwrap_or(Admission::Normal);
        b.record(a, Verdict::Failure, true, now);
    }

    #[test]
    fn opens_after_consecutive_failures_and_a_success_resets_the_count() {
        let b = Breaker::new(settings());
        fail(&b, 0);
        fail(&b, 1);
        b.record(Admission::Normal, Verdict::Success, true, 2);
        fail(&b, 3);
        fail(&b, 4);
        assert_eq!(b.state(5), CircuitState::Closed);
        fail(&b, 5);
        assert_eq!(b.state(6), CircuitState::Open);
        assert!(b.is_open(6));
        assert_eq!(b.retry_in(6), Some(999));
        assert_eq!(b.admit(500), None);
    }

    #[test]
    fn half_opens_after_the_cooldown_and_closes_after_enough_trials() {
        let b = Breaker::new(settings());
        (0..3).for_each(|t| fail(&b, t));
        assert_eq!(b.state(1_002), CircuitState::HalfOpen);
        let one = b.admit(1_002);
        let two = b.admit(1_002);
        assert_eq!(one, Some(Admission::Trial));
        assert_eq!(two, Some(Admission::Trial));
        assert_eq!(b.admit(1_002), None, "only two trials at once");
        b.record(Admission::Trial, Verdict::Success, true, 1_010);
        assert_eq!(b.state(1_010), CircuitState::HalfOpen);
        b.record(Admission::Trial, Verdict::Success, true, 1_020);
        assert_eq!(b.state(1_020), CircuitState::Closed);
        assert_eq!(b.admit(1_020), Some(Admission::Normal));
        assert_eq!(b.view(1_020).opened_total, 1);
    }

    #[test]
    fn a_failed_trial_opens_again_and_a_neutral_one_frees_its_slot() {
        let b = Breaker::new(settings());
        (0..3).for_each(|t| fail(&b, t));
        assert_eq!(b.admit(1_100), Some(Admission::Trial));
        b.record(Admission::Trial, Verdict::Neutral, true, 1_100);
        assert_eq!(b.admit(1_100), Some(Admission::Trial));
        b.record(Admission::Trial, Verdict::Failure, true, 1_150);
        assert_eq!(b.state(1_151), CircuitState::Open);
        assert_eq!(b.retry_in(1_151), Some(999));
        assert_eq!(b.view(1_151).opened_total, 2);
    }

    #[test]
    fn a_high_error_ratio_opens_even_without_a_streak() {
        let b = Breaker::new(BreakerSettings {
            failure_threshold: 100,
            ..settings()
        });
        for t in 0..9u64 {
            let verdict = if t.is_multiple_of(2) {
                Verdict::Failure
            } else {
                Verdict::Success
            };
            b.record(Admission::Normal, verdict, true, t);
        }
        // 5 failures of 9 calls: below min_requests (10) still.
        assert_eq!(b.state(10), CircuitState::Closed);
        b.record(Admission::Normal, Verdict::Failure, true, 10);
        assert_eq!(b.state(11), CircuitState::Open);
    }

    #[test]
    fn late_outcomes_do_not_move_an_open_circuit() {
        let b = Breaker::new(settings());
        (0..3).for_each(|t| fail(&b, t));
        b.record(Admission::Normal, Verdict::Success, true, 10);
        assert_eq!(b.state(10), CircuitState::Open);
    }
}
