package dev.hotpath.observe;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.spi.context.storage.ContextLocal;
import org.jspecify.annotations.Nullable;

/**
 * Reads and binds a request's values ({@link ContextLocal}s) on the Vert.x context the caller runs
 * on. A Vert.x instance built before a local was registered (a tool, a test fixture) has no slot
 * for it: there, and off any context, nothing is bound and nothing is found.
 */
public final class CurrentContext {
  private CurrentContext() {}

  /** The value of {@code local} on the current context, or null when there is none. */
  public static <T> @Nullable T get(ContextLocal<T> local) {
    Context context = Vertx.currentContext();
    if (context == null) {
      return null;
    }
    try {
      return local.get(context);
    } catch (IllegalArgumentException builtBeforeTheLocal) {
      return null;
    }
  }

  /** Binds {@code value} to {@code local} on the current context, when there is one with a slot. */
  public static <T> void put(ContextLocal<T> local, T value) {
    Context context = Vertx.currentContext();
    if (context == null) {
      return;
    }
    try {
      local.put(context, value);
    } catch (IllegalArgumentException builtBeforeTheLocal) {
      // no slot for it: the value stays unbound
    }
  }
}
