//! Groups: members keep their order, are replaced as a whole, and go with their group.

use switchyard_store::{GroupPatch, NewGroup, Page, Store, StoreError};
use switchyard_types::{GroupMember, GroupStrategy};

conformance! {
    group_members_order_and_replacement => group_members_order_and_replacement_sqlite, group_members_order_and_replacement_postgres;
}

fn member(model: &str, weight: u32, priority: i32) -> GroupMember {
    GroupMember {
        model: model.into(),
        weight,
        priority,
    }
}

async fn group_members_order_and_replacement(store: Store) {
    let groups = store.groups();
    let mut new = NewGroup::new("chat-default");
    new.strategy = GroupStrategy::WeightedRoundRobin;
    new.members = vec![
        member("zeta", 3, 0),
        member("openai/alpha", 1, 2),
        member("mid", 2, -1),
    ];
    new.fallback_groups = vec!["chat-backup".into(), "last".into()];
    new.max_attempts = 4;
    let created = groups.create(&new).await.unwrap();
    assert_eq!(created.members, new.members);
    assert_eq!(created.fallback_groups, new.fallback_groups);
    assert_eq!(created.strategy, GroupStrategy::WeightedRoundRobin);
    assert_eq!(created.max_attempts, 4);
    assert_eq!(
        groups.get(&created.id).await.unwrap().as_ref(),
        Some(&created)
    );
    assert_eq!(
        groups.get_by_name("chat-default").await.unwrap().as_ref(),
        Some(&created)
    );

    let other = groups.create(&NewGroup::new("empty")).await.unwrap();
    assert!(other.members.is_empty());
    match groups.create(&NewGroup::new("chat-default")).await {
        Err(StoreError::Conflict(msg)) => assert!(msg.contains("`chat-default`"), "{msg}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    let mut twice = NewGroup::new("twice");
    twice.members = vec![member("a", 1, 0), member("a", 2, 0)];
    assert!(matches!(
        groups.create(&twice).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(groups.get_by_name("twice").await.unwrap(), None);

    // Members given: replaced as a whole, in the new order.
    let patch = GroupPatch {
        members: Some(vec![member("mid", 9, 1), member("beta", 1, 0)]),
        enabled: Some(false),
        ..GroupPatch::default()
    };
    let updated = groups.update(&created.id, &patch).await.unwrap().unwrap();
    assert_eq!(
        updated.members,
        vec![member("mid", 9, 1), member("beta", 1, 0)]
    );
    assert!(!updated.enabled);
    assert_eq!(
        groups.get(&created.id).await.unwrap().unwrap().members,
        updated.members
    );

    // Members not given: kept.
    let rename = GroupPatch {
        name: Some("chat".into()),
        ..GroupPatch::default()
    };
    let renamed = groups.update(&created.id, &rename).await.unwrap().unwrap();
    assert_eq!(renamed.name, "chat");
    assert_eq!(renamed.members, updated.members);
    assert_eq!(groups.update("missing", &rename).await.unwrap(), None);

    let mut seed = NewGroup::new("chat");
    seed.members = vec![member("only", 1, 0)];
    let upserted = groups.upsert_by_name(&seed).await.unwrap();
    assert_eq!(upserted.id, created.id);
    assert_eq!(upserted.members, seed.members);
    assert!(upserted.enabled);

    let all = groups.list_all().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].members, seed.members);
    let page = groups.list(Page::new(1, 0)).await.unwrap();
    assert_eq!((page.total, page.items.len()), (2, 1));
    assert_eq!(page.items[0].members, seed.members);

    assert!(groups.delete(&created.id).await.unwrap());
    assert!(!groups.delete(&created.id).await.unwrap());
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ai_group_members")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(groups.list_all().await.unwrap(), vec![other]);
}
