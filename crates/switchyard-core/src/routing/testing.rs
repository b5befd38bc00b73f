//! Test fixtures: snapshots of providers, models and groups built in memory.

use switchyard_providers::Adapters;
use switchyard_types::{
    Capability, Group, GroupMember, GroupStrategy, Identity, Model, ModelKind, Pricing, Provider,
    ProviderKind, Role, TaskType,
};

use super::{Needs, RouteRequest, Want};
use crate::registry::{ProviderEntry, Snapshot};
use crate::vitals::HealthSettings;

/// A catalog under construction.
#[derive(Default, Clone)]
pub(crate) struct Fixture {
    pub providers: Vec<Provider>,
    pub models: Vec<Model>,
    pub groups: Vec<Group>,
}

impl Fixture {
    pub fn new() -> Self {
        Self::default()
    }

    fn provider_mut(&mut self, name: &str) -> &mut Provider {
        if !self.providers.iter().any(|p| p.name == name) {
            self.providers.push(Provider {
                id: format!("pid-{name}"),
                name: name.into(),
                kind: ProviderKind::Mock,
                base_url: None,
                has_api_key: false,
                timeout_ms: 1_000,
                max_concurrency: 8,
                free_tier: false,
                enabled: true,
                options: serde_json::Value::Null,
                created_at: 0,
                updated_at: 0,
            });
        }
        self.providers.iter_mut().find(|p| p.name == name).unwrap()
    }

    /// A chat model `name` at `provider` (created if new): streams, tier 3, free.
    pub fn model(self, provider: &str, name: &str) -> Self {
        self.with_model(provider, name, |_| {})
    }

    /// [`Fixture::model`], then `edit` it.
    pub fn with_model(mut self, provider: &str, name: &str, edit: impl FnOnce(&mut Model)) -> Self {
        let provider_id = self.provider_mut(provider).id.clone();
        let mut model = Model {
            id: format!("id-{provider}-{name}"),
            provider_id,
            provider: provider.into(),
            name: name.into(),
            upstream_name: name.into(),
            kinds: vec![ModelKind::Chat],
            capabilities: vec![Capability::Stream],
            task_types: vec![TaskType::Chat],
            context_window: 8192,
            max_output_tokens: 4096,
            pricing: Pricing::default(),
            quality_tier: 3,
            time_to_first_token_ms: None,
            enabled: true,
            created_at: 0,
            updated_at: 0,
        };
        edit(&mut model);
        self.models.push(model);
        self
    }

    /// A disabled chat model.
    pub fn disabled_model(self, provider: &str, name: &str) -> Self {
        self.with_model(provider, name, |m| m.enabled = false)
    }

    /// Mark a provider free-tier.
    pub fn free(mut self, provider: &str) -> Self {
        self.provider_mut(provider).free_tier = true;
        self
    }

    /// Make a provider's adapters fail to build.
    pub fn broken(mut self, provider: &str) -> Self {
        self.provider_mut(provider).options = serde_json::json!({"broken": true});
        self
    }

    /// A group of `(model, weight, priority)` members.
    pub fn group(
        mut self,
        name: &str,
        strategy: GroupStrategy,
        members: &[(&str, u32, i32)],
    ) -> Self {
        self.groups.push(Group {
            id: format!("gid-{name}"),
            name: name.into(),
            strategy,
            members: members
                .iter()
                .map(|(model, weight, priority)| GroupMember {
                    model: (*model).into(),
                    weight: *weight,
                    priority: *priority,
                })
                .collect(),
            fallback_groups: Vec::new(),
            max_attempts: 3,
            enabled: true,
            created_at: 0,
            updated_at: 0,
        });
        self
    }

    fn group_mut(&mut self, name: &str) -> &mut Group {
        self.groups.iter_mut().find(|g| g.name == name).unwrap()
    }

    /// Set a group's fallback groups.
    pub fn fallbacks(mut self, group: &str, fallbacks: &[&str]) -> Self {
        self.group_mut(group).fallback_groups = fallbacks.iter().map(|f| (*f).into()).collect();
        self
    }

    /// Set a group's `max_attempts`.
    pub fn attempts(mut self, group: &str, n: u32) -> Self {
        self.group_mut(group).max_attempts = n;
        self
    }

    /// The snapshot, with fresh health.
    pub fn build(&self) -> Snapshot {
        self.build_on(None)
    }

    /// The snapshot, keeping the state of `previous`.
    pub fn build_on(&self, previous: Option<&Snapshot>) -> Snapshot {
        let entries = self
            .providers
            .iter()
            .map(|p| {
                let adapters = if p.options.get("broken").is_some() {
                    Err("no key".to_string())
                } else {
                    Ok(Adapters::default())
                };
                ProviderEntry::new(p.clone(), adapters)
            })
            .collect();
        Snapshot::build(
            previous,
            &HealthSettings::default(),
            entries,
            self.models.clone(),
            self.groups.clone(),
        )
    }

    /// An unrestricted caller.
    pub fn identity() -> Identity {
        Identity {
            key_id: "k".into(),
            user_id: "u".into(),
            team_id: None,
            role: Role::Service,
            allowed_models: Vec::new(),
            rate_limit_rpm: None,
            rate_limit_tpm: None,
        }
    }

    /// A chat request for `name` with no special needs and no prompt.
    pub fn chat_request<'a>(name: &'a str, identity: &'a Identity) -> RouteRequest<'a> {
        RouteRequest {
            want: Want::Model(name),
            kind: ModelKind::Chat,
            needs: Needs::NONE,
            identity,
            chat: None,
        }
    }
}

/// Resolve `request` and run one strategy alone over the candidates.
pub(crate) fn apply(
    strategy: &dyn super::Strategy,
    snapshot: &Snapshot,
    request: &RouteRequest<'_>,
    health: bool,
) -> (super::Candidates, Result<(), super::LlmError>) {
    let (list, tiers, _) = super::resolve::resolve(snapshot, request, &Default::default()).unwrap();
    let mut set = super::Candidates {
        list,
        removed: Vec::new(),
    };
    let ctx = super::Context {
        request,
        snapshot,
        tiers: &tiers,
        now: crate::vitals::now_ms(),
        health,
    };
    let result = strategy.apply(&ctx, &mut set);
    (set, result)
}

/// `provider/model` of each candidate left, in order.
pub(crate) fn names(snapshot: &Snapshot, set: &super::Candidates) -> Vec<String> {
    set.list
        .iter()
        .map(|c| snapshot.at(c.index).model.qualified_name())
        .collect()
}
