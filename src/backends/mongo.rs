//! The MongoDB client: a pooled client per process; the driver reconnects and
//! selects servers by itself.

use super::monitor::{Probe, connect_timeout, short_reason};
use crate::settings::{HealthSettings, MongoSettings};
use mongodb::bson::doc;
use mongodb::options::{ClientOptions, Credential};
use mongodb::{Client, Database};

/// Cheap to clone; the driver connects in the background.
#[derive(Debug, Clone)]
pub struct MongoHandle {
    client: Client,
    database: Database,
}

impl MongoHandle {
    /// Parses the connection string (a `mongodb+srv://` one resolves DNS
    /// here) and builds the client; no server needs to be up.
    pub async fn new(settings: &MongoSettings, health: &HealthSettings) -> mongodb::error::Result<Self> {
        let mut options = ClientOptions::parse(settings.uri.expose()).await?;
        options.app_name = Some("simgate".to_owned());
        options.connect_timeout = Some(connect_timeout(health));
        options.server_selection_timeout = Some(connect_timeout(health));
        if let Some(user) = &settings.username {
            options.credential = Some(
                Credential::builder()
                    .username(user.clone())
                    .password((!settings.password.is_empty()).then(|| settings.password.expose().to_owned()))
                    .build(),
            );
        }
        let client = Client::with_options(options)?;
        let database = client.database(&settings.database);
        Ok(Self { client, database })
    }

    /// simgate's database.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// The client, for sessions and other databases.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl Probe for MongoHandle {
    const NAME: &'static str = "mongo";

    async fn check(&self) -> Result<(), String> {
        self.database.run_command(doc! { "ping": 1 }).await.map_err(short_reason)?;
        Ok(())
    }
}

/// Whether `err` is a duplicate-key violation of a unique index (code 11000).
///
/// MongoDB reports it as a write error of the insert or update; some
/// MongoDB-wire servers (the local stack's among them) report the same code
/// as a command error. Idempotent writes must treat both alike.
pub fn is_duplicate_key(err: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    const DUPLICATE_KEY: i32 = 11000;
    match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == DUPLICATE_KEY,
        ErrorKind::Command(e) => e.code == DUPLICATE_KEY,
        ErrorKind::InsertMany(e) => {
            e.write_errors.as_ref().is_some_and(|errs| errs.iter().any(|w| w.code == DUPLICATE_KEY))
        }
        _ => false,
    }
}
