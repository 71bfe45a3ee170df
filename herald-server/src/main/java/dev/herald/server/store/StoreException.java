package dev.herald.server.store;

import dev.herald.server.HeraldException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/** Maps JDBC failures to client-facing errors: constraint violations are the caller's, the rest 503. */
final class StoreException {
  private StoreException() {}

  /** 08: connection exceptions; 57P: the server shutting down or restarting (57P01-57P03). */
  static boolean isConnectFailure(Throwable t) {
    if (!(t instanceof SQLException s)) {
      return false;
    }
    if (s.getSQLState() == null) {
      // the pool's proxy of a connection it evicted under a running statement says only this
      return "Connection is closed".equals(s.getMessage());
    }
    return s.getSQLState().startsWith("08") || s.getSQLState().startsWith("57P");
  }

  static boolean isUniqueViolation(SQLException e) {
    return "23505".equals(e.getSQLState());
  }

  static RuntimeException map(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    // 08: connection failures; 57P: the server shutting down or restarting under our feet
    if (e instanceof SQLTransientConnectionException && !(e instanceof Database.Unreachable)
        && !isConnectFailure(e) && !isConnectFailure(e.getCause())) {
      // the pool had no free connection in time, and not because the database is away
      return HeraldException.unavailable("The server is busy.", e);
    }
    if (e instanceof SQLTransientConnectionException || isConnectFailure(e)) {
      return HeraldException.unavailable("The database is not reachable.", e);
    }
    // lock or statement timeouts, serialization failures, deadlocks: try again
    if (state.equals("HYT00") || state.equals("40001") || state.equals("40P01")
        || state.equals("55P03") || state.equals("57014")) {
      return HeraldException.unavailable("The server is busy.", e);
    }
    return new HeraldException(500, "Database error.", java.util.List.of(String.valueOf(e.getMessage())), e);
  }
}
