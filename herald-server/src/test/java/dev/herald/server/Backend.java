package dev.herald.server;

import dev.herald.server.store.Database;
import java.nio.file.Path;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The databases Herald runs on. Tests annotated
 * {@code @ParameterizedClass @EnumSource(Backend.class)} run once on each: the storage contract.
 */
public enum Backend {
  /** The embedded H2 file database in the data directory (the default). */
  H2 {
    @Override
    UnaryOperator<ServerConfig.Builder> newDatabase() {
      return b -> b;
    }

    @Override
    Supplier<Database> newStore(Path dir) {
      return () -> Database.embedded(dir);
    }
  },
  /** A fresh database on the test JVM's PostgreSQL server (see {@link Postgres}). */
  POSTGRES {
    @Override
    UnaryOperator<ServerConfig.Builder> newDatabase() {
      return Postgres.shared().database(Postgres.shared().newDatabase());
    }

    @Override
    Supplier<Database> newStore(Path dir) {
      String url = Postgres.shared().newDatabase();
      return () -> Database.open(url, Postgres.USER, "", 10);
    }
  };

  /** Settings that point a server at a new, empty database of this kind. */
  abstract UnaryOperator<ServerConfig.Builder> newDatabase();

  /**
   * A new, empty database of this kind; each call of the supplier opens another pool on it (as
   * another node would). {@code dir} holds the embedded database's files.
   */
  abstract Supplier<Database> newStore(Path dir);
}
