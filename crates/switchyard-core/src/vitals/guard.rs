//! Admission of one upstream call and the booking of its outcome. `admit` asks the
//! provider's and the model's circuits and waits briefly for a concurrency permit; the
//! returned [`CallGuard`] holds the permit and the in-flight counts until the call ends
//! and feeds the outcome back. A guard dropped without an outcome (the client went
//! away) books nothing but frees its trial slot.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchyard_providers::ProviderError;
use switchyard_types::ErrorKind;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{Admission, LastError, ModelHealth, ProviderHealth, Verdict, now_ms, verdict_of};

/// Why a candidate was skipped at the moment of calling it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The provider's circuit is open.
    ProviderOpen { retry_in_ms: u64 },
    /// The model's circuit (at this provider) is open.
    ModelOpen { retry_in_ms: u64 },
    /// A half-open circuit already has its trial calls in flight.
    TrialsBusy,
    /// The model is cooling down after a rate limit.
    CoolingDown { retry_in_ms: u64 },
    /// Every `max_concurrency` permit stayed taken for the whole queueing time.
    Busy { waited_ms: u64 },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ProviderOpen { retry_in_ms } => {
                write!(f, "provider circuit open (retry in {retry_in_ms} ms)")
            }
            Self::ModelOpen { retry_in_ms } => {
                write!(f, "model circuit open (retry in {retry_in_ms} ms)")
            }
            Self::TrialsBusy => f.write_str("circuit half-open with its trial calls in flight"),
            Self::CoolingDown { retry_in_ms } => {
                write!(f, "rate limited; cooling down for {retry_in_ms} ms")
            }
            Self::Busy { waited_ms } => {
                write!(f, "at max_concurrency (queued {waited_ms} ms)")
            }
        }
    }
}

/// Settings of one admission.
#[derive(Debug, Clone, Copy)]
pub struct AdmitOptions {
    /// Consult circuits and cooldowns (health on).
    pub track: bool,
    /// Longest wait for a concurrency permit.
    pub queue: Duration,
    /// Cap on `Retry-After` cooldowns.
    pub max_cooldown: Duration,
}

/// Let one call through to `provider`/`model`, or say why not.
pub async fn admit(
    provider: &Arc<ProviderHealth>,
    model: &Arc<ModelHealth>,
    limiter: &Arc<Semaphore>,
    options: AdmitOptions,
) -> Result<CallGuard, Refusal> {
    let now = now_ms();
    let admissions = if options.track {
        if let Some(retry_in_ms) = model.cooling_down(now) {
            return Err(Refusal::CoolingDown { retry_in_ms });
        }
        let Some(p) = provider.breaker.admit(now) else {
            return Err(provider
                .breaker
                .retry_in(now)
                .map_or(Refusal::TrialsBusy, |retry_in_ms| Refusal::ProviderOpen {
                    retry_in_ms,
                }));
        };
        let Some(m) = model.breaker.admit(now) else {
            provider.breaker.record(p, Verdict::Neutral, false, now);
            return Err(model
                .breaker
                .retry_in(now)
                .map_or(Refusal::TrialsBusy, |retry_in_ms| Refusal::ModelOpen {
                    retry_in_ms,
                }));
        };
        Some((p, m))
    } else {
        None
    };
    // From here the guard owns the trial slots: dropping it frees them.
    let mut guard = CallGuard {
        provider: provider.clone(),
        model: model.clone(),
        admissions,
        permit: None,
        started: Instant::now(),
        latency_seen: false,
        settled: false,
        max_cooldown: options.max_cooldown,
        counted: false,
    };
    let permit = match limiter.clone().try_acquire_owned() {
        Ok(p) => p,
        Err(_) => {
            let waited = Instant::now();
            match tokio::time::timeout(options.queue, limiter.clone().acquire_owned()).await {
                Ok(Ok(p)) => p,
                _ => {
                    let waited_ms = u64::try_from(waited.elapsed().as_millis()).unwrap_or(0);
                    return Err(Refusal::Busy { waited_ms });
                }
            }
        }
    };
    guard.permit = Some(permit);
    guard.started = Instant::now();
    provider.started(now_ms());
    model.started();
    guard.counted = true;
    Ok(guard)
}

/// One admitted call: holds its permit and in-flight counts; books its outcome.
#[derive(Debug)]
pub struct CallGuard {
    provider: Arc<ProviderHealth>,
    model: Arc<ModelHealth>,
    admissions: Option<(Admission, Admission)>,
    permit: Option<OwnedSemaphorePermit>,
    started: Instant,
    latency_seen: bool,
    settled: bool,
    max_cooldown: Duration,
    /// In-flight counts were raised (and must be lowered on drop).
    counted: bool,
}

impl CallGuard {
    /// Time since the call started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The first byte or event arrived: its delay is the latency observed (streams).
    pub fn first_event(&mut self) {
        if !self.latency_seen {
            self.latency_seen = true;
            let latency = self.elapsed();
            self.provider.latency.observe(latency);
            self.model.latency.observe(latency);
        }
    }

    /// The call succeeded (for a non-stream call, its whole duration is the latency).
    pub fn succeeded(mut self) {
        self.first_event();
        self.settle(Verdict::Success, None);
    }

    /// The call failed with `error`.
    pub fn failed(mut self, error: &ProviderError) {
        let now = now_ms();
        if let (ErrorKind::RateLimited | ErrorKind::Overloaded, Some(wait)) =
            (error.kind, error.retry_after)
        {
            self.model.cool_down(now, wait.min(self.max_cooldown));
        }
        let last = LastError {
            kind: error.kind,
            status: error.status,
            at_ms: now,
        };
        self.settle(verdict_of(error.kind), Some(last));
    }

    fn settle(&mut self, verdict: Verdict, error: Option<LastError>) {
        if self.settled {
            return;
        }
        self.settled = true;
        let now = now_ms();
        if let Some((p, m)) = self.admissions {
            self.provider.breaker.record(p, verdict, true, now);
            self.model.breaker.record(m, verdict, true, now);
        }
        let failure = match verdict {
            Verdict::Failure => error,
            _ => None,
        };
        self.provider.count(failure);
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        if !self.settled {
            self.settled = true;
            if let Some((p, m)) = self.admissions {
                let now = now_ms();
                self.provider
                    .breaker
                    .record(p, Verdict::Neutral, false, now);
                self.model.breaker.record(m, Verdict::Neutral, false, now);
            }
        }
        if self.counted {
            self.provider.finished();
            self.model.finished();
        }
        self.permit.take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vitals::{BreakerSettings, CircuitState, HealthSettings};

    fn options() -> AdmitOptions {
        AdmitOptions {
            track: true,
            queue: Duration::from_millis(30),
            max_cooldown: Duration::from_secs(60),
        }
    }

    fn parts(threshold: u32) -> (Arc<ProviderHealth>, Arc<ModelHealth>) {
        let settings = HealthSettings {
            breaker: BreakerSettings {
                failure_threshold: threshold,
                ..BreakerSettings::default()
            },
            ..HealthSettings::default()
        };
        (
            Arc::new(ProviderHealth::new(&settings)),
            Arc::new(ModelHealth::new(&settings)),
        )
    }

    #[tokio::test]
    async fn a_full_provider_queues_briefly_then_refuses() {
        let (p, m) = parts(5);
        let limiter = Arc::new(Semaphore::new(1));
        let held = admit(&p, &m, &limiter, options()).await.unwrap();
        assert_eq!(p.in_flight(), 1);
        assert_eq!(m.in_flight(), 1);
        let refused = admit(&p, &m, &limiter, options()).await.unwrap_err();
        assert!(matches!(refused, Refusal::Busy { waited_ms } if waited_ms >= 25));
        drop(held);
        assert_eq!(p.in_flight(), 0);
        let again = admit(&p, &m, &limiter, options()).await.unwrap();
        again.succeeded();
        assert_eq!(p.totals(), (1, 0));
        assert!(p.latency.get().is_some());
    }

    #[tokio::test]
    async fn failures_open_the_circuits_and_rate_limits_cool_the_model_down() {
        let (p, m) = parts(2);
        let limiter = Arc::new(Semaphore::new(8));
        let error = ProviderError::new(ErrorKind::UpstreamError, "boom");
        for _ in 0..2 {
            admit(&p, &m, &limiter, options())
                .await
                .unwrap()
                .failed(&error);
        }
        let now = now_ms();
        assert_eq!(p.breaker.state(now), CircuitState::Open);
        assert_eq!(m.breaker.state(now), CircuitState::Open);
        assert!(matches!(
            admit(&p, &m, &limiter, options()).await.unwrap_err(),
            Refusal::ProviderOpen { .. }
        ));
        assert_eq!(p.totals(), (2, 2));
        assert_eq!(p.last_error().unwrap().kind, ErrorKind::UpstreamError);

        let (p, m) = parts(5);
        let limited = ProviderError {
            retry_after: Some(Duration::from_secs(30)),
            ..ProviderError::new(ErrorKind::RateLimited, "slow down")
        };
        admit(&p, &m, &limiter, options())
            .await
            .unwrap()
            .failed(&limited);
        assert!(m.cooling_down(now_ms()).is_some_and(|ms| ms > 29_000));
        assert!(matches!(
            admit(&p, &m, &limiter, options()).await.unwrap_err(),
            Refusal::CoolingDown { .. }
        ));
        // Untracked (health off): nothing refuses.
        let off = AdmitOptions {
            track: false,
            ..options()
        };
        assert!(admit(&p, &m, &limiter, off).await.is_ok());
    }
}
