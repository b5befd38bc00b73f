//! Scalar round trips through `Any`: booleans (INTEGER on SQLite, BOOLEAN on PostgreSQL),
//! floats (REAL / DOUBLE PRECISION), large integers and NULLs.

use switchyard_store::{Backend, ModelPatch, NewModel, NewProvider, Page, Store, UsageFilter};
use switchyard_types::{Pricing, ProviderKind, UsageRecord};

use crate::fixtures::provider;

conformance! {
    bools_are_native_per_backend => bools_are_native_per_backend_sqlite, bools_are_native_per_backend_postgres;
    floats_integers_and_nulls => floats_integers_and_nulls_sqlite, floats_integers_and_nulls_postgres;
}

async fn bools_are_native_per_backend(store: Store) {
    for (free_tier, enabled) in [(true, false), (false, true), (true, true), (false, false)] {
        let mut new = NewProvider::new(format!("p-{free_tier}-{enabled}"), ProviderKind::Mock);
        new.free_tier = free_tier;
        new.enabled = enabled;
        let p = store.providers().create(&new).await.unwrap();
        let read = store.providers().get(&p.id).await.unwrap().unwrap();
        assert_eq!((read.free_tier, read.enabled), (free_tier, enabled));
    }
    let sql = match store.backend() {
        Backend::Sqlite => "SELECT DISTINCT typeof(enabled) FROM ai_providers",
        Backend::Postgres => "SELECT DISTINCT pg_typeof(enabled)::text FROM ai_providers",
    };
    let stored: Vec<String> = sqlx::query_scalar(sql)
        .fetch_all(store.pool())
        .await
        .unwrap();
    let expected = match store.backend() {
        Backend::Sqlite => "integer",
        Backend::Postgres => "boolean",
    };
    assert_eq!(stored, [expected]);
}

async fn floats_integers_and_nulls(store: Store) {
    let p = provider(&store, "prices").await;
    let cases = [
        Pricing {
            input_cost_per_mtok: 0.0,
            output_cost_per_mtok: 3.0,
            ..Pricing::default()
        },
        Pricing {
            input_cost_per_mtok: 1e-9,
            output_cost_per_mtok: 12_345.678_901_234_5,
            cached_input_cost_per_mtok: Some(0.1 + 0.2),
            cost_per_image: Some(f64::MAX),
            cost_per_video_second: Some(f64::MIN_POSITIVE),
        },
    ];
    for (i, pricing) in cases.iter().enumerate() {
        let mut new = NewModel::new(&p.id, format!("m{i}"));
        new.pricing = pricing.clone();
        new.context_window = u32::MAX;
        new.quality_tier = u8::MAX;
        let m = store.models().create(&new).await.unwrap();
        let read = store.models().get(&m.id).await.unwrap().unwrap();
        assert_eq!(read.pricing, *pricing);
        assert_eq!(
            (read.context_window, read.quality_tier),
            (u32::MAX, u8::MAX)
        );
    }

    // A NULL price first, then a value, through the same statement text (sqlx#4284).
    let m = store
        .models()
        .create(&NewModel::new(&p.id, "patched"))
        .await
        .unwrap();
    for price in [None, Some(2.5), None, Some(0.125)] {
        let patch = ModelPatch {
            cost_per_image: Some(price),
            ..ModelPatch::default()
        };
        let read = store.models().update(&m.id, &patch).await.unwrap().unwrap();
        assert_eq!(read.pricing.cost_per_image, price);
    }

    let big = UsageRecord {
        id: "big".into(),
        request_id: "r".into(),
        key_id: None,
        user_id: None,
        team_id: None,
        model: "m".into(),
        provider: "p".into(),
        endpoint: "/e".into(),
        input_tokens: u64::try_from(i64::MAX).unwrap(),
        output_tokens: 0,
        cached_input_tokens: 0,
        reasoning_tokens: 1,
        cost_usd: 1e-12,
        latency_ms: 0,
        ttft_ms: None,
        status: u16::MAX,
        error_kind: None,
        created_at: -1,
    };
    store
        .usage()
        .insert_batch(std::slice::from_ref(&big))
        .await
        .unwrap();
    let read = store
        .usage()
        .list(Page::default(), &UsageFilter::default())
        .await
        .unwrap();
    assert_eq!(read.items, vec![big]);
}
