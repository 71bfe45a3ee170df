package dev.herald.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** The log level of {@code herald serve}: quiet by default, more with --log-level. */
final class Logging {
  private Logging() {}

  /** Sets Herald's and the libraries' levels; false when {@code level} is not a level name. */
  static boolean setLevel(String level) {
    Level l = switch (level.toLowerCase(java.util.Locale.ROOT)) {
      case "error" -> Level.ERROR;
      case "warn" -> Level.WARN;
      case "info" -> Level.INFO;
      case "debug" -> Level.DEBUG;
      case "trace" -> Level.TRACE;
      default -> null;
    };
    if (l == null) {
      return false;
    }
    ((Logger) LoggerFactory.getLogger("dev.herald")).setLevel(l);
    // the libraries say more only from debug on (Jetty's and Hikari's INFO lines are noise)
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(l.isGreaterOrEqual(Level.INFO) ? Level.WARN : l);
    return true;
  }
}
