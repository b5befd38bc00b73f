//! Teams, users, API keys and quotas: CRUD, foreign keys (set null, cascade), key lookup.

use switchyard_store::{
    ApiKeyPatch, NewQuota, NewTeam, NewUser, Page, QuotaPatch, Store, StoreError, TeamPatch,
    UserPatch,
};
use switchyard_types::{QuotaMetric, QuotaPeriod, QuotaScope, Role};

use crate::fixtures::{api_key, user};

conformance! {
    team_and_user_crud => team_and_user_crud_sqlite, team_and_user_crud_postgres;
    team_delete_nulls_users_team => team_delete_nulls_users_team_sqlite, team_delete_nulls_users_team_postgres;
    api_keys_lookup_and_update => api_keys_lookup_and_update_sqlite, api_keys_lookup_and_update_postgres;
    quota_crud_and_round_trips => quota_crud_and_round_trips_sqlite, quota_crud_and_round_trips_postgres;
    pagination_totals_and_order => pagination_totals_and_order_sqlite, pagination_totals_and_order_postgres;
}

async fn team_and_user_crud(store: Store) {
    let team = store
        .teams()
        .create(&NewTeam {
            name: "core".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        store.teams().get(&team.id).await.unwrap().as_ref(),
        Some(&team)
    );
    assert!(matches!(
        store.teams().create(&NewTeam { name: "core".into() }).await,
        Err(StoreError::Conflict(m)) if m == "team `core` already exists"
    ));
    let renamed = store
        .teams()
        .update(
            &team.id,
            &TeamPatch {
                name: Some("platform".into()),
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.name, "platform");
    let untouched = store
        .teams()
        .update(&team.id, &TeamPatch::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(untouched.name, "platform");
    assert_eq!(
        store
            .teams()
            .update("missing", &TeamPatch::default())
            .await
            .unwrap(),
        None
    );

    let mut new = NewUser::new("ada", Role::Admin);
    new.email = Some("ada@example.test".into());
    new.team_id = Some(team.id.clone());
    let ada = store.users().create(&new).await.unwrap();
    assert_eq!(
        (ada.role, ada.team_id.as_deref()),
        (Role::Admin, Some(team.id.as_str()))
    );
    assert_eq!(ada.email.as_deref(), Some("ada@example.test"));
    assert_eq!(
        store.users().get(&ada.id).await.unwrap().as_ref(),
        Some(&ada)
    );
    assert_eq!(
        store.users().get_by_name("ada").await.unwrap().as_ref(),
        Some(&ada)
    );
    assert_eq!(store.users().get_by_name("bob").await.unwrap(), None);
    assert!(
        matches!(store.users().create(&new).await, Err(StoreError::Conflict(m)) if m.contains("`ada`"))
    );

    let mut orphan = NewUser::new("orphan", Role::User);
    orphan.team_id = Some("no-such-team".into());
    assert!(matches!(
        store.users().create(&orphan).await,
        Err(StoreError::Conflict(m)) if m.contains("team `no-such-team` does not exist")
    ));

    let patch = UserPatch {
        email: Some(None),
        team_id: Some(None),
        role: Some(Role::Service),
        ..UserPatch::default()
    };
    let changed = store
        .users()
        .update(&ada.id, &patch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (changed.email, changed.team_id, changed.role),
        (None, None, Role::Service)
    );
    assert_eq!(changed.created_at, ada.created_at);
    let bad_team = UserPatch {
        team_id: Some(Some("nope".into())),
        ..UserPatch::default()
    };
    assert!(matches!(
        store.users().update(&ada.id, &bad_team).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.users().update("missing", &patch).await.unwrap(), None);

    // Deleting a user deletes its keys.
    let key = store
        .api_keys()
        .create(&api_key(&ada.id, "sk-ada", b"h"))
        .await
        .unwrap();
    assert_eq!(store.users().list(Page::default()).await.unwrap().total, 1);
    assert!(store.users().delete(&ada.id).await.unwrap());
    assert!(!store.users().delete(&ada.id).await.unwrap());
    assert_eq!(store.api_keys().get(&key.id).await.unwrap(), None);
    assert!(store.teams().delete(&team.id).await.unwrap());
    assert!(!store.teams().delete(&team.id).await.unwrap());
    assert_eq!(store.teams().list(Page::default()).await.unwrap().total, 0);
}

async fn team_delete_nulls_users_team(store: Store) {
    let team = store
        .teams()
        .create(&NewTeam { name: "t".into() })
        .await
        .unwrap();
    let keep = store
        .teams()
        .create(&NewTeam {
            name: "keep".into(),
        })
        .await
        .unwrap();
    let mut a = NewUser::new("a", Role::User);
    a.team_id = Some(team.id.clone());
    let a = store.users().create(&a).await.unwrap();
    let mut b = NewUser::new("b", Role::User);
    b.team_id = Some(keep.id.clone());
    let b = store.users().create(&b).await.unwrap();
    assert!(store.teams().delete(&team.id).await.unwrap());
    assert_eq!(
        store.users().get(&a.id).await.unwrap().unwrap().team_id,
        None
    );
    assert_eq!(
        store.users().get(&b.id).await.unwrap().unwrap().team_id,
        Some(keep.id)
    );
}

async fn api_keys_lookup_and_update(store: Store) {
    let ada = user(&store, "ada").await;
    let bob = user(&store, "bob").await;
    let keys = store.api_keys();
    let mut first = api_key(&ada.id, "sk-abc", &[1, 2, 3, 0, 255]);
    first.role = Role::Admin;
    first.expires_at = Some(1_900_000_000_000);
    first.allowed_models = vec!["gpt-4o-mini".into(), "chat-default".into()];
    let k1 = keys.create(&first).await.unwrap();
    assert_eq!(k1.role, Role::Admin);
    assert_eq!(k1.expires_at, Some(1_900_000_000_000));
    assert_eq!(k1.allowed_models, first.allowed_models);
    assert!(k1.enabled);
    assert_eq!(k1.last_used_at, None);
    let k2 = keys
        .create(&api_key(&bob.id, "sk-abc", &[9]))
        .await
        .unwrap();
    let k3 = keys
        .create(&api_key(&bob.id, "sk-xyz", &[7]))
        .await
        .unwrap();
    assert!(matches!(
        keys.create(&api_key("nobody", "sk-q", &[1])).await,
        Err(StoreError::Conflict(m)) if m.contains("user `nobody` does not exist")
    ));

    let found = keys.find_by_prefix("sk-abc").await.unwrap();
    assert_eq!(
        found,
        vec![(k1.clone(), vec![1, 2, 3, 0, 255]), (k2.clone(), vec![9])]
    );
    assert_eq!(
        keys.find_by_prefix("sk-xyz").await.unwrap(),
        vec![(k3.clone(), vec![7])]
    );
    assert!(keys.find_by_prefix("sk-none").await.unwrap().is_empty());
    assert_eq!(keys.get(&k1.id).await.unwrap().as_ref(), Some(&k1));

    let mine = keys.list(Page::default(), Some(&bob.id)).await.unwrap();
    assert_eq!((mine.total, mine.items), (2, vec![k2.clone(), k3.clone()]));
    assert_eq!(keys.list(Page::new(1, 0), None).await.unwrap().total, 3);

    assert!(
        keys.touch_last_used(&k2.id, 1_700_000_000_123)
            .await
            .unwrap()
    );
    assert!(!keys.touch_last_used("missing", 1).await.unwrap());
    assert_eq!(
        keys.get(&k2.id).await.unwrap().unwrap().last_used_at,
        Some(1_700_000_000_123)
    );

    let patch = ApiKeyPatch {
        name: Some("renamed".into()),
        enabled: Some(false),
        expires_at: Some(None),
        allowed_models: Some(vec![]),
        role: Some(Role::Service),
        rate_limit_rpm: Some(Some(60)),
        rate_limit_tpm: Some(None),
    };
    let updated = keys.update(&k1.id, &patch).await.unwrap().unwrap();
    assert_eq!(updated.name, "renamed");
    assert_eq!(
        (updated.rate_limit_rpm, updated.rate_limit_tpm),
        (Some(60), None)
    );
    assert!(!updated.enabled);
    assert_eq!((updated.expires_at, updated.role), (None, Role::Service));
    assert!(updated.allowed_models.is_empty());
    assert_eq!(
        keys.update(&k1.id, &ApiKeyPatch::default()).await.unwrap(),
        Some(updated)
    );
    assert_eq!(keys.update("missing", &patch).await.unwrap(), None);

    assert_eq!(keys.count_by_role(Role::Admin).await.unwrap(), 0);
    assert_eq!(keys.count_by_role(Role::User).await.unwrap(), 2);
    assert_eq!(keys.count_by_role(Role::Service).await.unwrap(), 1);
    assert!(keys.delete(&k2.id).await.unwrap());
    assert!(!keys.delete(&k2.id).await.unwrap());
    assert_eq!(keys.find_by_prefix("sk-abc").await.unwrap().len(), 1);
}

async fn quota_crud_and_round_trips(store: Store) {
    let quotas = store.quotas();
    let new = NewQuota {
        scope: QuotaScope::Team,
        scope_id: "team-1".into(),
        metric: QuotaMetric::Usd,
        period: QuotaPeriod::Month,
        limit: 0.1 + 0.2,
        shadow: true,
    };
    let q = quotas.create(&new).await.unwrap();
    assert_eq!(
        (q.scope, q.metric, q.period),
        (QuotaScope::Team, QuotaMetric::Usd, QuotaPeriod::Month)
    );
    assert_eq!(q.limit.to_bits(), (0.1_f64 + 0.2).to_bits());
    assert!(q.shadow);
    assert_eq!(quotas.get(&q.id).await.unwrap().as_ref(), Some(&q));
    assert!(matches!(
        quotas.create(&new).await,
        Err(StoreError::Conflict(m)) if m.contains("usd quota per month for team `team-1`")
    ));
    let daily = quotas
        .create(&NewQuota {
            period: QuotaPeriod::Day,
            limit: 100.0,
            shadow: false,
            ..new.clone()
        })
        .await
        .unwrap();
    assert!(!daily.shadow);
    assert_eq!(daily.limit, 100.0);

    let patch = QuotaPatch {
        limit: Some(1e9),
        shadow: Some(false),
        ..QuotaPatch::default()
    };
    let updated = quotas.update(&q.id, &patch).await.unwrap().unwrap();
    assert_eq!((updated.limit, updated.shadow), (1e9, false));
    let clash = QuotaPatch {
        period: Some(QuotaPeriod::Day),
        ..QuotaPatch::default()
    };
    assert!(matches!(
        quotas.update(&q.id, &clash).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(quotas.update("missing", &patch).await.unwrap(), None);

    assert_eq!(
        quotas.list_all().await.unwrap(),
        vec![updated.clone(), daily.clone()]
    );
    let page = quotas.list(Page::new(1, 1)).await.unwrap();
    assert_eq!((page.total, page.items), (2, vec![daily]));
    assert!(quotas.delete(&q.id).await.unwrap());
    assert!(!quotas.delete(&q.id).await.unwrap());
    assert_eq!(quotas.get(&q.id).await.unwrap(), None);
}

async fn pagination_totals_and_order(store: Store) {
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            store
                .teams()
                .create(&NewTeam {
                    name: format!("team-{i}"),
                })
                .await
                .unwrap()
                .id,
        );
    }
    let mut seen = Vec::new();
    for offset in [0, 3, 6] {
        let page = store.teams().list(Page::new(3, offset)).await.unwrap();
        assert_eq!(page.total, 7);
        assert_eq!(page.items.len(), if offset == 6 { 1 } else { 3 });
        seen.extend(page.items.into_iter().map(|t| t.id));
    }
    assert_eq!(seen, ids, "pages cover every row once, in creation order");
    let past = store.teams().list(Page::new(3, 9)).await.unwrap();
    assert_eq!((past.total, past.items.len()), (7, 0));
    let none = store.teams().list(Page::new(0, 0)).await.unwrap();
    assert_eq!((none.total, none.items.len()), (7, 0));
}
