//! `switchyard serve`: start-up wiring, the periodic registry refresh, and graceful
//! shutdown that lets in-flight requests finish.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use switchyard_core::usage::UsageSink;
use switchyard_store::{Bus, Counters, RedisLink};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::app::AppState;
use crate::bootstrap;
use crate::config::Config;

/// How often every replica rebuilds its registry from the database.
const REGISTRY_REFRESH: Duration = Duration::from_secs(30);

/// A started gateway: its address, and a handle to stop it.
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub state: AppState,
    pub shutdown: CancellationToken,
    pub done: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Prepare everything and start serving on the configured address.
/// The generated admin key, if one was generated, is returned to be printed once.
pub async fn start(
    config: Config,
) -> anyhow::Result<(Running, Option<switchyard_types::Secret<String>>)> {
    let config = Arc::new(config);
    let store = bootstrap::open_store(&config).await?;
    let secrets = bootstrap::secret_box(&config)?;
    bootstrap::seed(&store, &secrets, &config).await?;
    let generated = bootstrap::ensure_admin_key(&store, &config).await?;
    let http =
        switchyard_providers::HttpClient::new().context("cannot build the upstream HTTP client")?;
    let tracker = TaskTracker::new();
    // Stopped only after the server has drained, so late requests' usage is still written.
    let usage_stop = CancellationToken::new();
    let usage = UsageSink::start(store.clone(), &tracker, usage_stop.clone());
    // One Redis connection serves both the bus (publishing) and the counters.
    let (bus, counters) = match &config.redis {
        Some(redis) => {
            let link = RedisLink::connect(&redis.url).await.context("redis")?;
            (Bus::over(&link).await, Counters::over(&link))
        }
        None => (Bus::in_process(), Counters::in_process()),
    };
    let state = AppState::new(
        config.clone(),
        store,
        secrets,
        http,
        crate::app::Shared {
            usage,
            bus,
            counters,
        },
        &tracker,
    );
    state
        .governor
        .reload_quotas()
        .await
        .context("cannot load quotas")?;
    state
        .reload_registry()
        .await
        .context("cannot load the registry")?;

    let addr = config.server.listen_addr().context("server.listen")?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let addr = listener.local_addr()?;
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
    });
    let shutdown = CancellationToken::new();
    tracker.spawn(refresh_registry(state.clone(), shutdown.clone()));
    tracker.spawn(follow_registry_changes(state.clone(), shutdown.clone()));
    tracker.spawn(switchyard_core::health::probe::run(
        state.registry.clone(),
        shutdown.clone(),
    ));

    // Resume unfinished tasks and take new ones until shutdown.
    state.tasks.start(shutdown.clone());

    let app = crate::http::router(state.clone());
    let grace = config.server.shutdown_grace();
    let token = shutdown.clone();
    let store = state.store.clone();
    let tasks = state.tasks.clone();
    #[expect(
        clippy::disallowed_methods,
        reason = "the server task itself: its handle is awaited by `run` and by tests"
    )]
    let done = tokio::spawn(async move {
        let server =
            axum::serve(listener, app).with_graceful_shutdown(token.clone().cancelled_owned());
        let mut server = std::pin::pin!(server.into_future());
        tokio::select! {
            result = &mut server => result.context("server failed")?,
            () = async { token.cancelled().await; tokio::time::sleep(grace).await } => {
                tracing::warn!(grace_ms = grace.as_millis() as u64, "shutdown grace period over; dropping open connections");
            }
        }
        // Drivers stop and give their leases back before the usage writer drains.
        tasks.stopped().await;
        usage_stop.cancel();
        tracker.close();
        tracker.wait().await;
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    });
    tracing::info!(%addr, "switchyard listening");
    Ok((
        Running {
            addr,
            state,
            shutdown,
            done,
        },
        generated,
    ))
}

/// Run until SIGINT or SIGTERM, then drain.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let (running, generated) = start(config).await?;
    if let Some(key) = generated {
        announce_admin_key(key.expose());
    }
    let token = running.shutdown.clone();
    tokio::select! {
        () = shutdown_signal() => {
            tracing::info!("shutdown requested; finishing in-flight requests");
            token.cancel();
        }
        () = token.cancelled() => {}
    }
    running.done.await.context("server task panicked")?
}

/// Print the generated bootstrap key once, on a line of its own.
#[expect(
    clippy::print_stdout,
    reason = "the key must reach the operator's terminal"
)]
fn announce_admin_key(key: &str) {
    println!("Generated an admin API key. It is shown only this once; store it now:");
    println!("SWITCHYARD_ADMIN_KEY={key}");
}

async fn refresh_registry(state: AppState, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(REGISTRY_REFRESH);
    tick.tick().await;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {
                if let Err(error) = state.reload_registry().await {
                    tracing::warn!(%error, "registry refresh failed; keeping the last snapshot");
                }
                if let Err(error) = state.governor.reload_quotas().await {
                    tracing::warn!(%error, "quota refresh failed; keeping the last list");
                }
            }
        }
    }
}

/// Rebuild the registry whenever another replica announces a change.
async fn follow_registry_changes(state: AppState, shutdown: CancellationToken) {
    let mut changes = state.bus.subscribe(crate::app::REGISTRY_TOPIC);
    let mut quotas = state.bus.subscribe(crate::app::QUOTAS_TOPIC);
    loop {
        let message = tokio::select! {
            () = shutdown.cancelled() => return,
            m = changes.recv() => m,
            q = quotas.recv() => {
                if !matches!(&q, Ok(from) if *from == state.instance_id)
                    && let Err(error) = state.governor.reload_quotas().await {
                        tracing::warn!(%error, "quota reload after a change elsewhere failed");
                    }
                continue;
            }
        };
        match message {
            Ok(from) if from == state.instance_id => {}
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                if let Err(error) = state.reload_registry().await {
                    tracing::warn!(%error, "registry reload after a change elsewhere failed");
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
