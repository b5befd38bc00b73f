//! A webhook receiver for gateway tests: a real HTTP server on 127.0.0.1:0 keeping the
//! headers and body of every request it gets, optionally failing the first few.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};

/// A webhook receiver keeping every request it gets.
pub struct Receiver {
    /// The URL to configure as the webhook (with a query the gateway must keep).
    pub url: String,
    /// Every delivery accepted so far, in order.
    pub got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
}

impl Receiver {
    /// Listen on 127.0.0.1; the first `fail_first` deliveries are answered 503.
    pub async fn start(fail_first: usize) -> Self {
        let got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>> = Arc::default();
        let seen = Arc::new(Mutex::new(0usize));
        let log = got.clone();
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let log = log.clone();
            let seen = seen.clone();
            async move {
                let mut n = seen.lock().unwrap();
                *n += 1;
                if *n <= fail_first {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                log.lock().unwrap().push((headers, body));
                StatusCode::NO_CONTENT
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}/hooks/task?token=abc"),
            got,
        }
    }

    /// What was received so far.
    pub fn received(&self) -> Vec<(HeaderMap, Bytes)> {
        self.got.lock().unwrap().clone()
    }
}
