//! `trail demo`: synthetic activity straight into a store.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use trail_core::input::truncate_micros;
use trail_core::{Actor, ActorKind, InputContext, Limits, NewEvent, Source};
use trail_server::bootstrap::{bootstrap, BootstrapSecrets};
use trail_store::{Account, AppendOutcome, AppendRequest, NewUser, Role, Store, StoreError};
use uuid::Uuid;

use crate::store::StoreArgs;
use crate::synth::{Generator, Shape, GROUPS};

pub const DEFAULT_SEED: u64 = 42;
const BATCH: usize = 5000;

#[derive(Args, Debug)]
pub struct DemoArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// How many events to generate (spread over the last 90 days).
    #[arg(long, default_value_t = 100_000)]
    events: u64,
    /// Account to load into [default: the first account].
    #[arg(long)]
    account: Option<String>,
    /// Seed of the generator; the same seed gives the same data.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let store = args.store.database().open().await?;
    if let Some(first) = bootstrap(&store, BootstrapSecrets::default()).await? {
        println!(
            "Created account '{}'; admin API key (shown once): {}",
            first.account.name, first.api_key
        );
    }
    let account = match &args.account {
        Some(name) => store
            .list_accounts()
            .await?
            .into_iter()
            .find(|a| &a.name == name)
            .with_context(|| format!("no account named {name:?}"))?,
        None => first_account(&store).await?,
    };
    load(&store, account.id, args.events, args.seed, &Shape::demo()).await
}

pub async fn first_account(store: &Arc<dyn Store>) -> anyhow::Result<Account> {
    store
        .list_accounts()
        .await?
        .into_iter()
        .next()
        .context("the store has no account yet")
}

/// Creates the demo people and groups, then `events` events, in batches.
pub async fn load(
    store: &Arc<dyn Store>,
    account: Uuid,
    events: u64,
    seed: u64,
    shape: &Shape,
) -> anyhow::Result<()> {
    create_people(store, account, shape).await?;
    let started = Instant::now();
    let mut generator = Generator::with_shape(
        shape.clone(),
        seed,
        events,
        Utc::now(),
        chrono::Duration::days(90),
    );
    let ctx = context();
    let mut done = 0u64;
    while done < events {
        let n = (events - done).min(BATCH as u64);
        let batch: Vec<NewEvent> = (0..n)
            .map(|i| parse(&ctx, generator.next_event(), i as usize))
            .collect::<anyhow::Result<_>>()?;
        let outcome = store
            .append(&[AppendRequest {
                account,
                events: batch,
            }])
            .await?;
        if let Some(AppendOutcome::Conflict(ids)) = outcome.first() {
            anyhow::bail!("demo ids collided: {ids:?}");
        }
        done += n;
    }
    store.refresh_statistics().await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "Loaded {done} demo events in {secs:.1} s ({:.0} events/s).",
        done as f64 / secs.max(1e-9)
    );
    Ok(())
}

pub fn context() -> InputContext {
    InputContext {
        now: truncate_micros(Utc::now()),
        default_actor: Actor {
            kind: ActorKind::System,
            id: "demo".into(),
            name: None,
            email: None,
        },
        default_source: Source::Server,
        peer_ip: None,
        user_agent: None,
        limits: Limits::default(),
        redactor: trail_core::redact::Redactor::defaults(),
    }
}

pub fn parse(
    ctx: &InputContext,
    input: trail_core::EventInput,
    index: usize,
) -> anyhow::Result<NewEvent> {
    let value = serde_json::to_value(input)?;
    ctx.parse(index, value)
        .map_err(|e| anyhow::anyhow!("generated an invalid event: {e:?}"))
}

/// The people of the shape with roles in the demo's nested groups. Existing ones are kept.
async fn create_people(store: &Arc<dyn Store>, account: Uuid, shape: &Shape) -> anyhow::Result<()> {
    let mut groups = std::collections::HashMap::new();
    for (name, parent) in GROUPS {
        let parent = parent.and_then(|p| groups.get(p).copied());
        match store.create_group(account, name, parent).await {
            Ok(g) => {
                groups.insert(*name, g.id);
            }
            Err(StoreError::AlreadyExists(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    for (i, (login, group)) in shape.users.iter().enumerate() {
        let role = match i {
            0 => Role::Admin,
            9 => Role::Auditor,
            _ => Role::Member,
        };
        let email = format!("{login}@company.com");
        let user = NewUser {
            login: email.clone(),
            name: Some(crate::synth::session_user(login).name.unwrap_or_default()),
            email: Some(email),
            role,
            password_hash: None,
        };
        let user = store.create_user(account, user).await?;
        store
            .add_group_member(account, groups[group.as_str()], user.id)
            .await?;
    }
    Ok(())
}
