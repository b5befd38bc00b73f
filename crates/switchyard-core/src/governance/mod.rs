//! Governance on the request path: per-key rate limits (GCRA on requests and tokens per
//! minute) and quotas/budgets per key, user, team and model, reserved atomically before
//! the upstream call and settled with the actual figures afterwards, so concurrent
//! requests cannot overspend. Counters live in Redis when configured (shared by every
//! replica), else in this process; a quota counter is seeded from the usage records
//! when its period starts. If the counters cannot be reached, requests are let through
//! and the failure is logged (availability first).

mod alerts;
pub mod periods;
mod tasks;

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use switchyard_providers::HttpClient;
use switchyard_store::{Counters, RateDecision, Store, StoreError};
use switchyard_types::{ErrorCode, Identity, Quota, QuotaMetric, QuotaScope, now_millis};
use tokio_util::task::TaskTracker;

use crate::registry::{Registry, Resolved};

/// Settings of budget alerts.
#[derive(Debug, Clone, Default)]
pub struct AlertSettings {
    /// Fractions of a limit (e.g. 0.8, 1.0) at which an alert fires once per period.
    pub thresholds: Vec<f64>,
    /// Where alerts are POSTed, if anywhere.
    pub webhook_url: Option<String>,
}

/// Why a request may not proceed (answered with 429 and `Retry-After`).
#[derive(Debug, Clone)]
pub struct Refusal {
    /// `RateLimited` or `QuotaExceeded`.
    pub code: ErrorCode,
    pub message: String,
    pub retry_after: Duration,
    /// Rate-limit headers to send with the refusal.
    pub headers: RateHeaders,
}

/// The rate-limit state to report in response headers.
#[derive(Debug, Clone, Default)]
pub struct RateHeaders {
    pub requests: Option<RateDecision>,
    pub tokens: Option<RateDecision>,
}

/// OpenAI-style durations: `120ms`, `1.5s`, `6m0s`.
fn duration_text(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}m{}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

impl RateHeaders {
    /// `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` pairs.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(r) = &self.requests {
            out.push(("x-ratelimit-limit-requests", r.limit.to_string()));
            out.push(("x-ratelimit-remaining-requests", r.remaining.to_string()));
            out.push(("x-ratelimit-reset-requests", duration_text(r.reset_after)));
        }
        if let Some(t) = &self.tokens {
            out.push(("x-ratelimit-limit-tokens", t.limit.to_string()));
            out.push(("x-ratelimit-remaining-tokens", t.remaining.to_string()));
            out.push(("x-ratelimit-reset-tokens", duration_text(t.reset_after)));
        }
        out
    }
}

const MINUTE: Duration = Duration::from_secs(60);

/// Applies rate limits and quotas.
pub struct Governor {
    counters: Counters,
    store: Store,
    registry: Arc<Registry>,
    quotas: ArcSwap<Vec<Quota>>,
    alerts: AlertSettings,
    http: HttpClient,
    tracker: TaskTracker,
}

/// One quota's reservation for a request.
#[derive(Debug, Clone)]
struct Held {
    quota: Quota,
    counter: String,
    reserved: f64,
    period_end: i64,
}

/// A quota's use in its current period.
#[derive(Debug, Clone, Copy)]
pub struct QuotaUse {
    pub used: f64,
    /// Unix ms, inclusive.
    pub period_start: i64,
    /// Unix ms, exclusive.
    pub period_end: i64,
}

/// What a request reserved; settle it with the actual figures when it ends.
pub struct Admission {
    governor: Arc<Governor>,
    held: Vec<Held>,
    key_id: String,
    tpm: Option<u32>,
}

/// A quota's counter for the period that contains a moment.
struct Window {
    counter: String,
    start: i64,
    end: i64,
}

impl Window {
    fn of(quota: &Quota, at: i64) -> Self {
        let (start, end) = periods::bounds(quota.period, at);
        Self {
            counter: format!("quota:{}:{start}", quota.id),
            start,
            end,
        }
    }

    /// How long the counter is kept from now: to its period's end, plus an hour.
    fn ttl(&self) -> Duration {
        ttl_until(self.end)
    }
}

/// Time from now to `end` (never negative), plus an hour of grace.
fn ttl_until(end: i64) -> Duration {
    Duration::from_millis(u64::try_from(end - now_millis()).unwrap_or(0))
        + Duration::from_secs(3600)
}

/// What a request or task asks the quotas for (one request is always counted).
struct Demand {
    tokens: f64,
    usd: f64,
    of: Demanded,
}

/// Whether a [`Demand`] is a request's (settled when it ends) or a task's (settled
/// when the task ends, on any replica).
#[derive(Clone, Copy)]
enum Demanded {
    Request,
    Task,
}

impl Demanded {
    fn noun(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Task => "task",
        }
    }

    /// The message of a refusal by `quota` with `used` already counted.
    fn refusal(self, quota: &Quota, usd: f64, used: f64) -> String {
        match self {
            Self::Request => format!(
                "{} quota of {} {} per {} for this {} is used up ({used} used); it resets at the start of the next {}",
                quota.metric, quota.limit, quota.metric, quota.period, quota.scope, quota.period
            ),
            Self::Task => format!(
                "{} quota of {} per {} for this {} cannot cover this task (estimated {usd:.4} USD; {used} used)",
                quota.metric, quota.limit, quota.period, quota.scope
            ),
        }
    }
}

impl Governor {
    /// A governor over the given counters; quotas are loaded by [`Governor::reload_quotas`].
    pub fn new(
        counters: Counters,
        store: Store,
        registry: Arc<Registry>,
        alerts: AlertSettings,
        http: HttpClient,
        tracker: TaskTracker,
    ) -> Self {
        Self {
            counters,
            store,
            registry,
            quotas: ArcSwap::from_pointee(Vec::new()),
            alerts,
            http,
            tracker,
        }
    }

    /// Re-read the quotas (after a change, and periodically).
    pub async fn reload_quotas(&self) -> Result<(), StoreError> {
        let quotas = self.store.quotas().list_all().await?;
        self.quotas.store(Arc::new(quotas));
        Ok(())
    }

    /// The key's request rate limit: take one request; check the token bucket has room.
    pub async fn check_rate(&self, identity: &Identity) -> Result<RateHeaders, Refusal> {
        let mut headers = RateHeaders::default();
        if let Some(rpm) = identity.rate_limit_rpm {
            match self
                .counters
                .rate(
                    &format!("rpm:{}", identity.key_id),
                    u64::from(rpm),
                    MINUTE,
                    1,
                    false,
                )
                .await
            {
                Ok(d) => headers.requests = Some(d),
                Err(error) => {
                    tracing::error!(%error, "rate-limit counters unreachable; letting the request through")
                }
            }
        }
        if let Some(tpm) = identity.rate_limit_tpm {
            // A zero-cost look: tokens are taken when the response's usage is known.
            match self
                .counters
                .rate(
                    &format!("tpm:{}", identity.key_id),
                    u64::from(tpm),
                    MINUTE,
                    0,
                    false,
                )
                .await
            {
                Ok(d) => headers.tokens = Some(d),
                Err(error) => {
                    tracing::error!(%error, "rate-limit counters unreachable; letting the request through")
                }
            }
        }
        if let Some(r) = headers.requests.filter(|r| !r.allowed) {
            return Err(Refusal {
                code: ErrorCode::RateLimited,
                message: format!(
                    "rate limit of {} requests per minute reached for this API key",
                    r.limit
                ),
                retry_after: r.retry_after.unwrap_or(Duration::from_secs(1)),
                headers,
            });
        }
        if let Some(t) = headers.tokens.filter(|t| t.remaining == 0) {
            return Err(Refusal {
                code: ErrorCode::RateLimited,
                message: format!(
                    "rate limit of {} tokens per minute reached for this API key",
                    t.limit
                ),
                retry_after: t.reset_after.min(MINUTE).max(Duration::from_secs(1)),
                headers,
            });
        }
        Ok(headers)
    }

    /// Reserve this request's estimated requests, tokens and cost against every quota
    /// that applies to it; refuse (releasing what was reserved) if any would overflow.
    pub async fn admit(
        self: &Arc<Self>,
        identity: &Identity,
        model: &str,
        input_tokens: u64,
        max_output: Option<u32>,
    ) -> Result<Admission, Refusal> {
        self.admit_demand(identity, model, || {
            let (output_tokens, usd) = self.estimate(model, input_tokens, max_output);
            Demand {
                tokens: (input_tokens + output_tokens) as f64,
                usd,
                of: Demanded::Request,
            }
        })
        .await
    }

    /// [`Governor::admit`] for a request priced up front (images): reserve one request
    /// and `usd` against the quotas that apply; settled like any request.
    pub async fn admit_usd(
        self: &Arc<Self>,
        identity: &Identity,
        model: &str,
        usd: f64,
    ) -> Result<Admission, Refusal> {
        self.admit_demand(identity, model, || Demand {
            tokens: 0.0,
            usd,
            of: Demanded::Request,
        })
        .await
    }

    /// An admission holding `demand` (computed only when a quota applies).
    async fn admit_demand(
        self: &Arc<Self>,
        identity: &Identity,
        model: &str,
        demand: impl FnOnce() -> Demand,
    ) -> Result<Admission, Refusal> {
        let mut admission = Admission {
            governor: self.clone(),
            held: Vec::new(),
            key_id: identity.key_id.clone(),
            tpm: identity.rate_limit_tpm,
        };
        if self.any_applies(identity, model) {
            admission.held = self.reserve(identity, model, &demand()).await?;
        }
        Ok(admission)
    }

    fn any_applies(&self, identity: &Identity, model: &str) -> bool {
        self.quotas.load().iter().any(|q| {
            applies(
                q,
                &identity.key_id,
                &identity.user_id,
                identity.team_id.as_deref(),
                model,
            )
        })
    }

    /// The one quota reservation routine, for requests and tasks: reserve `demand`
    /// against every quota that applies to this caller and model, atomically per
    /// counter; on the first quota that cannot cover it, release what was reserved and
    /// refuse. Shadow quotas never refuse, they log. Unreachable counters let the
    /// demand through (logged).
    async fn reserve(
        &self,
        identity: &Identity,
        model: &str,
        demand: &Demand,
    ) -> Result<Vec<Held>, Refusal> {
        let quotas = self.quotas.load();
        let now = now_millis();
        let mut held: Vec<Held> = Vec::new();
        for quota in quotas.iter().filter(|q| {
            applies(
                q,
                &identity.key_id,
                &identity.user_id,
                identity.team_id.as_deref(),
                model,
            )
        }) {
            let amount = match quota.metric {
                QuotaMetric::Requests => 1.0,
                QuotaMetric::Tokens => demand.tokens,
                QuotaMetric::Usd => demand.usd,
            };
            let Window {
                counter,
                start,
                end,
            } = Window::of(quota, now);
            let ttl = ttl_until(end);
            if let Err(error) = self.seed(quota, &counter, start, end, ttl).await {
                tracing::error!(%error, "cannot seed a quota counter; letting the {} through", demand.of.noun());
                continue;
            }
            let limit = if quota.shadow { -1.0 } else { quota.limit };
            match self.counters.reserve(&counter, amount, limit, ttl).await {
                Ok(r) if r.allowed => {
                    if quota.shadow && r.before + amount > quota.limit {
                        tracing::warn!(quota = %quota.id, used = r.before, limit = quota.limit, "quota exceeded (shadow mode: not enforced)");
                    }
                    held.push(Held {
                        quota: quota.clone(),
                        counter,
                        reserved: amount,
                        period_end: end,
                    });
                }
                Ok(r) => {
                    self.release(std::mem::take(&mut held)).await;
                    return Err(Refusal {
                        code: ErrorCode::QuotaExceeded,
                        message: demand.of.refusal(quota, demand.usd, round(r.before)),
                        retry_after: Duration::from_millis(
                            u64::try_from(end - now).unwrap_or(1000).max(1000),
                        ),
                        headers: RateHeaders::default(),
                    });
                }
                Err(error) => {
                    tracing::error!(%error, "quota counters unreachable; letting the {} through", demand.of.noun())
                }
            }
        }
        Ok(held)
    }

    /// Return reservations unused (the demand never reached an upstream).
    async fn release(&self, held: Vec<Held>) {
        for held in held {
            let ttl = Duration::from_secs(3600);
            if let Err(error) = self
                .counters
                .adjust(&held.counter, -held.reserved, ttl)
                .await
            {
                tracing::error!(%error, "cannot release a quota reservation");
            }
        }
    }

    /// What is used of `quota` in its current period (reserved and settled).
    pub async fn used(&self, quota: &Quota) -> Result<QuotaUse, StoreError> {
        let window = Window::of(quota, now_millis());
        let ttl = window.ttl();
        self.seed(quota, &window.counter, window.start, window.end, ttl)
            .await?;
        let used = self.counters.adjust(&window.counter, 0.0, ttl).await?;
        Ok(QuotaUse {
            used: round(used),
            period_start: window.start,
            period_end: window.end,
        })
    }

    /// Highest output estimate and cost among the candidates the name resolves to.
    fn estimate(&self, model: &str, input_tokens: u64, max_output: Option<u32>) -> (u64, f64) {
        let snapshot = self.registry.snapshot();
        let entries = match snapshot.resolve(model) {
            Resolved::Models(m) => m,
            Resolved::Group { members, .. } => members,
            Resolved::Unknown => Vec::new(),
        };
        let mut output = u64::from(max_output.unwrap_or(0));
        let mut usd: f64 = 0.0;
        for e in &entries {
            let out = max_output.map_or(u64::from(e.model.max_output_tokens), u64::from);
            output = output.max(out);
            if !e.provider.provider.free_tier {
                let p = &e.model.pricing;
                usd = usd.max(
                    (input_tokens as f64 * p.input_cost_per_mtok
                        + out as f64 * p.output_cost_per_mtok)
                        / 1e6,
                );
            }
        }
        (output, usd)
    }

    /// Start a period's counter from the recorded usage, once.
    async fn seed(
        &self,
        quota: &Quota,
        counter: &str,
        start: i64,
        end: i64,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let marker = format!("{counter}:seeded");
        if !self.counters.set_if_absent(&marker, 1.0, ttl).await? {
            return Ok(());
        }
        let totals = self
            .store
            .usage_totals(quota.scope, &quota.scope_id, start, end)
            .await?;
        let used = match quota.metric {
            QuotaMetric::Requests => totals.requests as f64,
            QuotaMetric::Tokens => totals.tokens as f64,
            QuotaMetric::Usd => totals.cost_usd,
        };
        if used > 0.0 {
            self.counters.adjust(counter, used, ttl).await?;
        }
        Ok(())
    }
}

/// Whether `quota` covers a request by this key, user and team for this model.
pub(crate) fn applies(
    quota: &Quota,
    key_id: &str,
    user_id: &str,
    team_id: Option<&str>,
    model: &str,
) -> bool {
    match quota.scope {
        QuotaScope::Key => quota.scope_id == key_id,
        QuotaScope::User => quota.scope_id == user_id,
        QuotaScope::Team => team_id == Some(quota.scope_id.as_str()),
        QuotaScope::Model => quota.scope_id == model,
    }
}

/// Whether a request that ended with `status` counts against request quotas: the same
/// rule as the seeding query over usage records (4xx refusals are free).
pub fn counts_as_request(status: u16) -> bool {
    !(400..500).contains(&status)
}

pub(crate) fn round(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

impl Admission {
    /// Replace the reservations by the actual figures, take the tokens from the key's
    /// token bucket, and fire budget alerts that this request crossed. A request the
    /// gateway or the provider refused as the client's fault (`status` 400–499) does
    /// not count as a request; everything answered, or failed upstream (5xx), does.
    pub async fn settle(self, tokens: u64, cost_usd: f64, status: u16) {
        let counted = if counts_as_request(status) { 1.0 } else { 0.0 };
        let governor = self.governor.clone();
        if let (Some(tpm), true) = (self.tpm, tokens > 0)
            && let Err(error) = governor
                .counters
                .rate(
                    &format!("tpm:{}", self.key_id),
                    u64::from(tpm),
                    MINUTE,
                    tokens,
                    true,
                )
                .await
        {
            tracing::error!(%error, "cannot count tokens against the rate limit");
        }
        for held in self.held {
            let actual = match held.quota.metric {
                QuotaMetric::Requests => counted,
                QuotaMetric::Tokens => tokens as f64,
                QuotaMetric::Usd => cost_usd,
            };
            let ttl = ttl_until(held.period_end);
            match governor
                .counters
                .adjust(&held.counter, actual - held.reserved, ttl)
                .await
            {
                Ok(total) => {
                    alerts::check(
                        &governor,
                        &held.quota,
                        &held.counter,
                        total - actual,
                        total,
                        ttl,
                    )
                    .await
                }
                Err(error) => tracing::error!(%error, "cannot settle a quota reservation"),
            }
        }
    }
}
