package dev.herald.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.HeraldException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

/** How database failures reach clients: 503 "busy" or "not reachable", 400, or 500. */
class StoreExceptionTest {
  private static HeraldException map(SQLException e) {
    return (HeraldException) StoreException.map(e);
  }

  @Test
  void poolTimeouts_sayBusyUnlessTheDatabaseIsAway() {
    HeraldException busy = map(new SQLTransientConnectionException("Connection is not available, request timed out"));
    assertThat(busy.status()).isEqualTo(503);
    assertThat(busy.getMessage()).isEqualTo("The server is busy.");

    SQLTransientConnectionException refused = new SQLTransientConnectionException("timed out",
        null, new SQLException("Connection refused", "08001"));
    assertThat(map(refused).getMessage()).isEqualTo("The database is not reachable.");
    assertThat(map(new SQLTransientConnectionException("timed out", "08001")).getMessage())
        .isEqualTo("The database is not reachable.");
    assertThat(map(new Database.Unreachable()).getMessage()).isEqualTo("The database is not reachable.");
  }

  @Test
  void connectionLossAndShutdown_areUnreachable_timeoutsAndDeadlocksBusy_restIs500() {
    assertThat(map(new SQLException("I/O error", "08006")).getMessage()).isEqualTo("The database is not reachable.");
    assertThat(map(new SQLException("terminating connection", "57P01")).getMessage()).isEqualTo("The database is not reachable.");
    for (String state : new String[] {"40001", "40P01", "55P03", "57014", "HYT00"}) {
      HeraldException e = map(new SQLException("x", state));
      assertThat(e.status()).isEqualTo(503);
      assertThat(e.getMessage()).as(state).isEqualTo("The server is busy.");
      assertThat(e.headers()).containsEntry("Retry-After", "1");
    }
    assertThat(map(new SQLException("syntax", "42601")).status()).isEqualTo(500);
    // a connection the pool evicted under a statement (seen once in PostgresRestartTest as a 500)
    assertThat(map(new SQLException("Connection is closed")).getMessage()).isEqualTo("The database is not reachable.");
  }
}
