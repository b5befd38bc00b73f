//! The `[tasks]` section: leases, concurrency, polling, deadline and webhook delivery
//! of durable media tasks, with its checks and its translation into the task system's
//! settings.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use switchyard_core::tasks::TaskSettings;
use switchyard_types::Secret;

use super::error::Problems;

/// Durable media tasks (images with `"async": true`, videos).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
pub struct TasksConfig {
    /// How long a gateway's claim on a task lasts without renewal, in milliseconds (renewed every third); after a crash, another gateway resumes the task once it expires.
    #[schemars(range(min = 300))]
    pub lease_ms: u64,
    /// How often to look for tasks to pick up, in milliseconds.
    #[schemars(range(min = 10))]
    pub claim_interval_ms: u64,
    /// Tasks one gateway drives at once.
    #[schemars(range(min = 1))]
    pub max_concurrency: u32,
    /// Tasks one gateway polls at one provider at once; unset: the provider's `max_concurrency`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_per_provider: Option<u32>,
    /// First wait between polls of a provider job, in milliseconds; grows by half each poll.
    #[schemars(range(min = 10))]
    pub poll_initial_ms: u64,
    /// Longest wait between polls, in milliseconds.
    #[schemars(range(min = 10))]
    pub poll_max_ms: u64,
    /// A task not finished this many milliseconds after submission fails.
    #[schemars(range(min = 1000))]
    pub deadline_ms: u64,
    /// Deliveries of one webhook event before giving up.
    #[schemars(range(min = 1))]
    pub webhook_max_attempts: u32,
    /// Timeout of one webhook delivery, in milliseconds.
    #[schemars(range(min = 100))]
    pub webhook_timeout_ms: u64,
}

impl Default for TasksConfig {
    fn default() -> Self {
        Self {
            lease_ms: 30_000,
            claim_interval_ms: 1_000,
            max_concurrency: 64,
            max_per_provider: None,
            poll_initial_ms: 1_000,
            poll_max_ms: 15_000,
            deadline_ms: 3_600_000,
            webhook_max_attempts: 6,
            webhook_timeout_ms: 10_000,
        }
    }
}

impl TasksConfig {
    /// The task system's settings, signing webhooks with `webhook_secret`.
    pub fn settings(&self, webhook_secret: Secret<String>) -> TaskSettings {
        TaskSettings {
            lease: Duration::from_millis(self.lease_ms),
            claim_interval: Duration::from_millis(self.claim_interval_ms),
            max_concurrency: self.max_concurrency.max(1) as usize,
            max_per_provider: self.max_per_provider.map(|n| n.max(1) as usize),
            poll_initial: Duration::from_millis(self.poll_initial_ms),
            poll_max: Duration::from_millis(self.poll_max_ms),
            deadline: Duration::from_millis(self.deadline_ms),
            webhook_secret,
            webhook_max_attempts: self.webhook_max_attempts.max(1),
            webhook_timeout: Duration::from_millis(self.webhook_timeout_ms),
        }
    }

    /// Report values out of range, at their key paths.
    pub(crate) fn check(&self, p: &mut Problems) {
        let at_least = |p: &mut Problems, key: &str, value: u64, min: u64| {
            if value < min {
                p.push(format!("tasks.{key}"), format!("must be at least {min}"));
            }
        };
        at_least(p, "lease_ms", self.lease_ms, 300);
        at_least(p, "claim_interval_ms", self.claim_interval_ms, 10);
        at_least(p, "max_concurrency", u64::from(self.max_concurrency), 1);
        at_least(p, "poll_initial_ms", self.poll_initial_ms, 10);
        at_least(p, "poll_max_ms", self.poll_max_ms, 10);
        at_least(p, "deadline_ms", self.deadline_ms, 1_000);
        at_least(
            p,
            "webhook_max_attempts",
            u64::from(self.webhook_max_attempts),
            1,
        );
        at_least(p, "webhook_timeout_ms", self.webhook_timeout_ms, 100);
        if self.max_per_provider == Some(0) {
            p.push("tasks.max_per_provider", "must be at least 1");
        }
        if self.poll_max_ms < self.poll_initial_ms {
            p.push(
                "tasks.poll_max_ms",
                "must not be less than tasks.poll_initial_ms",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::load_str;

    fn problems(toml: &str) -> String {
        match load_str(toml, &|_| None) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_section_loads_and_bad_values_name_their_key() {
        let config = load_str(
            "[tasks]\nlease_ms = 2000\npoll_initial_ms = 100\npoll_max_ms = 500\n",
            &|_| None,
        );
        let tasks = config.map(|c| c.tasks).unwrap_or_default();
        assert_eq!((tasks.lease_ms, tasks.poll_max_ms), (2000, 500));
        let settings = tasks.settings(switchyard_types::Secret::new("s".into()));
        assert_eq!(settings.lease, std::time::Duration::from_secs(2));
        let bad = problems(
            "[tasks]\nlease_ms = 10\npoll_initial_ms = 900\npoll_max_ms = 100\nmax_per_provider = 0\n",
        );
        for key in [
            "tasks.lease_ms",
            "tasks.poll_max_ms",
            "tasks.max_per_provider",
        ] {
            assert!(bad.contains(key), "{key} in {bad}");
        }
        assert!(problems("[tasks]\nlease = 1\n").contains("tasks.lease"));
        let with_secret = load_str("[security]\nwebhook_secret = \"env:HOOK\"\n", &|name| {
            (name == "HOOK").then(|| "from-env-secret".to_string())
        });
        let secret = with_secret.ok().and_then(|c| c.security.webhook_secret);
        assert_eq!(
            secret.map(|s| s.expose().clone()),
            Some("from-env-secret".to_string())
        );
        assert!(
            problems("[security]\nwebhook_secret = \"env:UNSET_HOOK\"\n")
                .contains("security.webhook_secret")
        );
    }
}
