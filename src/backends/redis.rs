//! The Redis connection: one multiplexed, self-reconnecting connection per
//! process, shared by every component that keeps short-lived state there.

use super::monitor::{Probe, connect_timeout, short_reason};
use crate::settings::{HealthSettings, RedisSettings};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, IntoConnectionInfo};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Cheap to clone; connects on first use.
#[derive(Clone)]
pub struct RedisHandle {
    client: Client,
    config: ConnectionManagerConfig,
    /// Set once the first connection succeeds; the manager reconnects by
    /// itself after that.
    manager: Arc<OnceCell<ConnectionManager>>,
}

impl std::fmt::Debug for RedisHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisHandle").field("connected", &self.manager.initialized()).finish()
    }
}

impl RedisHandle {
    /// Parses the settings; does not connect.
    pub fn new(settings: &RedisSettings, health: &HealthSettings) -> Result<Self, redis::RedisError> {
        let mut info = settings.url.expose().into_connection_info()?;
        let mut redis_settings = info.redis_settings().clone();
        if let Some(user) = &settings.username {
            redis_settings = redis_settings.set_username(user);
        }
        if !settings.password.is_empty() {
            redis_settings = redis_settings.set_password(settings.password.expose());
        }
        info = info.set_redis_settings(redis_settings);
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(connect_timeout(health)))
            .set_response_timeout(Some(connect_timeout(health)))
            .set_number_of_retries(2);
        Ok(Self { client: Client::open(info)?, config, manager: Arc::new(OnceCell::new()) })
    }

    /// The shared connection, connecting first if needed.
    pub async fn connection(&self) -> redis::RedisResult<ConnectionManager> {
        self.manager
            .get_or_try_init(|| ConnectionManager::new_with_config(self.client.clone(), self.config.clone()))
            .await
            .cloned()
    }
}

impl Probe for RedisHandle {
    const NAME: &'static str = "redis";

    async fn check(&self) -> Result<(), String> {
        let mut conn = self.connection().await.map_err(short_reason)?;
        let pong: String = redis::cmd("PING").query_async(&mut conn).await.map_err(short_reason)?;
        if pong != "PONG" {
            return Err(format!("unexpected PING answer {pong:?}"));
        }
        Ok(())
    }
}
