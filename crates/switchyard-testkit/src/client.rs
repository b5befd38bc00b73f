//! [`Client`]: calls a [`TestApp`] as one user, with that user's API key.

use crate::TestApp;

/// Calls the gateway as one user (or the admin).
pub struct Client {
    /// `http://127.0.0.1:PORT` of the gateway called.
    pub base: String,
    /// The bearer key sent with every request.
    pub key: String,
    /// The user the key belongs to.
    pub user_id: String,
    /// The HTTP client used.
    pub http: reqwest::Client,
}

impl Client {
    /// A new user with a `user` key.
    pub async fn user(app: &TestApp) -> Self {
        let (user_id, _, key) = app.create_key("user").await;
        Self {
            base: app.base_url.clone(),
            key,
            user_id,
            http: reqwest::Client::new(),
        }
    }

    /// A GET of `path` with this user's key.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
    }

    /// A POST to `path` with this user's key.
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
    }

    /// A DELETE of `path` with this user's key.
    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .delete(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
    }

    /// The same user on another gateway.
    pub fn on(&self, app: &TestApp) -> Self {
        Self {
            base: app.base_url.clone(),
            key: self.key.clone(),
            user_id: self.user_id.clone(),
            http: self.http.clone(),
        }
    }
}
