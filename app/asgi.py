"""create_app(): wiring only. Rules live in app/domain, engines in app/engines."""

from __future__ import annotations

import gc
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.static_files import create_static_files_router
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig

from app import bootstrap
from app.core import sessions
from app.core.auth import AuthMiddleware
from app.core.crypto import SecretBox
from app.core.deps import provide_db, provide_principal, provide_settings
from app.core.errors import handle_exception
from app.core.observability import RequestContextMiddleware, configure_logging, stamp_response
from app.core.outbound import OutboundClient
from app.core.ratelimit import Limiter, OrgRateLimitMiddleware
from app.core.security_headers import add_security_headers
from app.domain.accounts import service as accounts_service
from app.domain.accounts.controllers import ApiKeyController, AuthController, OrganizationController, UserController
from app.domain.accounts.pages import AccountPages, SettingsPages
from app.domain.adapters.controllers import AdapterController
from app.domain.adapters.pages import AdapterPages
from app.domain.analytics.controllers import AnalyticsController
from app.domain.applications.controllers import ApplicationController
from app.domain.applications.event_log import EventLogPages
from app.domain.applications.overview import OverviewPages
from app.domain.applications.pages import ApplicationPages
from app.domain.connections.controllers import ApplicationConnectionController, ConnectionController
from app.domain.connections.health_pages import HealthPages
from app.domain.connections.pages import ConnectionPages
from app.domain.dashboards.controllers import DashboardController
from app.domain.dashboards.pages import DashboardPages
from app.domain.dashboards.panel_pages import PanelPages
from app.domain.demo.runner import start_demo, stop_demo
from app.domain.discovery.controllers import DiscoveryController
from app.domain.discovery.endpoint_pages import EndpointPages
from app.domain.discovery.schema_pages import SchemaPages
from app.domain.embeds.controllers import EmbeddingController
from app.domain.embeds.pages import EmbeddingPages
from app.domain.embeds.widget import EmbedPages
from app.domain.ingest.controllers import IngestController
from app.domain.ingest.edge import IngestEdge
from app.domain.ingest.keys import IngestKeys
from app.domain.ingest.service import MAX_BODY_BYTES
from app.domain.ingest.service import writers as ingest_writers
from app.domain.insights.controllers import InsightController
from app.domain.insights.pages import InsightPages
from app.domain.jobs.controllers import JobController
from app.domain.reports.controllers import ReportController
from app.domain.reports.pages import ReportPages
from app.domain.service.controllers import health, ready
from app.domain.shell.pages import ShellPages
from app.domain.webhooks.controllers import WebhookController
from app.domain.webhooks.pages import WebhookPages
from app.engines import Engines
from app.settings import Settings, load_settings
from app.worker import Background
from realtime.hub import LiveHub
from realtime.insights_live import insights_stream
from realtime.live import live_stream

ROOT = Path(__file__).resolve().parents[1]
# Reachable without signing in. Everything else needs a session or a bearer credential.
PUBLIC_PATHS = ["^/static/", "^/health$", "^/ready$", "^/metrics$", "^/schema", "^/embed/"]
# Bearer-authenticated API calls carry no ambient cookie credential, so CSRF does not apply.
CSRF_EXEMPT = ["^/v1/", "^/health$", "^/ready$", "^/metrics$", "^/schema"]


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    configure_logging(settings.server.log_level, json_logs=settings.server.is_production)
    engines = Engines(settings)
    secret_box = SecretBox(settings.security.encryption_keys)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        await engines.start()
        if settings.server.migrate_on_start:
            await bootstrap.migrate(engines, settings)
            await bootstrap.ensure_admin(engines, settings)
        assert engines.redis.client is not None
        assert engines.postgres.pool is not None
        app.stores.register(
            sessions.STORE, RedisStore(engines.redis.client, namespace="nexus:session"), allow_override=True
        )
        app.state.limiter = Limiter(engines.redis.url, engines.redis.client.connection_pool)
        hub = LiveHub(engines.redis.client)
        await hub.start()
        app.state.live_hub = hub
        app.state.ingest_keys = IngestKeys(engines.postgres.pool)
        outbound = OutboundClient(settings.outbound)
        app.state.outbound = outbound
        background = Background(
            settings, {"engines": engines, "settings": settings, "box": secret_box, "outbound": outbound, "hub": hub}
        )
        app.state.queue = await background.start(engines.redis.url, run_worker=settings.worker.inprocess)
        writers = ingest_writers(engines.clickhouse, settings.ingest, hub)
        for name, writer in writers.items():
            await writer.start()
            setattr(app.state, name, writer)
        # Demo traffic needs the admin's organisation, which start-up creates with the schema.
        demo = None
        if settings.server.demo and settings.server.migrate_on_start:
            demo = start_demo(engines, settings, writers["event_writer"], writers["metric_writer"])
        # Everything built so far lives as long as the process. Left to the cyclic collector,
        # each full collection walks it all again: measured, that was most of the CPU of
        # ingesting a batch. Frozen, collections walk only what requests allocate.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            await stop_demo(demo)  # it writes through the writers, so it stops first
            # Pending rows are flushed (and their requests answered) before the engines go.
            for writer in writers.values():
                await writer.stop()
            await background.stop()
            await outbound.aclose()
            await hub.stop()
            await engines.stop()

    session = sessions.session_config(settings, exclude=PUBLIC_PATHS)
    prometheus = PrometheusConfig(
        app_name="nexus", prefix="nexus", group_path=True, exclude=["^/metrics$", "^/static/"]
    )

    app = Litestar(
        route_handlers=[
            health,
            ready,
            MetricsController,
            AuthController,
            ApiKeyController,
            UserController,
            OrganizationController,
            ApplicationController,
            AnalyticsController,
            DashboardController,
            IngestController,
            JobController,
            ApplicationConnectionController,
            ConnectionController,
            DiscoveryController,
            AdapterController,
            WebhookController,
            ReportController,
            live_stream,
            InsightController,
            insights_stream,
            InsightPages,
            EmbeddingController,
            EmbedPages,
            AccountPages,
            SettingsPages,
            EmbeddingPages,
            WebhookPages,
            ReportPages,
            ApplicationPages,
            OverviewPages,
            EventLogPages,
            ConnectionPages,
            EndpointPages,
            SchemaPages,
            HealthPages,
            AdapterPages,
            DashboardPages,
            PanelPages,
            ShellPages,
            create_static_files_router(
                path="/static", directories=[ROOT / "static"], include_in_schema=False, opt={"exclude_from_auth": True}
            ),
        ],
        dependencies={
            "db": Provide(provide_db),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        middleware=[
            RequestContextMiddleware,
            prometheus.middleware,
            session.middleware,
            DefineMiddleware(AuthMiddleware, exclude=PUBLIC_PATHS),
            OrgRateLimitMiddleware,
        ],
        # Customers' pages post events from their own origins (the browser tracker) and may
        # call the API from scripts: any origin, never with credentials (cookies stay home).
        cors_config=CORSConfig(
            allow_origins=["*"],
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["content-type", "x-api-key", "authorization", "x-request-id"],
            expose_headers=["retry-after", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "x-request-id"],
            allow_credentials=False,
            max_age=600,
        ),
        csrf_config=CSRFConfig(
            secret=settings.security.secret_key,
            cookie_name="nexus_csrf",
            cookie_secure=sessions.secure_cookies(settings),
            cookie_samesite="lax",
            exclude=CSRF_EXEMPT,
        ),
        template_config=TemplateConfig(directory=[ROOT / "templates", ROOT / "components"], engine=JinjaTemplateEngine),
        openapi_config=OpenAPIConfig(
            title="NEXUS-PRIME API",
            version="1.0.0",
            path="/schema",
            # The docs page is served from our own vendored assets, never from a CDN.
            render_plugins=[
                SwaggerRenderPlugin(
                    path=["/", "/swagger"],
                    js_url="/static/vendor/swagger-ui-bundle.js",
                    css_url="/static/vendor/swagger-ui.css",
                    standalone_preset_js_url="/static/vendor/swagger-ui-standalone-preset.js",
                )
            ],
            components=Components(
                security_schemes={
                    "ingest_key": SecurityScheme(
                        type="apiKey",
                        name="X-API-Key",
                        security_scheme_in="header",
                        description="An application's ingest key (write-only)",
                    ),
                    "bearer": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="An access token from /v1/auth/token or a personal API key",
                    ),
                }
            ),
            security=[{"bearer": []}],
        ),
        exception_handlers={Exception: handle_exception},
        before_send=[stamp_response, add_security_headers],
        request_max_body_size=MAX_BODY_BYTES,
        lifespan=[lifespan],
        state=State(
            {
                "settings": settings,
                "engines": engines,
                "secret_box": secret_box,
                "resolve_principal": accounts_service.resolve_principal,
                "session_config": session,
            }
        ),
        logging_config=None,  # structlog owns logging (configure_logging)
        debug=False,
    )
    app.asgi_handler = IngestEdge(app, app.asgi_handler)
    return app
