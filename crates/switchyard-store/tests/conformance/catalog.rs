//! Providers and models: CRUD, upserts, conflicts, restricted and cascading deletes.

use serde_json::json;
use switchyard_store::{
    Backend, ModelPatch, NewModel, NewProvider, Page, ProviderPatch, ProviderSecret, Store,
    StoreError,
};
use switchyard_types::{Capability, ModelKind, Pricing, ProviderKind, TaskType};

use crate::fixtures::provider;

conformance! {
    migrate_twice_is_idempotent => migrate_twice_is_idempotent_sqlite, migrate_twice_is_idempotent_postgres;
    provider_crud => provider_crud_sqlite, provider_crud_postgres;
    provider_upsert_keeps_id => provider_upsert_keeps_id_sqlite, provider_upsert_keeps_id_postgres;
    provider_delete_refused_then_cascades => provider_delete_refused_then_cascades_sqlite, provider_delete_refused_then_cascades_postgres;
    unknown_enum_text_is_corrupt => unknown_enum_text_is_corrupt_sqlite, unknown_enum_text_is_corrupt_postgres;
    model_crud_and_prices => model_crud_and_prices_sqlite, model_crud_and_prices_postgres;
}

async fn migrate_twice_is_idempotent(store: Store) {
    // TestDb already migrated once.
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let folder = format!(
        "{}/migrations/{}",
        env!("CARGO_MANIFEST_DIR"),
        store.backend().as_str()
    );
    let files = std::fs::read_dir(folder).unwrap().count();
    assert_eq!(
        applied,
        i64::try_from(files).unwrap(),
        "each migration once"
    );
    if store.backend() == Backend::Sqlite {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(fk, 1);
    }
    // The schema is usable after the repeated runs.
    provider(&store, "after-migrate").await;
}

async fn provider_crud(store: Store) {
    let providers = store.providers();
    let mut new = NewProvider::new("openai", ProviderKind::OpenAi);
    new.base_url = Some("https://example.test/v1".into());
    new.api_key = Some(ProviderSecret::Env("OPENAI_API_KEY".into()));
    new.timeout_ms = 12_345;
    new.max_concurrency = 7;
    new.free_tier = true;
    new.enabled = false;
    new.options = json!({"latency_ms": 5, "nested": {"a": [1, 2]}});
    let created = providers.create(&new).await.unwrap();
    assert_eq!(created.name, "openai");
    assert_eq!(created.kind, ProviderKind::OpenAi);
    assert_eq!(created.base_url.as_deref(), Some("https://example.test/v1"));
    assert!(created.has_api_key);
    assert_eq!((created.timeout_ms, created.max_concurrency), (12_345, 7));
    assert!(created.free_tier);
    assert!(!created.enabled);
    assert_eq!(created.options, new.options);
    assert_eq!(created.created_at, created.updated_at);

    assert_eq!(
        providers.get(&created.id).await.unwrap().as_ref(),
        Some(&created)
    );
    assert_eq!(
        providers.get_by_name("openai").await.unwrap().as_ref(),
        Some(&created)
    );
    assert_eq!(providers.get("missing").await.unwrap(), None);
    assert_eq!(providers.get_by_name("missing").await.unwrap(), None);
    assert_eq!(
        providers.secret(&created.id).await.unwrap(),
        Some(ProviderSecret::Env("OPENAI_API_KEY".into()))
    );

    let patch = ProviderPatch {
        base_url: Some(None),
        api_key: Some(Some(ProviderSecret::Encrypted(vec![0, 1, 2, 255]))),
        enabled: Some(true),
        free_tier: Some(false),
        ..ProviderPatch::default()
    };
    let updated = providers
        .update(&created.id, &patch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.base_url, None);
    assert!(updated.enabled && !updated.free_tier && updated.has_api_key);
    assert_eq!(updated.name, "openai");
    assert_eq!(updated.timeout_ms, 12_345);
    assert_eq!(updated.created_at, created.created_at);
    assert!(updated.updated_at >= created.updated_at);
    assert_eq!(
        providers.secret(&created.id).await.unwrap(),
        Some(ProviderSecret::Encrypted(vec![0, 1, 2, 255]))
    );

    let cleared = ProviderPatch {
        api_key: Some(None),
        ..ProviderPatch::default()
    };
    let updated = providers
        .update(&created.id, &cleared)
        .await
        .unwrap()
        .unwrap();
    assert!(!updated.has_api_key);
    assert_eq!(providers.secret(&created.id).await.unwrap(), None);
    assert_eq!(providers.update("missing", &cleared).await.unwrap(), None);

    let other = provider(&store, "anthropic").await;
    let all = providers.list_all().await.unwrap();
    assert_eq!(
        all.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["openai", "anthropic"]
    );
    let page = providers.list(Page::new(1, 1)).await.unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items, vec![other.clone()]);

    let renamed = ProviderPatch {
        name: Some("anthropic".into()),
        ..ProviderPatch::default()
    };
    match providers.update(&created.id, &renamed).await {
        Err(StoreError::Conflict(msg)) => assert!(msg.contains("`anthropic`"), "{msg}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    match providers
        .create(&NewProvider::new("openai", ProviderKind::Mock))
        .await
    {
        Err(StoreError::Conflict(msg)) => {
            assert_eq!(msg, "provider `openai` already exists");
        }
        other => panic!("expected Conflict, got {other:?}"),
    }

    assert!(providers.delete(&created.id, false).await.unwrap());
    assert!(!providers.delete(&created.id, false).await.unwrap());
    assert_eq!(providers.get(&created.id).await.unwrap(), None);
    assert_eq!(providers.list_all().await.unwrap(), vec![other]);
}

async fn provider_upsert_keeps_id(store: Store) {
    let providers = store.providers();
    let mut new = NewProvider::new("seeded", ProviderKind::Mock);
    new.api_key = Some(ProviderSecret::Env("A".into()));
    let first = providers.upsert_by_name(&new).await.unwrap();
    new.kind = ProviderKind::OpenAiCompatible;
    new.base_url = Some("http://127.0.0.1:11434/v1".into());
    new.api_key = None;
    new.max_concurrency = 3;
    new.enabled = false;
    let second = providers.upsert_by_name(&new).await.unwrap();
    assert_eq!(second.id, first.id);
    assert_eq!(second.created_at, first.created_at);
    assert_eq!(second.kind, ProviderKind::OpenAiCompatible);
    assert_eq!(
        second.base_url.as_deref(),
        Some("http://127.0.0.1:11434/v1")
    );
    assert!(!second.has_api_key && !second.enabled);
    assert_eq!(second.max_concurrency, 3);
    assert_eq!(providers.get(&first.id).await.unwrap(), Some(second));
    assert_eq!(providers.list(Page::default()).await.unwrap().total, 1);
}

async fn provider_delete_refused_then_cascades(store: Store) {
    let used = provider(&store, "busy").await;
    let spare = provider(&store, "spare").await;
    let a = store
        .models()
        .create(&NewModel::new(&used.id, "a"))
        .await
        .unwrap();
    store
        .models()
        .create(&NewModel::new(&used.id, "b"))
        .await
        .unwrap();
    let kept = store
        .models()
        .create(&NewModel::new(&spare.id, "a"))
        .await
        .unwrap();

    match store.providers().delete(&used.id, false).await {
        Err(StoreError::InUse(msg)) => {
            assert!(
                msg.contains("provider `busy` is used by 2 model(s)"),
                "{msg}"
            );
        }
        other => panic!("expected InUse, got {other:?}"),
    }
    assert!(store.providers().get(&used.id).await.unwrap().is_some());
    assert!(store.models().get(&a.id).await.unwrap().is_some());

    assert!(store.providers().delete(&used.id, true).await.unwrap());
    assert_eq!(store.providers().get(&used.id).await.unwrap(), None);
    assert_eq!(store.models().get(&a.id).await.unwrap(), None);
    assert_eq!(store.models().list_all().await.unwrap(), vec![kept]);
    assert!(!store.providers().delete(&used.id, true).await.unwrap());
}

async fn unknown_enum_text_is_corrupt(store: Store) {
    let p = provider(&store, "odd").await;
    sqlx::query("UPDATE ai_providers SET kind = $1 WHERE id = $2")
        .bind("gpt")
        .bind(&p.id)
        .execute(store.pool())
        .await
        .unwrap();
    match store.providers().get(&p.id).await {
        Err(StoreError::Corrupt(msg)) => assert!(msg.contains("`gpt`"), "{msg}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(matches!(
        store.providers().list_all().await,
        Err(StoreError::Corrupt(_))
    ));
}

async fn model_crud_and_prices(store: Store) {
    let openai = provider(&store, "openai").await;
    let backup = provider(&store, "backup").await;
    let models = store.models();
    let mut new = NewModel::new(&openai.id, "gpt-4o-mini");
    new.upstream_name = "gpt-4o-mini-2024-07-18".into();
    new.kinds = vec![ModelKind::Chat, ModelKind::Embedding];
    new.capabilities = vec![Capability::Stream, Capability::Tools, Capability::JsonMode];
    new.task_types = vec![TaskType::Chat, TaskType::CodeGeneration];
    new.context_window = 128_000;
    new.max_output_tokens = 16_384;
    new.pricing = Pricing {
        input_cost_per_mtok: 0.15,
        output_cost_per_mtok: 3.0,
        cached_input_cost_per_mtok: Some(0.075),
        cost_per_image: None,
        cost_per_video_second: Some(0.1 + 0.2),
    };
    new.quality_tier = 2;
    new.time_to_first_token_ms = Some(1_500);
    let created = models.create(&new).await.unwrap();
    assert_eq!(created.provider, "openai");
    assert_eq!(created.provider_id, openai.id);
    assert_eq!(created.qualified_name(), "openai/gpt-4o-mini");
    assert_eq!(created.upstream_name, "gpt-4o-mini-2024-07-18");
    assert_eq!(created.kinds, new.kinds);
    assert_eq!(created.capabilities, new.capabilities);
    assert_eq!(created.task_types, new.task_types);
    assert_eq!(
        (created.context_window, created.max_output_tokens),
        (128_000, 16_384)
    );
    assert_eq!(created.pricing, new.pricing);
    assert_eq!(created.quality_tier, 2);
    assert_eq!(created.time_to_first_token_ms, Some(1_500));
    assert!(created.enabled);
    assert_eq!(
        models.get(&created.id).await.unwrap().as_ref(),
        Some(&created)
    );

    // The same name at another provider is fine; at the same provider it conflicts.
    let elsewhere = models
        .create(&NewModel::new(&backup.id, "gpt-4o-mini"))
        .await
        .unwrap();
    assert_eq!(elsewhere.provider, "backup");
    match models
        .create(&NewModel::new(&openai.id, "gpt-4o-mini"))
        .await
    {
        Err(StoreError::Conflict(msg)) => {
            assert!(
                msg.contains("`gpt-4o-mini`") && msg.contains("`openai`"),
                "{msg}"
            );
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    match models.create(&NewModel::new("no-such-provider", "x")).await {
        Err(StoreError::Conflict(msg)) => {
            assert!(msg.contains("`no-such-provider` does not exist"), "{msg}")
        }
        other => panic!("expected Conflict, got {other:?}"),
    }

    let patch = ModelPatch {
        cached_input_cost_per_mtok: Some(None),
        cost_per_image: Some(Some(0.04)),
        output_cost_per_mtok: Some(0.6),
        capabilities: Some(vec![]),
        enabled: Some(false),
        quality_tier: Some(5),
        time_to_first_token_ms: Some(Some(250)),
        ..ModelPatch::default()
    };
    let updated = models.update(&created.id, &patch).await.unwrap().unwrap();
    assert_eq!(updated.time_to_first_token_ms, Some(250));
    assert_eq!(updated.pricing.cached_input_cost_per_mtok, None);
    assert_eq!(updated.pricing.cost_per_image, Some(0.04));
    assert_eq!(updated.pricing.output_cost_per_mtok, 0.6);
    assert_eq!(updated.pricing.input_cost_per_mtok, 0.15);
    assert!(updated.capabilities.is_empty() && !updated.enabled);
    assert_eq!(updated.quality_tier, 5);
    assert_eq!(updated.provider, "openai");
    assert_eq!(models.update("missing", &patch).await.unwrap(), None);
    let moved = ModelPatch {
        provider_id: Some("no-such-provider".into()),
        ..ModelPatch::default()
    };
    assert!(matches!(
        models.update(&created.id, &moved).await,
        Err(StoreError::Conflict(_))
    ));

    // Upsert by (provider, name) keeps the id and rewrites the fields.
    let mut again = NewModel::new(&openai.id, "gpt-4o-mini");
    again.context_window = 4_096;
    let upserted = models.upsert(&again).await.unwrap();
    assert_eq!(upserted.id, created.id);
    assert_eq!(upserted.created_at, created.created_at);
    assert_eq!(upserted.context_window, 4_096);
    assert_eq!(
        upserted.time_to_first_token_ms, None,
        "upsert rewrites it too"
    );
    assert_eq!(upserted.pricing, Pricing::default());
    assert!(upserted.enabled);

    let fresh = models
        .upsert(&NewModel::new(&openai.id, "o3"))
        .await
        .unwrap();
    assert_ne!(fresh.id, created.id);
    let page = models
        .list(Page::new(10, 0), Some(&openai.id))
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(
        page.items
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>(),
        ["gpt-4o-mini", "o3"]
    );
    assert_eq!(models.list(Page::new(10, 0), None).await.unwrap().total, 3);
    assert_eq!(
        models
            .list(Page::new(10, 0), Some("missing"))
            .await
            .unwrap()
            .total,
        0
    );

    assert!(models.delete(&created.id).await.unwrap());
    assert!(!models.delete(&created.id).await.unwrap());
    assert_eq!(models.list_all().await.unwrap(), vec![elsewhere, fresh]);
}
