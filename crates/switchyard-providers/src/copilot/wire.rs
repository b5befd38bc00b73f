//! The Copilot token exchange answer (`GET /copilot_internal/v2/token`):
//! `{"token","expires_at","refresh_in","endpoints":{"api",…},…}`; other members ignored.

use serde::Deserialize;

/// A short-lived Copilot token and where to use it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenResponse {
    pub token: String,
    /// Unix seconds.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Seconds until the token should be refreshed.
    #[serde(default)]
    pub refresh_in: Option<i64>,
    #[serde(default)]
    pub endpoints: Option<Endpoints>,
}

/// The service endpoints that go with the token.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Endpoints {
    /// The chat API base (e.g. `https://api.individual.githubcopilot.com`).
    #[serde(default)]
    pub api: Option<String>,
}
