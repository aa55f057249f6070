//! Trail's domain: the audit event, the event-type catalogue, validation of
//! what clients send, the canonical encoding that is hashed, and credentials.
//!
//! Nothing here does I/O; every other crate depends on this one.

pub mod api;
pub mod catalogue;
pub mod changes;
pub mod credentials;
pub mod encoding;
pub mod error_signature;
pub mod event;
pub mod input;
pub mod logging;
pub mod names;
pub mod query;
pub mod redact;
pub mod rollup;
pub mod usage;

pub use catalogue::{Catalogue, TypeInfo};
pub use event::{
    Actor, ActorKind, Changes, ErrorInfo, Event, Level, NewEvent, ParamValue, Resource, Source,
    Status,
};
pub use input::{EventInput, FieldError, InputContext, Limits};
pub use names::{Action, EventType, NameError, ResourceKind};
