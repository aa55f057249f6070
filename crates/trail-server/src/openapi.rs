//! The OpenAPI document, generated from the handlers' annotations.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::*;

#[derive(OpenApi)]
#[openapi(
    info(title = "Trail", description = "Audit log and usage analytics server. Every /api/v1 endpoint takes `Authorization: Bearer <API key>`."),
    paths(ingest, get_event, search_events, export, activity, usage, list_event_types, start_session, end_session, get_session, list_sessions,
        get_redaction, put_redaction, preview_redaction, get_visibility, put_visibility, get_logging, put_logging, effective_logging, sign_in, sign_out, me,
        list_users, create_user, update_user, list_groups, create_group, add_member, remove_member,
        list_keys, create_key, revoke_key,
        overview, packages, functions, runs, usage_events, errors, error_detail, performance, patterns, history, unused,
        healthz, readyz, metrics, openapi),
    components(schemas(trail_core::EventInput, trail_core::FieldError)),
    modifiers(&BearerAuth),
    tags((name = "events"), (name = "entities"), (name = "sessions"), (name = "settings"), (name = "auth"), (name = "people"), (name = "usage"), (name = "system"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}
