//! Tasks and usage: idempotency, saving progress, batched usage inserts and filtered lists.

use serde_json::json;
use switchyard_store::{NewTask, Page, Store, StoreError, UsageFilter};
use switchyard_types::{ErrorKind, TaskStatus, TaskType, UsageRecord};

conformance! {
    task_lifecycle_and_idempotency => task_lifecycle_and_idempotency_sqlite, task_lifecycle_and_idempotency_postgres;
    usage_batch_and_filters => usage_batch_and_filters_sqlite, usage_batch_and_filters_postgres;
}

async fn task_lifecycle_and_idempotency(store: Store) {
    let tasks = store.tasks();
    let request = json!({"prompt": "a lighthouse", "size": "1024x1024", "n": 1});
    let mut new = NewTask::new(TaskType::ImageGeneration, request.clone());
    new.user_id = Some("u1".into());
    new.key_id = Some("k1".into());
    new.idempotency_key = Some("idem-1".into());
    new.callback_url = Some("https://hooks.example.test/done".into());
    new.model = Some("mock-image".into());
    let task = tasks.create(&new).await.unwrap();
    assert_eq!(
        (task.status, task.progress, task.attempts),
        (TaskStatus::Queued, 0, 0)
    );
    assert_eq!(task.request, request);
    assert_eq!(
        (task.result.as_ref(), task.error.as_ref(), task.finished_at),
        (None, None, None)
    );
    assert_eq!(task.model.as_deref(), Some("mock-image"));
    assert_eq!(tasks.get(&task.id).await.unwrap().as_ref(), Some(&task));

    match tasks.create(&new).await {
        Err(StoreError::Conflict(msg)) => assert!(msg.contains("`idem-1`"), "{msg}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    let mut other_user = new.clone();
    other_user.user_id = Some("u2".into());
    let theirs = tasks.create(&other_user).await.unwrap();
    let anonymous = tasks
        .create(&NewTask::new(TaskType::VideoGeneration, json!({})))
        .await
        .unwrap();
    let anonymous_again = tasks
        .create(&NewTask::new(TaskType::VideoGeneration, json!({})))
        .await
        .unwrap();
    assert_ne!(anonymous.id, anonymous_again.id);

    assert_eq!(
        tasks
            .find_by_idempotency_key("u1", "idem-1")
            .await
            .unwrap()
            .as_ref(),
        Some(&task)
    );
    assert_eq!(
        tasks
            .find_by_idempotency_key("u2", "idem-1")
            .await
            .unwrap()
            .as_ref(),
        Some(&theirs)
    );
    assert_eq!(
        tasks.find_by_idempotency_key("u1", "other").await.unwrap(),
        None
    );

    let mut running = task.clone();
    running.status = TaskStatus::Running;
    running.progress = 40;
    running.attempts = 1;
    running.provider = Some("mock".into());
    running.provider_job_id = Some("job-123".into());
    running.lease_owner = Some("replica-a".into());
    running.lease_expires_at = Some(1_800_000_000_000);
    let saved = tasks.save(&running).await.unwrap().unwrap();
    assert_eq!(saved.status, TaskStatus::Running);
    assert_eq!((saved.progress, saved.attempts), (40, 1));
    assert_eq!(saved.provider_job_id.as_deref(), Some("job-123"));
    assert_eq!(saved.lease_owner.as_deref(), Some("replica-a"));
    assert_eq!(saved.lease_expires_at, Some(1_800_000_000_000));
    assert_eq!(saved.created_at, task.created_at);
    assert!(saved.updated_at >= task.updated_at);

    let mut done = saved.clone();
    done.status = TaskStatus::Succeeded;
    done.progress = 100;
    done.result = Some(json!({"images": [{"url": "https://cdn.example.test/1.png"}]}));
    done.lease_owner = None;
    done.lease_expires_at = None;
    done.finished_at = Some(1_800_000_000_500);
    let finished = tasks.save(&done).await.unwrap().unwrap();
    assert_eq!(finished.result, done.result);
    assert_eq!(
        (finished.lease_owner, finished.lease_expires_at),
        (None, None)
    );
    assert_eq!(finished.finished_at, Some(1_800_000_000_500));
    assert!(finished.status.is_terminal());
    assert_eq!(
        tasks.get(&task.id).await.unwrap().unwrap().result,
        done.result
    );

    let mut ghost = done.clone();
    ghost.id = "missing".into();
    assert_eq!(tasks.save(&ghost).await.unwrap(), None);

    let mine = tasks.list(Page::default(), Some("u1")).await.unwrap();
    assert_eq!(mine.total, 1);
    assert_eq!(mine.items[0].id, task.id);
    let all = tasks.list(Page::new(2, 0), None).await.unwrap();
    assert_eq!((all.total, all.items.len()), (4, 2));

    assert!(tasks.delete(&task.id).await.unwrap());
    assert!(!tasks.delete(&task.id).await.unwrap());
    assert_eq!(
        tasks.find_by_idempotency_key("u1", "idem-1").await.unwrap(),
        None
    );
    // The key is free again once its task is gone.
    tasks.create(&new).await.unwrap();
}

fn record(i: u64) -> UsageRecord {
    let base = 1_700_000_000_000_i64;
    UsageRecord {
        id: format!("usage-{i:05}"),
        request_id: format!("req-{i}"),
        key_id: Some(format!("key-{}", i % 4)),
        user_id: if i.is_multiple_of(10) {
            None
        } else {
            Some(format!("user-{}", i % 3))
        },
        team_id: None,
        model: if i.is_multiple_of(2) {
            "gpt-4o-mini".into()
        } else {
            "claude-haiku".into()
        },
        provider: if i.is_multiple_of(5) {
            "backup".into()
        } else {
            "primary".into()
        },
        endpoint: "/v1/chat/completions".into(),
        input_tokens: 100 + i,
        output_tokens: 2 * i,
        cached_input_tokens: i % 7,
        reasoning_tokens: 0,
        cost_usd: i as f64 * 0.000_123,
        latency_ms: 250 + i,
        ttft_ms: if i.is_multiple_of(2) {
            Some(40 + i)
        } else {
            None
        },
        status: if i.is_multiple_of(50) { 429 } else { 200 },
        error_kind: if i.is_multiple_of(50) {
            Some(ErrorKind::RateLimited)
        } else {
            None
        },
        created_at: base + i64::try_from(i).unwrap() * 1_000,
    }
}

async fn usage_batch_and_filters(store: Store) {
    let usage = store.usage();
    let records: Vec<UsageRecord> = (0..1000).map(record).collect();
    assert_eq!(usage.insert_batch(&records).await.unwrap(), 1000);
    assert_eq!(usage.insert_batch(&[]).await.unwrap(), 0);
    // Re-sending a batch after an unclear failure stores nothing twice.
    assert_eq!(usage.insert_batch(&records[990..]).await.unwrap(), 0);

    let everything = usage
        .list(Page::new(1000, 0), &UsageFilter::default())
        .await
        .unwrap();
    assert_eq!(everything.total, 1000);
    assert_eq!(
        everything.items, records,
        "every field round-trips, in creation order"
    );

    let by_key = UsageFilter {
        key_id: Some("key-1".into()),
        ..UsageFilter::default()
    };
    let page = usage.list(Page::new(10, 0), &by_key).await.unwrap();
    assert_eq!(page.total, 250);
    assert_eq!(page.items.len(), 10);
    assert!(
        page.items
            .iter()
            .all(|r| r.key_id.as_deref() == Some("key-1"))
    );
    assert_eq!(page.items[1].id, "usage-00005");

    let base = 1_700_000_000_000_i64;
    let window = UsageFilter {
        from: Some(base + 100_000),
        to: Some(base + 200_000),
        model: Some("gpt-4o-mini".into()),
        provider: Some("backup".into()),
        ..UsageFilter::default()
    };
    let page = usage.list(Page::new(100, 0), &window).await.unwrap();
    // i in [100, 200), even and a multiple of 5: multiples of 10.
    assert_eq!(page.total, 10);
    assert_eq!(
        page.items.first().map(|r| r.id.as_str()),
        Some("usage-00100")
    );
    assert_eq!(
        page.items.last().map(|r| r.id.as_str()),
        Some("usage-00190")
    );
    assert_eq!(page.items[0].error_kind, Some(ErrorKind::RateLimited));
    assert_eq!(page.items[0].status, 429);
    assert_eq!(page.items[0].user_id, None);

    let by_user = UsageFilter {
        user_id: Some("user-2".into()),
        ..UsageFilter::default()
    };
    let expected = records
        .iter()
        .filter(|r| r.user_id.as_deref() == Some("user-2"))
        .count();
    let page = usage.list(Page::new(5, 3), &by_user).await.unwrap();
    assert_eq!(page.total, u64::try_from(expected).unwrap());
    assert_eq!(page.items.len(), 5);

    let nothing = UsageFilter {
        model: Some("unknown".into()),
        ..UsageFilter::default()
    };
    let page = usage.list(Page::default(), &nothing).await.unwrap();
    assert_eq!((page.total, page.items.len()), (0, 0));
}
