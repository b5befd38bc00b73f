//! Usage analytics: exact totals, groups, hour/day buckets, nearest-rank percentiles, every
//! filter, group truncation and keyset export pages, over a small known set of records.

use switchyard_store::{
    GroupBy, GroupValue, StatusClass, Store, UsageCursor, UsageFilter, UsageReport, UsageStats,
};
use switchyard_types::{ErrorKind, UsageRecord};

conformance! {
    report_totals_groups_and_percentiles => report_totals_groups_and_percentiles_sqlite, report_totals_groups_and_percentiles_postgres;
    report_filters_and_truncation => report_filters_and_truncation_sqlite, report_filters_and_truncation_postgres;
    export_pages_follow_the_filter => export_pages_follow_the_filter_sqlite, export_pages_follow_the_filter_postgres;
}

/// Midnight UTC, so hour and day buckets start here.
const BASE: i64 = 1_700_006_400_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;

#[expect(
    clippy::too_many_arguments,
    reason = "one positional row per record keeps the table readable"
)]
fn rec(
    id: &str,
    who: Option<(&str, &str, Option<&str>)>,
    model: &str,
    provider: &str,
    tokens: (u64, u64, u64, u64),
    cost_usd: f64,
    latency_ms: u64,
    ttft_ms: Option<u64>,
    status: u16,
    created_at: i64,
) -> UsageRecord {
    UsageRecord {
        id: id.into(),
        request_id: format!("req-{id}"),
        key_id: who.map(|w| w.0.into()),
        user_id: who.map(|w| w.1.into()),
        team_id: who.and_then(|w| w.2.map(Into::into)),
        model: model.into(),
        provider: provider.into(),
        endpoint: "chat".into(),
        input_tokens: tokens.0,
        output_tokens: tokens.1,
        cached_input_tokens: tokens.2,
        reasoning_tokens: tokens.3,
        cost_usd,
        latency_ms,
        ttft_ms,
        status,
        error_kind: match status {
            429 => Some(ErrorKind::RateLimited),
            500 => Some(ErrorKind::UpstreamError),
            _ => None,
        },
        created_at,
    }
}

/// 20 `alpha` records of k1/u1 in the first hour (latencies 10..=200 ms in shuffled order),
/// 4 `beta` records of k2/u2/t2 (two of them failed, two at the same instant, one exactly a
/// day later) and one keyless `ghost` 404.
fn records() -> Vec<UsageRecord> {
    let mut all: Vec<UsageRecord> = (1..=20_u64)
        .map(|i| {
            rec(
                &format!("a{i:02}"),
                Some(("k1", "u1", None)),
                "alpha",
                "p1",
                (100, 10 * i, i % 2, 1),
                0.001,
                ((i * 7) % 20 + 1) * 10,
                (i <= 4).then_some(i),
                200,
                BASE + i64::try_from(i).unwrap() * 60_000,
            )
        })
        .collect();
    let beta = |id: &str, output: u64, latency_ms: u64, status: u16, at: i64| {
        let cost = if status == 200 { 0.5 } else { 0.0 };
        let who = Some(("k2", "u2", Some("t2")));
        rec(
            id,
            who,
            "beta",
            "p2",
            (1000, output, 0, 0),
            cost,
            latency_ms,
            None,
            status,
            at,
        )
    };
    all.extend([
        beta("b1", 50, 5, 200, BASE + HOUR),
        beta("b2", 0, 7, 500, BASE + HOUR),
        beta("b3", 0, 1000, 429, BASE + HOUR + 300_000),
        rec(
            "g1",
            None,
            "ghost",
            "",
            (0, 0, 0, 0),
            0.0,
            1,
            None,
            404,
            BASE + 2 * HOUR,
        ),
        beta("b4", 50, 3, 200, BASE + DAY),
    ]);
    all
}

async fn seeded(store: &Store) {
    let mut all = records();
    all.reverse();
    assert_eq!(store.usage().insert_batch(&all).await.unwrap(), 25);
}

fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "{what}: {actual} != {expected}"
    );
}

/// requests, errors, input, output, cached, reasoning, p50, p95.
type Counts = (u64, u64, u64, u64, u64, u64, Option<u64>, Option<u64>);

fn counts(s: &UsageStats) -> Counts {
    (
        s.requests,
        s.errors,
        s.input_tokens,
        s.output_tokens,
        s.cached_input_tokens,
        s.reasoning_tokens,
        s.latency_p50_ms,
        s.latency_p95_ms,
    )
}

async fn report(store: &Store, filter: &UsageFilter, by: &[GroupBy]) -> UsageReport {
    store.usage().report(filter, by, 1000).await.unwrap()
}

async fn report_totals_groups_and_percentiles(store: Store) {
    seeded(&store).await;
    let all = UsageFilter::default();

    let r = report(&store, &all, &[]).await;
    assert!(r.groups.is_empty() && !r.truncated);
    // 25 latencies sorted: 1, 3, 5, 7, 10, 20, …, 200, 1000. Rank ⌈12.5⌉ = 13 → 90 ms;
    // rank ⌈23.75⌉ = 24 → 200 ms.
    assert_eq!(
        counts(&r.totals),
        (25, 3, 6000, 2200, 10, 20, Some(90), Some(200))
    );
    assert_close(r.totals.error_rate, 0.12, "error rate");
    assert_close(r.totals.cost_usd, 1.02, "cost");
    assert_eq!(r.totals.avg_ttft_ms, Some(2.5));

    let r = report(&store, &all, &[GroupBy::Model]).await;
    let models: Vec<_> = r.groups.iter().map(|g| g.text(GroupBy::Model)).collect();
    assert_eq!(models, [Some("alpha"), Some("beta"), Some("ghost")]);
    // alpha: 10..=200, ranks 10 and 19. beta: 3, 5, 7, 1000, ranks 2 and 4.
    assert_eq!(
        counts(&r.groups[0].stats),
        (20, 0, 2000, 2100, 10, 20, Some(100), Some(190))
    );
    assert_eq!(
        counts(&r.groups[1].stats),
        (4, 2, 4000, 100, 0, 0, Some(5), Some(1000))
    );
    assert_eq!(
        counts(&r.groups[2].stats),
        (1, 1, 0, 0, 0, 0, Some(1), Some(1))
    );
    assert_close(r.groups[0].stats.cost_usd, 0.02, "alpha cost");
    assert_close(r.groups[1].stats.error_rate, 0.5, "beta error rate");
    assert_eq!(r.groups[1].stats.avg_ttft_ms, None);
    assert_eq!(r.totals.requests, 25, "totals ignore the grouping");

    // Keyless records form their own group, ordered first.
    let r = report(&store, &all, &[GroupBy::Key, GroupBy::User]).await;
    let keys: Vec<_> = r
        .groups
        .iter()
        .map(|g| {
            (
                g.get(GroupBy::Key).cloned(),
                g.text(GroupBy::User),
                g.stats.requests,
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            (Some(GroupValue::Text(None)), None, 1),
            (Some(GroupValue::Text(Some("k1".into()))), Some("u1"), 20),
            (Some(GroupValue::Text(Some("k2".into()))), Some("u2"), 4),
        ]
    );

    let r = report(&store, &all, &[GroupBy::Hour]).await;
    let hours: Vec<_> = r
        .groups
        .iter()
        .map(|g| (g.time(GroupBy::Hour).unwrap() - BASE, g.stats.requests))
        .collect();
    assert_eq!(hours, [(0, 20), (HOUR, 3), (2 * HOUR, 1), (DAY, 1)]);

    let r = report(
        &store,
        &all,
        &[GroupBy::Model, GroupBy::Day, GroupBy::Model],
    )
    .await;
    let cells: Vec<_> = r
        .groups
        .iter()
        .map(|g| {
            assert_eq!(g.key.len(), 2, "a repeated dimension counts once");
            (
                g.text(GroupBy::Model).unwrap(),
                g.time(GroupBy::Day).unwrap() - BASE,
                g.stats.requests,
                g.stats.errors,
            )
        })
        .collect();
    assert_eq!(
        cells,
        [
            ("alpha", 0, 20, 0),
            ("beta", 0, 3, 2),
            ("beta", DAY, 1, 0),
            ("ghost", 0, 1, 1)
        ]
    );

    let r = report(&store, &all, &[GroupBy::Provider]).await;
    let providers: Vec<_> = r
        .groups
        .iter()
        .map(|g| (g.text(GroupBy::Provider), g.stats.requests))
        .collect();
    assert_eq!(
        providers,
        [(Some(""), 1), (Some("p1"), 20), (Some("p2"), 4)]
    );
}

/// Sets one or more fields of a filter.
type SetFilter<'a> = &'a dyn Fn(&mut UsageFilter);

async fn report_filters_and_truncation(store: Store) {
    seeded(&store).await;
    let total = |filter: UsageFilter| {
        let store = store.clone();
        async move { report(&store, &filter, &[]).await.totals.requests }
    };
    // `from` is inclusive and `to` exclusive: b4 sits exactly at BASE + DAY.
    let window = UsageFilter {
        from: Some(BASE + HOUR),
        to: Some(BASE + DAY),
        ..UsageFilter::default()
    };
    assert_eq!(total(window).await, 4);
    let from_day = UsageFilter {
        from: Some(BASE + DAY),
        ..UsageFilter::default()
    };
    assert_eq!(total(from_day).await, 1);
    let k2 = |f: &mut UsageFilter| f.key_id = Some("k2".into());
    let u1 = |f: &mut UsageFilter| f.user_id = Some("u1".into());
    let t2 = |f: &mut UsageFilter| f.team_id = Some("t2".into());
    let beta = |f: &mut UsageFilter| f.model = Some("beta".into());
    let p1 = |f: &mut UsageFilter| f.provider = Some("p1".into());
    let ok = |f: &mut UsageFilter| f.status = Some(StatusClass::Ok);
    let failed = |f: &mut UsageFilter| f.status = Some(StatusClass::Error);
    let u1_beta = |f: &mut UsageFilter| {
        u1(f);
        beta(f);
    };
    let cases: [(SetFilter<'_>, u64); 8] = [
        (&k2, 4),
        (&u1, 20),
        (&t2, 4),
        (&beta, 4),
        (&p1, 20),
        (&ok, 22),
        (&failed, 3),
        (&u1_beta, 0),
    ];
    for (set, expected) in cases {
        let mut filter = UsageFilter::default();
        set(&mut filter);
        let label = format!("{filter:?}");
        assert_eq!(total(filter).await, expected, "{label}");
    }

    let errors = UsageFilter {
        status: Some(StatusClass::Error),
        ..UsageFilter::default()
    };
    let r = report(&store, &errors, &[GroupBy::Model]).await;
    let by_model: Vec<_> = r
        .groups
        .iter()
        .map(|g| {
            (
                g.text(GroupBy::Model).unwrap(),
                g.stats.requests,
                g.stats.error_rate,
            )
        })
        .collect();
    assert_eq!(by_model, [("beta", 2, 1.0), ("ghost", 1, 1.0)]);
    // beta errors: 7 and 1000 ms → ranks 1 and 2.
    assert_eq!(
        (
            r.groups[0].stats.latency_p50_ms,
            r.groups[0].stats.latency_p95_ms
        ),
        (Some(7), Some(1000))
    );

    let nothing = UsageFilter {
        model: Some("unknown".into()),
        ..UsageFilter::default()
    };
    let r = report(&store, &nothing, &[GroupBy::Day]).await;
    assert!(r.groups.is_empty() && !r.truncated);
    assert_eq!(r.totals, UsageStats::default());

    let r = store
        .usage()
        .report(&UsageFilter::default(), &[GroupBy::Hour], 2)
        .await
        .unwrap();
    assert!(r.truncated);
    let hours: Vec<_> = r.groups.iter().map(|g| g.time(GroupBy::Hour)).collect();
    assert_eq!(hours, [Some(BASE), Some(BASE + HOUR)]);
    assert_eq!(
        r.totals.requests, 25,
        "totals cover every group, kept or not"
    );
    let exact = store
        .usage()
        .report(&UsageFilter::default(), &[GroupBy::Hour], 4)
        .await
        .unwrap();
    assert!(!exact.truncated && exact.groups.len() == 4);
}

async fn export_pages_follow_the_filter(store: Store) {
    seeded(&store).await;
    let usage = store.usage();
    let all = UsageFilter::default();
    let mut cursor: Option<UsageCursor> = None;
    let mut pages = Vec::new();
    loop {
        let page = usage.page_after(&all, cursor.as_ref(), 7).await.unwrap();
        let Some(last) = page.last() else { break };
        cursor = Some(UsageCursor {
            created_at: last.created_at,
            id: last.id.clone(),
        });
        pages.push(page.iter().map(|r| r.id.clone()).collect::<Vec<_>>());
    }
    let sizes: Vec<_> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [7, 7, 7, 4]);
    // b1 and b2 share a timestamp and are split across pages without loss or repeat.
    assert_eq!(pages[2].last().map(String::as_str), Some("b1"));
    assert_eq!(pages[3], ["b2", "b3", "g1", "b4"]);
    let ids: Vec<String> = pages.concat();
    let expected: Vec<String> = records().into_iter().map(|r| r.id).collect();
    assert_eq!(ids, expected);

    let filter = UsageFilter {
        status: Some(StatusClass::Error),
        from: Some(BASE),
        ..UsageFilter::default()
    };
    let first = usage.page_after(&filter, None, 2).await.unwrap();
    assert_eq!(first, [records()[21].clone(), records()[22].clone()]);
    let after = UsageCursor {
        created_at: first[1].created_at,
        id: first[1].id.clone(),
    };
    let rest = usage.page_after(&filter, Some(&after), 2).await.unwrap();
    let rest: Vec<_> = rest.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(rest, ["g1"]);
}
