//! The OpenAPI 3.1 document of the HTTP API (`GET /api/openapi.json`), derived with `utoipa`
//! from the handlers' `#[utoipa::path]` attributes and the service's own body types; bodies
//! that are the library's serialized types (Greeks, VaR, margin) are described as objects
//! whose shape the README documents. A unit test pins the list of operations; a CLI test calls
//! each of them on a running service (each is a route); `schemathesis` fuzzes a running
//! service from it.

use crate::api;
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Every error's body: `{"error": "what is wrong and how to fix it"}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDoc {
    /// What is wrong, and how to fix it.
    pub error: String,
}

/// The bearer-token scheme (`Authorization: Bearer blst_…`, from `ballast token create`).
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let scheme = SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("blst_ token from `ballast token create`")
                .build(),
        );
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", scheme);
    }
}

/// The API's document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ballast live risk service",
        description = "Books, fills, Greeks, VaR, margin, limits and alerts of `ballast serve`. Every route but /api/health and /api/openapi.json needs a bearer token (read scope; writes need read-write). Errors are {\"error\": \"…\"} with a 4xx status, or 503 (Retry-After) for a book's risk or margin before its first risk round."
    ),
    paths(
        api::health,
        api::books,
        api::portfolio,
        api::greeks,
        api::risk,
        api::margin,
        api::chart,
        api::list_fills,
        api::post_fill,
        api::get_limits,
        api::put_limits,
        api::get_alerts
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`.
pub(crate) async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route of the API is in the document, with its methods, and every one but the
    /// health check asks for the bearer token.
    #[test]
    fn the_document_lists_every_route() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        let mut have: Vec<String> = paths
            .iter()
            .flat_map(|(p, ops)| ops.as_object().unwrap().keys().map(move |m| format!("{m} {p}")))
            .collect();
        have.sort();
        let want = [
            "get /api/books",
            "get /api/books/{id}/alerts",
            "get /api/books/{id}/chart.svg",
            "get /api/books/{id}/fills",
            "get /api/books/{id}/greeks",
            "get /api/books/{id}/limits",
            "get /api/books/{id}/margin",
            "get /api/books/{id}/portfolio",
            "get /api/books/{id}/risk",
            "get /api/health",
            "post /api/books/{id}/fills",
            "put /api/books/{id}/limits",
        ];
        assert_eq!(have, want);
        for (p, ops) in paths {
            for (m, op) in ops.as_object().unwrap() {
                let secured = op.get("security").is_some();
                assert_eq!(secured, p != "/api/health", "{m} {p}");
            }
        }
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for s in ["FillRequest", "FillAck", "ErrorDoc", "Portfolio", "Alert"] {
            assert!(schemas.contains_key(s), "{s}");
        }
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    }
}
