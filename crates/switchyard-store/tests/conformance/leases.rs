//! Task leases and media files: claims never hand one task to two owners (also under
//! concurrency), writes need the lease, cancellation wins over the driver, and the
//! extra task columns and media rows round-trip.

use std::collections::HashSet;

use serde_json::json;
use switchyard_store::{NewTask, Store};
use switchyard_types::media::MediaFile;
use switchyard_types::{TaskStatus, TaskType, now_millis};

conformance! {
    claims_are_exclusive_and_expire => claims_are_exclusive_and_expire_sqlite, claims_are_exclusive_and_expire_postgres;
    concurrent_claims_never_overlap => concurrent_claims_never_overlap_sqlite, concurrent_claims_never_overlap_postgres;
    owned_writes_cancel_and_release => owned_writes_cancel_and_release_sqlite, owned_writes_cancel_and_release_postgres;
    media_files_round_trip => media_files_round_trip_sqlite, media_files_round_trip_postgres;
}

async fn new_task(store: &Store, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let mut new = NewTask::new(TaskType::VideoGeneration, json!({"prompt": i}));
        new.team_id = Some("team-1".into());
        new.request_id = Some(format!("req-{i}"));
        new.estimated_cost_usd = Some(0.25);
        new.deadline_at = Some(now_millis() + 60_000);
        ids.push(store.tasks().create(&new).await.unwrap().id);
    }
    ids
}

async fn claims_are_exclusive_and_expire(store: Store) {
    let ids = new_task(&store, 3).await;
    let tasks = store.tasks();
    let far = now_millis() + 60_000;
    let a = tasks.claim("a", far, 2).await.unwrap();
    assert_eq!(a.len(), 2, "limit respected");
    assert_eq!(
        a.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        vec![ids[0].as_str(), ids[1].as_str()],
        "oldest first"
    );
    assert!(
        a.iter()
            .all(|t| t.lease_owner.as_deref() == Some("a") && t.attempts == 1)
    );
    assert_eq!(a[0].team_id.as_deref(), Some("team-1"));
    assert_eq!(a[0].estimated_cost_usd, Some(0.25));
    assert!(a[0].deadline_at.is_some());
    let b = tasks.claim("b", far, 10).await.unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].id, ids[2]);
    assert!(tasks.claim("c", far, 10).await.unwrap().is_empty());

    // An expired lease is up for grabs; the previous owner can no longer renew it.
    assert!(tasks.renew(&ids[0], "a", now_millis() - 1).await.unwrap());
    let c = tasks.claim("c", far, 10).await.unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].id.as_str(), c[0].attempts), (ids[0].as_str(), 2));
    assert!(!tasks.renew(&ids[0], "a", far).await.unwrap());
    assert!(tasks.renew(&ids[0], "c", far).await.unwrap());
    assert_eq!(tasks.count_unfinished().await.unwrap(), 3);
}

async fn concurrent_claims_never_overlap(store: Store) {
    new_task(&store, 12).await;
    let far = now_millis() + 60_000;
    let mut handles = Vec::new();
    for owner in 0..4 {
        let store = store.clone();
        #[expect(
            clippy::disallowed_methods,
            reason = "concurrent claimers; the test awaits every handle"
        )]
        let handle = tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..6 {
                for t in store
                    .tasks()
                    .claim(&format!("o{owner}"), far, 2)
                    .await
                    .unwrap()
                {
                    got.push(t.id);
                }
            }
            got
        });
        handles.push(handle);
    }
    let mut seen = HashSet::new();
    let mut count = 0;
    for h in handles {
        for id in h.await.unwrap() {
            count += 1;
            assert!(seen.insert(id), "a task was claimed twice");
        }
    }
    assert_eq!(count, 12, "every task claimed exactly once");
}

async fn owned_writes_cancel_and_release(store: Store) {
    let ids = new_task(&store, 2).await;
    let tasks = store.tasks();
    let far = now_millis() + 60_000;
    let mut claimed = tasks.claim("a", far, 1).await.unwrap().remove(0);
    claimed.status = TaskStatus::Running;
    claimed.progress = 30;
    claimed.provider_job_id = Some("job-1".into());
    let saved = tasks.save_owned(&claimed, "a").await.unwrap().unwrap();
    assert_eq!((saved.status, saved.progress), (TaskStatus::Running, 30));
    assert_eq!(
        tasks.save_owned(&claimed, "b").await.unwrap(),
        None,
        "not the owner"
    );
    // Progress saves keep the lease as renewed; NULL and real costs alternate freely
    // (a NULL f64 must not poison a prepared statement on PostgreSQL).
    assert!(tasks.renew(&ids[0], "a", far + 5_000).await.unwrap());
    for i in 0..10 {
        claimed.cost_usd = (i % 2 == 1).then_some(0.125);
        claimed.progress = 31 + i;
        let saved = tasks.save_owned(&claimed, "a").await.unwrap().unwrap();
        assert_eq!(saved.lease_expires_at, Some(far + 5_000));
        assert_eq!(saved.lease_owner.as_deref(), Some("a"));
        assert_eq!(saved.cost_usd, claimed.cost_usd);
    }

    let cancelled = tasks
        .cancel(&ids[0], "cancelled by the user")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cancelled.status, TaskStatus::Cancelled);
    assert_eq!(cancelled.cost_usd, Some(0.0));
    assert_eq!(cancelled.lease_owner, None);
    assert!(cancelled.finished_at.is_some());
    assert_eq!(cancelled.provider_job_id.as_deref(), Some("job-1"));
    assert_eq!(
        tasks.cancel(&ids[0], "again").await.unwrap(),
        None,
        "already finished"
    );
    let mut late = claimed.clone();
    late.status = TaskStatus::Succeeded;
    assert_eq!(
        tasks.save_owned(&late, "a").await.unwrap(),
        None,
        "cancel wins"
    );
    assert!(!tasks.renew(&ids[0], "a", far).await.unwrap());

    let mut other = tasks.claim("a", far, 1).await.unwrap().remove(0);
    assert_eq!(other.id, ids[1]);
    // A terminal save by the owner clears the lease.
    let mut done = other.clone();
    done.status = TaskStatus::Succeeded;
    done.cost_usd = Some(0.5);
    let finished = tasks.save_owned(&done, "a").await.unwrap().unwrap();
    assert_eq!(
        (finished.lease_owner, finished.lease_expires_at),
        (None, None)
    );
    assert_eq!(finished.cost_usd, Some(0.5));
    let ids = new_task(&store, 1).await;
    other = tasks.claim("a", far, 1).await.unwrap().remove(0);
    assert_eq!(other.id, ids[0]);
    assert_eq!(tasks.release("b", None).await.unwrap(), 0);
    assert_eq!(tasks.release("a", Some(&ids[0])).await.unwrap(), 1);
    let again = tasks.claim("b", far, 5).await.unwrap();
    assert_eq!(again.len(), 1, "released at once, not after expiry");
    assert_eq!(tasks.count_unfinished().await.unwrap(), 1);
}

async fn media_files_round_trip(store: Store) {
    let file = MediaFile {
        id: "m-1".into(),
        user_id: Some("u1".into()),
        task_id: Some("t1".into()),
        media_type: "image/png".into(),
        size_bytes: 68,
        file_name: "m-1.png".into(),
        created_at: 1_700_000_000_000,
    };
    store.media().create(&file).await.unwrap();
    assert_eq!(store.media().get("m-1").await.unwrap(), Some(file.clone()));
    assert_eq!(store.media().get("nope").await.unwrap(), None);
    assert_eq!(
        store.media().for_task("t1").await.unwrap(),
        vec![file.clone()]
    );
    assert!(store.media().create(&file).await.is_err(), "ids are unique");
}
