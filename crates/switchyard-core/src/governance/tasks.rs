//! Budgets for media tasks: a task's estimated cost is reserved when it is submitted and
//! settled with its actual cost when it ends, possibly on another replica — so the
//! reservation is kept in the shared counters, never in this process's memory.

use switchyard_types::{Identity, QuotaMetric};

use super::{Demand, Demanded, Governor, Refusal, Window, applies};

impl Governor {
    /// Reserve a media task's estimated cost (and one request) against every quota that
    /// applies, before it is submitted. The reservation lives in the shared counters and
    /// is settled by [`Governor::settle_task`] when the task ends, on whichever replica.
    pub async fn admit_cost(
        &self,
        identity: &Identity,
        model: &str,
        usd: f64,
    ) -> Result<(), Refusal> {
        let demand = Demand {
            tokens: 0.0,
            usd,
            of: Demanded::Task,
        };
        // Nothing is held in this process: `settle_task` finds the counters again.
        self.reserve(identity, model, &demand).await.map(drop)
    }

    /// Replace a finished task's reserved cost by its actual cost (zero unless it
    /// succeeded) in the USD quotas that applied when it was submitted.
    pub async fn settle_task(&self, task: &switchyard_types::Task) {
        let delta = task.cost_usd.unwrap_or(0.0) - task.estimated_cost_usd.unwrap_or(0.0);
        if delta == 0.0 {
            return;
        }
        let quotas = self.quotas.load();
        let key_id = task.key_id.as_deref().unwrap_or("");
        let user_id = task.user_id.as_deref().unwrap_or("");
        let model = task.model.as_deref().unwrap_or("");
        for quota in quotas.iter().filter(|q| {
            q.metric == QuotaMetric::Usd
                && applies(q, key_id, user_id, task.team_id.as_deref(), model)
        }) {
            // The counter of the period the task was submitted in.
            let window = Window::of(quota, task.created_at);
            if let Err(error) = self
                .counters
                .adjust(&window.counter, delta, window.ttl())
                .await
            {
                tracing::error!(%error, task = %task.id, "cannot settle a task's cost reservation");
            }
        }
    }
}
