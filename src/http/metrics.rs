//! `simgate_http_*`: requests in flight (the HorizontalPodAutoscaler's
//! custom metric) and requests answered, by route and status class.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// One route and the class of its status (`2xx`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RouteLabels {
    /// The matched route pattern (`/v1/messages/{id}`), never the raw path.
    pub route: String,
    /// `2xx`, `4xx`, ...
    pub status: String,
}

/// Metrics of the HTTP listener.
#[derive(Debug, Clone, Default)]
pub struct HttpMetrics {
    in_flight: Gauge,
    requests: Family<RouteLabels, Counter>,
    /// `/v1` requests refused for a missing or wrong key.
    pub auth_failures: Counter,
}

impl HttpMetrics {
    /// Registers under `registry` (prefix `simgate_http_`).
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        registry.register("requests_in_flight", "HTTP requests being served", m.in_flight.clone());
        registry.register(
            "requests",
            "HTTP requests answered, by route and status class",
            m.requests.clone(),
        );
        registry.register(
            "auth_failures",
            "/v1 requests refused for a missing or wrong API key",
            m.auth_failures.clone(),
        );
        m
    }
}

/// Middleware: counts the request while it is served, then by outcome.
pub async fn track(State(metrics): State<HttpMetrics>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    metrics.in_flight.inc();
    let response = next.run(request).await;
    metrics.in_flight.dec();
    let status = format!("{}xx", response.status().as_u16() / 100);
    metrics.requests.get_or_create(&RouteLabels { route, status }).inc();
    response
}
