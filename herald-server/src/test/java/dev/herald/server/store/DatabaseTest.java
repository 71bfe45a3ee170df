package dev.herald.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DatabaseTest {
  @Test
  void migrationUrl_boundsTheConnect_andLetsTheUrlsOwnParametersWin() {
    assertThat(Database.withMigrationParameters("jdbc:postgresql://db:5432/herald"))
        .isEqualTo("jdbc:postgresql://db:5432/herald?connectTimeout=10&tcpKeepAlive=true");
    // pgjdbc reads parameters in order: the URL's own connectTimeout, later, wins
    assertThat(Database.withMigrationParameters("jdbc:postgresql://db/herald?sslmode=verify-full&connectTimeout=30"))
        .isEqualTo("jdbc:postgresql://db/herald?connectTimeout=10&tcpKeepAlive=true&sslmode=verify-full&connectTimeout=30");
  }
}
