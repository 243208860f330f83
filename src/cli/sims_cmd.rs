//! `simgate sims import <csv>`: loads SIMs and their key sets into the SIM
//! registry from a SIM set file (format in docs/sim-registry.md and
//! [`crate::sim::registry::rows`]), sealing the keys under the master key.
//!
//! Every rejected row is reported on standard error as
//! `line N: column: reason` (never with key material) and the other rows
//! are still imported; a summary goes to standard output. Exit status 0
//! when every row is in, 1 when some were rejected or MongoDB failed, 64 on
//! bad arguments, settings or file header. `--dry-run` validates the file
//! without settings for MongoDB or the master key, and writes nothing.

use super::load_settings;
use crate::backends::mongo::MongoHandle;
use crate::settings::EX_CONFIG;
use crate::sim::registry::{
    ImportOutcome, RegistryError, RowError, SimFile, SimImport, SimRegistry, SimRegistryMetrics,
};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Largest batch accepted by `--batch-size`.
const MAX_BATCH: u16 = 5000;

/// Subcommands of `simgate sims`.
#[derive(Debug, Subcommand)]
pub enum SimsCommand {
    /// Load SIMs and their keys from a CSV file with the header
    /// iccid,msisdn,imsi,tar,kvn,kic,kid[,applet_version].
    Import {
        /// The CSV file.
        file: PathBuf,
        /// TOML settings file, the one `serve` reads (mongo and sim
        /// sections); SIMGATE__SECTION__KEY variables override it.
        #[arg(long, short = 'c', env = "SIMGATE_CONFIG")]
        config: Option<PathBuf>,
        /// Validate every row, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Rows written per batch.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=i64::from(MAX_BATCH)))]
        batch_size: u16,
    },
    /// After a master key rotation: seal every SIM key sealed under a
    /// previous master key (sim.previous_master_keys_file) again under the
    /// current one.
    Reseal {
        /// TOML settings file, the one `serve` reads.
        #[arg(long, short = 'c', env = "SIMGATE_CONFIG")]
        config: Option<PathBuf>,
    },
}

/// Runs a `sims` subcommand.
pub(super) fn run(command: SimsCommand) -> ExitCode {
    match command {
        SimsCommand::Import { file, config, dry_run, batch_size } => {
            import(&file, config.as_deref(), dry_run, usize::from(batch_size))
        }
        SimsCommand::Reseal { config } => reseal(config.as_deref()),
    }
}

/// Counts of one run.
#[derive(Debug, Default)]
struct Tally {
    imported: u64,
    updated: u64,
    valid: u64,
    rejected: u64,
}

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("simgate: {message}");
    ExitCode::from(EX_CONFIG)
}

fn import(path: &Path, config: Option<&Path>, dry_run: bool, batch_size: usize) -> ExitCode {
    let settings = match load_settings(config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let input = match std::fs::File::open(path) {
        Ok(f) => std::io::BufReader::new(f),
        Err(e) => return usage(format_args!("{}: {e}", path.display())),
    };
    let mut rows = match SimFile::new(input) {
        Ok(rows) => rows,
        Err(e) => return usage(format_args!("{}: {e}", path.display())),
    };
    let mut tally = Tally::default();
    if dry_run {
        while let Some(row) = rows.next_row() {
            match row {
                Ok(_) => tally.valid += 1,
                Err(e) => reject(&mut tally, e),
            }
        }
        println!(
            "sims import --dry-run: {} valid, {} rejected, nothing written",
            tally.valid, tally.rejected
        );
        return exit_for(&tally);
    }
    if !settings.mongo.enabled {
        return usage("invalid configuration: mongo.enabled: sims import needs MongoDB; set it to true");
    }
    let keyring = match settings.sim.keyring() {
        Ok(k) => Arc::new(k),
        Err(e) => return usage(format_args!("invalid configuration: {e}")),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("simgate: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        let handle = MongoHandle::new(&settings.mongo, &settings.health).await?;
        let registry = SimRegistry::new(&handle, keyring, SimRegistryMetrics::default());
        registry.ensure_indexes().await?;
        let mut batch = Batch::with_capacity(batch_size);
        while let Some(row) = rows.next_row() {
            match row {
                Ok(row) => batch.push(rows.line(), row),
                Err(e) => reject(&mut tally, e),
            }
            if batch.rows.len() >= batch_size {
                batch.write(&registry, &mut tally).await?;
            }
        }
        batch.write(&registry, &mut tally).await
    });
    println!(
        "sims import: {} imported, {} updated, {} rejected",
        tally.imported, tally.updated, tally.rejected
    );
    match outcome {
        Ok(()) => exit_for(&tally),
        Err(e) => {
            eprintln!("simgate: import stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Valid rows waiting to be written, with their lines.
struct Batch {
    lines: Vec<u64>,
    rows: Vec<SimImport>,
}

impl Batch {
    fn with_capacity(n: usize) -> Self {
        Self { lines: Vec::with_capacity(n), rows: Vec::with_capacity(n) }
    }

    fn push(&mut self, line: u64, row: SimImport) {
        self.lines.push(line);
        self.rows.push(row);
    }

    /// Writes the rows, reports rejections by line, empties the batch.
    async fn write(&mut self, registry: &SimRegistry, tally: &mut Tally) -> Result<(), RegistryError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let outcomes = registry.import_batch(&self.rows).await?;
        for (line, outcome) in self.lines.iter().zip(outcomes) {
            match outcome {
                ImportOutcome::Inserted => tally.imported += 1,
                ImportOutcome::Updated => tally.updated += 1,
                ImportOutcome::Rejected { column, reason } => {
                    tally.rejected += 1;
                    eprintln!("line {line}: {column}: {reason}");
                }
            }
        }
        self.lines.clear();
        self.rows.clear();
        Ok(())
    }
}

fn reseal(config: Option<&Path>) -> ExitCode {
    let settings = match load_settings(config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if !settings.mongo.enabled {
        return usage("invalid configuration: mongo.enabled: sims reseal needs MongoDB; set it to true");
    }
    let keyring = match settings.sim.keyring() {
        Ok(k) => Arc::new(k),
        Err(e) => return usage(format_args!("invalid configuration: {e}")),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("simgate: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let current = keyring.current_id();
    let outcome = runtime.block_on(async {
        let handle = MongoHandle::new(&settings.mongo, &settings.health).await?;
        SimRegistry::new(&handle, keyring, SimRegistryMetrics::default()).reseal_all().await
    });
    match outcome {
        Ok(r) => {
            println!(
                "sims reseal under master key {current}: {} resealed, {} already current, {} skipped (changed meanwhile), {} failed",
                r.resealed, r.current, r.skipped, r.failed
            );
            if r.skipped == 0 && r.failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(e) => {
            eprintln!("simgate: reseal stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

fn reject(tally: &mut Tally, e: RowError) {
    tally.rejected += 1;
    eprintln!("{e}");
}

fn exit_for(tally: &Tally) -> ExitCode {
    if tally.rejected == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
