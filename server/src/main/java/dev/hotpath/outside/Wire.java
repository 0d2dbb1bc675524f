package dev.hotpath.outside;

import dev.hotpath.config.OutsideSettings;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;

/**
 * What every call of one {@link OutsideClient} goes out with: its event loop (for timers), its
 * pooled HTTP client, and the settings' rules.
 */
record Wire(Vertx vertx, HttpClientAgent http, OutsideSettings settings) {}
