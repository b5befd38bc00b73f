//! One routing decision over a catalog of 500 models in 50 groups (10 providers): the
//! whole strategy chain — resolution, user preference, health filter, capability
//! filter, context window, cost, load balancing — for a group, a task type (all 500
//! models are candidates) and a model name. No I/O: the decision alone.
//!
//! Two catalogs: `uniform` (every model streams and has tools, so the filters can tell
//! at once they remove nothing) and `mixed` (every fifth model lacks tools, so a
//! request with tools makes the capability filter visit and remove candidates).
#![expect(
    clippy::unwrap_used,
    reason = "a benchmark over a fixed, valid fixture: a failure is a broken bench"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use switchyard_core::health::HealthSettings;
use switchyard_core::registry::{ProviderEntry, Snapshot};
use switchyard_core::routing::{Needs, RouteRequest, RoutingSettings, Want, decide};
use switchyard_providers::Adapters;
use switchyard_types::chat::{ChatRequest, Message, MessageRole, Tool};
use switchyard_types::{
    Capability, Group, GroupMember, GroupStrategy, Identity, Model, ModelKind, Pricing, Provider,
    ProviderKind, Role, TaskType,
};

const PROVIDERS: usize = 10;
const MODELS: usize = 500;
const GROUPS: usize = 50;

fn catalog(mixed: bool) -> Snapshot {
    let providers = (0..PROVIDERS)
        .map(|i| {
            let p = Provider {
                id: format!("p{i}"),
                name: format!("provider-{i}"),
                kind: ProviderKind::Mock,
                base_url: None,
                has_api_key: false,
                timeout_ms: 60_000,
                max_concurrency: 256,
                free_tier: i.is_multiple_of(5),
                enabled: true,
                options: serde_json::Value::Null,
                created_at: 0,
                updated_at: 0,
            };
            ProviderEntry::new(p, Ok(Adapters::default()))
        })
        .collect();
    let models = (0..MODELS)
        .map(|i| Model {
            id: format!("m{i}"),
            provider_id: format!("p{}", i % PROVIDERS),
            provider: format!("provider-{}", i % PROVIDERS),
            name: format!("model-{i:03}"),
            upstream_name: format!("model-{i:03}"),
            kinds: vec![ModelKind::Chat],
            capabilities: if mixed && i.is_multiple_of(5) {
                vec![Capability::Stream]
            } else {
                vec![Capability::Stream, Capability::Tools]
            },
            task_types: vec![TaskType::Chat, TaskType::Summarization],
            context_window: 128_000,
            max_output_tokens: 4_096,
            pricing: Pricing {
                input_cost_per_mtok: (i % 17) as f64,
                output_cost_per_mtok: (i % 13) as f64 * 2.0,
                ..Pricing::default()
            },
            quality_tier: (i % 5) as u8 + 1,
            time_to_first_token_ms: None,
            enabled: true,
            created_at: 0,
            updated_at: 0,
        })
        .collect();
    let strategies = GroupStrategy::ALL;
    let groups = (0..GROUPS)
        .map(|g| Group {
            id: format!("g{g}"),
            name: format!("group-{g:02}"),
            strategy: strategies[g % strategies.len()],
            members: (0..MODELS / GROUPS)
                .map(|k| GroupMember {
                    model: format!("model-{:03}", g * (MODELS / GROUPS) + k),
                    weight: (k % 4) as u32 + 1,
                    priority: (k % 3) as i32,
                })
                .collect(),
            fallback_groups: vec![format!("group-{:02}", (g + 1) % GROUPS)],
            max_attempts: 3,
            enabled: true,
            created_at: 0,
            updated_at: 0,
        })
        .collect();
    Snapshot::build(None, &HealthSettings::default(), providers, models, groups)
}

fn bench(c: &mut Criterion) {
    for (label, mixed) in [("uniform", false), ("mixed", true)] {
        bench_catalog(c, label, mixed);
    }
}

fn bench_catalog(c: &mut Criterion, label: &str, mixed: bool) {
    let snapshot = std::sync::Arc::new(catalog(mixed));
    let settings = RoutingSettings::default();
    let identity = Identity {
        key_id: "k".into(),
        user_id: "u".into(),
        team_id: None,
        role: Role::Service,
        allowed_models: Vec::new(),
        rate_limit_rpm: None,
        rate_limit_tpm: None,
    };
    let chat = ChatRequest {
        model: "group-00".into(),
        messages: vec![
            Message::text(MessageRole::System, "You are a helpful assistant."),
            Message::text(
                MessageRole::User,
                "Summarise the plot of Hamlet in two lines.",
            ),
        ],
        stream: true,
        tools: vec![Tool {
            name: "lookup".into(),
            description: Some("Look a title up".into()),
            parameters: serde_json::json!({"type": "object", "properties": {"title": {"type": "string"}}}),
        }],
        ..ChatRequest::default()
    };
    let needs = Needs::of_chat(&chat).with(Capability::Stream);
    let names: Vec<String> = (0..GROUPS).map(|g| format!("group-{g:02}")).collect();
    let request = |want| RouteRequest {
        want,
        kind: ModelKind::Chat,
        needs,
        identity: &identity,
        chat: Some(&chat),
    };

    let mut i = 0;
    c.bench_function(
        &format!("{label}/group (10 members + fallback group)"),
        |b| {
            b.iter(|| {
                i = (i + 1) % GROUPS;
                let route = decide(&snapshot, &request(Want::Model(&names[i])), &settings).unwrap();
                black_box(route.candidates.len())
            })
        },
    );
    c.bench_function(&format!("{label}/model name"), |b| {
        b.iter(|| {
            let route = decide(&snapshot, &request(Want::Model("model-123")), &settings).unwrap();
            black_box(route.candidates.len())
        })
    });
    c.bench_function(&format!("{label}/task type (all 500 models)"), |b| {
        b.iter(|| {
            let want = Want::Task(TaskType::Summarization);
            let route = decide(&snapshot, &request(want), &settings).unwrap();
            black_box(route.candidates.len())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
